// SHA-256 (FIPS 180-4), for the receiver's Datadog-Agent-State header: the Agent sends the hex
// digest of its /info body and tracers re-read /info when it changes. None of the project's
// libraries exposes SHA-256 (OpenSSL is only reached through a dlopen'ed libcurl), and the digest
// is computed once at start, so a small portable implementation is enough.
#pragma once

#include <string>
#include <string_view>

namespace sidecar::apm {

// Lower-case hex digest of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace sidecar::apm
