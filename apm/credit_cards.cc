#include "apm/credit_cards.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sidecar::apm {
namespace {

// Verdict on the digits read so far, as a number (e.g. 523 for "523...").
enum class Prefix { kInvalid, kMaybe, kValid };

bool In(int64_t n, int64_t low, int64_t high) { return n >= low && n <= high; }

// Issuer prefixes (IIN) of the major networks, checked one digit at a time: kMaybe asks for
// another digit. Ranges restated from the Agent's credit card obfuscator.
Prefix ClassifyPrefix(int64_t n) {
  if (n > 699999) {
    return Prefix::kInvalid;
  }
  if (n < 10) {
    if (n == 1 || n == 4) {
      return Prefix::kValid;
    }
    if (n == 2 || n == 3 || n == 5 || n == 6) {
      return Prefix::kMaybe;
    }
    return Prefix::kInvalid;
  }
  if (n < 100) {
    if (In(n, 34, 39) || In(n, 51, 55) || n == 62 || n == 65) {
      return Prefix::kValid;
    }
    if (n == 30 || n == 50 || In(n, 22, 27) || In(n, 56, 58) || In(n, 60, 69)) {
      return Prefix::kMaybe;
    }
    return Prefix::kInvalid;
  }
  if (n < 1000) {
    if (In(n, 300, 305) || n == 309 || n == 636 || In(n, 644, 649)) {
      return Prefix::kValid;
    }
    if (In(n, 352, 358) || In(n, 222, 272) || In(n, 500, 509) || In(n, 560, 589) ||
        In(n, 600, 699)) {
      return Prefix::kMaybe;
    }
    return Prefix::kInvalid;
  }
  if (n < 10000) {
    if (In(n, 3528, 3589) || n == 5019 || n == 6011) {
      return Prefix::kValid;
    }
    if (In(n, 2221, 2720) || In(n, 5000, 5099) || In(n, 5600, 5899) || In(n, 6000, 6999)) {
      return Prefix::kMaybe;
    }
    return Prefix::kInvalid;
  }
  if (n < 100000) {
    if (In(n, 22210, 27209) || In(n, 50000, 50999) || In(n, 56000, 58999) || In(n, 60000, 69999)) {
      return Prefix::kMaybe;
    }
    return Prefix::kInvalid;
  }
  if (In(n, 222100, 272099) || In(n, 500000, 509999) || In(n, 560000, 589999) ||
      In(n, 600000, 699999)) {
    return Prefix::kValid;
  }
  return Prefix::kInvalid;
}

bool LuhnValid(const std::array<char, 16>& digits, size_t count) {
  int sum = 0;
  bool double_it = false;
  for (size_t i = count; i-- > 0;) {
    int d = digits[i] - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

}  // namespace

bool IsCardNumber(std::string_view value, bool validate_luhn) {
  if (value.size() < 12) {
    return false;
  }
  std::array<char, 16> digits{};
  size_t count = 0;
  int64_t prefix = 0;
  bool prefix_found = false;
  for (const char c : value) {
    if (c == ' ' || c == '-') {
      continue;
    }
    if (c < '0' || c > '9') {
      return false;
    }
    if (count == digits.size()) {
      return false;  // more than 16 digits
    }
    digits[count++] = c;
    if (!prefix_found) {
      prefix = prefix * 10 + (c - '0');
      const Prefix verdict = ClassifyPrefix(prefix);
      if (verdict == Prefix::kInvalid) {
        return false;
      }
      prefix_found = verdict == Prefix::kValid;
    }
  }
  if (count < 12 || !prefix_found) {
    return false;
  }
  return !validate_luhn || LuhnValid(digits, count);
}

bool IsCreditCardExemptKey(std::string_view key) {
  constexpr std::array<std::string_view, 21> kExempt = {
      "account_id",
      "aws_account",
      "env",
      "http.status_code",
      "http.method",
      "runtime-id",
      "out.host",
      "out.port",
      "sampling.priority",
      "span.type",
      "span.name",
      "service.name",
      "service",
      "sql.query",
      "version",
      "databricks_job_id",
      "databricks_job_run_id",
      "databricks_task_run_id",
      "config.spark_app_startTime",
      "error",
      "graphql.query",
  };
  if (key.starts_with('_') || key.starts_with("error") || key.starts_with("grpc.") ||
      key.starts_with("graphql.")) {
    return true;
  }
  for (const std::string_view exempt : kExempt) {
    if (key == exempt) {
      return true;
    }
  }
  return false;
}

}  // namespace sidecar::apm
