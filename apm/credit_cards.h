// File: apm/credit_cards.h
//
// Credit card detection for span meta values and span event attributes (apm.md §5, conformance
// O9). A value is a card number when it holds 12 to 16 digits, only digits, spaces and dashes,
// and its digits start with a known issuer prefix (IIN); with validate_luhn the Luhn checksum
// must hold too. Keys known to carry such numbers for other reasons are exempt.
// Pure functions, no allocation.
#pragma once

#include <string_view>

namespace sidecar::apm {

bool IsCardNumber(std::string_view value, bool validate_luhn);

// Keys never checked: `_*`, `env`, `version`, `service`, `error*`, HTTP status/method,
// `sql.query`, `grpc.*`, `graphql.*`, `out.host`/`out.port`, `runtime-id`, account and Databricks
// ids and a few more the Agent lists.
bool IsCreditCardExemptKey(std::string_view key);

}  // namespace sidecar::apm
