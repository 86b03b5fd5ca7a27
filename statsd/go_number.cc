#include "statsd/go_number.h"

#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>

namespace sidecar::statsd::internal {
namespace {

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr int HexValue(char c) {
  if (IsDigit(c)) {
    return c - '0';
  }
  const char l = Lower(c);
  if (l >= 'a' && l <= 'f') {
    return l - 'a' + 10;
  }
  return -1;
}

bool EqualsIgnoreCase(std::string_view text, std::string_view lower_word) {
  if (text.size() != lower_word.size()) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (Lower(text[i]) != lower_word[i]) {
      return false;
    }
  }
  return true;
}

// Go allows `_` in a float literal only between two digits, or between the `0x` prefix and a
// digit. `text` is the whole literal including its sign.
bool UnderscoresAllowed(std::string_view text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    text.remove_prefix(1);
  }
  enum class Last { kStart, kDigit, kUnderscore, kOther };
  Last last = Last::kStart;
  size_t i = 0;
  bool hex = false;
  if (text.size() >= 2 && text[0] == '0') {
    const char base = Lower(text[1]);
    if (base == 'x' || base == 'b' || base == 'o') {
      i = 2;
      last = Last::kDigit;  // the prefix counts as a digit here
      hex = base == 'x';
    }
  }
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (IsDigit(c) || (hex && HexValue(c) >= 0)) {
      last = Last::kDigit;
      continue;
    }
    if (c == '_') {
      if (last != Last::kDigit) {
        return false;
      }
      last = Last::kUnderscore;
      continue;
    }
    if (last == Last::kUnderscore) {
      return false;
    }
    last = Last::kOther;
  }
  return last != Last::kUnderscore;
}

// Inf, Infinity (any case, optional sign) and NaN (any case, no sign): Go's `special`, required to
// cover the whole text.
std::optional<double> ParseSpecial(std::string_view body, bool has_sign, bool negative) {
  if (EqualsIgnoreCase(body, "inf") || EqualsIgnoreCase(body, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (!has_sign && EqualsIgnoreCase(body, "nan")) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return std::nullopt;
}

// After from_chars reported result_out_of_range for a syntactically valid decimal: true when the
// magnitude is huge (Go: range error), false when it is tiny (Go: rounds to zero, no error).
bool DecimalOverflows(std::string_view digits) {
  int64_t leading_exponent = 0;  // power of ten of the first non-zero digit
  bool found = false;
  bool after_dot = false;
  int64_t integer_digits = 0;
  int64_t fraction_position = 0;
  size_t i = 0;
  for (; i < digits.size(); ++i) {
    const char c = digits[i];
    if (c == '.') {
      after_dot = true;
      continue;
    }
    if (!IsDigit(c)) {
      break;
    }
    if (after_dot) {
      ++fraction_position;
      if (!found && c != '0') {
        found = true;
        leading_exponent = -fraction_position;
      }
    } else {
      if (!found && c != '0') {
        found = true;
        integer_digits = 0;
      }
      if (found) {
        ++integer_digits;
      }
    }
  }
  if (found && integer_digits > 0) {
    leading_exponent = integer_digits - 1;
  }
  int64_t exponent = 0;
  if (i < digits.size() && Lower(digits[i]) == 'e') {
    ++i;
    bool negative = false;
    if (i < digits.size() && (digits[i] == '+' || digits[i] == '-')) {
      negative = digits[i] == '-';
      ++i;
    }
    for (; i < digits.size() && IsDigit(digits[i]); ++i) {
      if (exponent < 1'000'000) {
        exponent = exponent * 10 + (digits[i] - '0');
      }
    }
    if (negative) {
      exponent = -exponent;
    }
  }
  return leading_exponent + exponent > 0;
}

// Decimal literal without its sign. `text` is the whole literal, for the underscore rule.
// Plain decimals (`42`, `0.125`: digits on both sides of an optional dot, at most 15 digits) are
// most DogStatsD values. Their digits form an integer below 2^53 and the scale a power of ten up
// to 1e15, both exact doubles, so one IEEE division gives the correctly rounded value: the same
// result as from_chars, which costs several times more. Anything else returns false.
bool ParsePlainDecimal(std::string_view body, double& value) {
  constexpr size_t kMaxDigits = 15;
  static constexpr std::array<double, kMaxDigits + 1> kPowers = {
      1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  if (body.empty() || body.size() > kMaxDigits + 1) {
    return false;
  }
  uint64_t mantissa = 0;
  size_t digits = 0;
  size_t dot = std::string_view::npos;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (IsDigit(c)) {
      mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
      ++digits;
    } else if (c == '.' && dot == std::string_view::npos && i > 0 && i + 1 < body.size()) {
      dot = i;
    } else {
      return false;
    }
  }
  if (digits > kMaxDigits) {
    return false;
  }
  value = static_cast<double>(mantissa);
  if (dot != std::string_view::npos) {
    value /= kPowers[body.size() - dot - 1];
  }
  return true;
}

std::optional<double> ParseDecimal(std::string_view text, std::string_view body, bool negative) {
  if (double value; ParsePlainDecimal(body, value)) {
    return negative ? -value : value;
  }
  std::string heap_copy;
  char stack_copy[128];
  if (body.find('_') != std::string_view::npos) {
    if (!UnderscoresAllowed(text)) {
      return std::nullopt;
    }
    char* out = stack_copy;
    if (body.size() > sizeof(stack_copy)) {
      heap_copy.resize(body.size());
      out = heap_copy.data();
    }
    size_t n = 0;
    for (const char c : body) {
      if (c != '_') {
        out[n++] = c;
      }
    }
    body = std::string_view(out, n);
  }
  // from_chars(general) has Go's decimal grammar once the sign, specials and hex are handled by
  // the caller: digits with one optional dot, at least one digit, optional complete exponent.
  double value = 0;
  const char* const end = body.data() + body.size();
  const auto [ptr, ec] = std::from_chars(body.data(), end, value, std::chars_format::general);
  if (ptr != end) {
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range) {
    if (DecimalOverflows(body)) {
      return std::nullopt;
    }
    value = 0.0;
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

// Hexadecimal literal; `digits` follows the `0x` prefix. Rounds to nearest even like Go's atofHex.
std::optional<double> ParseHex(std::string_view text, std::string_view digits, bool negative) {
  constexpr int kMaxMantissaDigits = 16;  // 16^16 fits in uint64
  uint64_t mantissa = 0;
  int significant_digits = 0;
  int mantissa_digits = 0;
  int64_t binary_point = 0;
  bool truncated = false;
  bool saw_dot = false;
  bool saw_digits = false;
  bool underscores = false;
  size_t i = 0;
  for (; i < digits.size(); ++i) {
    const char c = digits[i];
    if (c == '_') {
      underscores = true;
      continue;
    }
    if (c == '.') {
      if (saw_dot) {
        break;
      }
      saw_dot = true;
      binary_point = significant_digits;
      continue;
    }
    const int v = HexValue(c);
    if (v < 0) {
      break;
    }
    saw_digits = true;
    if (v == 0 && significant_digits == 0) {  // leading zeros only move the point
      --binary_point;
      continue;
    }
    ++significant_digits;
    if (mantissa_digits < kMaxMantissaDigits) {
      mantissa = mantissa * 16 + static_cast<uint64_t>(v);
      ++mantissa_digits;
    } else if (v != 0) {
      truncated = true;
    }
  }
  if (!saw_digits) {
    return std::nullopt;
  }
  if (!saw_dot) {
    binary_point = significant_digits;
  }
  binary_point *= 4;
  const int64_t mantissa_bits = int64_t{mantissa_digits} * 4;
  // The binary exponent is mandatory for hex literals.
  if (i >= digits.size() || Lower(digits[i]) != 'p') {
    return std::nullopt;
  }
  ++i;
  int64_t exponent_sign = 1;
  if (i < digits.size() && (digits[i] == '+' || digits[i] == '-')) {
    exponent_sign = digits[i] == '-' ? -1 : 1;
    ++i;
  }
  if (i >= digits.size() || !IsDigit(digits[i])) {
    return std::nullopt;
  }
  int64_t e = 0;
  for (; i < digits.size() && (IsDigit(digits[i]) || digits[i] == '_'); ++i) {
    if (digits[i] == '_') {
      underscores = true;
      continue;
    }
    if (e < 10000) {
      e = e * 10 + (digits[i] - '0');
    }
  }
  if (i != digits.size()) {
    return std::nullopt;
  }
  if (underscores && !UnderscoresAllowed(text)) {
    return std::nullopt;
  }
  binary_point += e * exponent_sign;
  int64_t exp = mantissa != 0 ? binary_point - mantissa_bits : 0;

  // IEEE 754 binary64: 52 stored mantissa bits, exponent bias 1023.
  constexpr int kMantBits = 52;
  constexpr int64_t kBias = -1023;
  constexpr int64_t kMaxExp = (int64_t{1} << 11) + kBias - 2;
  constexpr int64_t kMinExp = kBias + 1;
  exp += kMantBits;
  // Normalise to 1 + 52 + 2 rounding bits, folding lost bits into a sticky low bit.
  while (mantissa != 0 && (mantissa >> (kMantBits + 2)) == 0) {
    mantissa <<= 1;
    --exp;
  }
  if (truncated) {
    mantissa |= 1;
  }
  while ((mantissa >> (1 + kMantBits + 2)) != 0) {
    mantissa = (mantissa >> 1) | (mantissa & 1);
    ++exp;
  }
  while (mantissa > 1 && exp < kMinExp - 2) {  // denormalise
    mantissa = (mantissa >> 1) | (mantissa & 1);
    ++exp;
  }
  uint64_t round = mantissa & 3;
  mantissa >>= 2;
  round |= mantissa & 1;  // ties to even
  exp += 2;
  if (round == 3) {
    ++mantissa;
    if (mantissa == (uint64_t{1} << (1 + kMantBits))) {
      mantissa >>= 1;
      ++exp;
    }
  }
  if ((mantissa >> kMantBits) == 0) {  // zero or subnormal
    exp = kBias;
  }
  if (exp > kMaxExp) {
    return std::nullopt;  // Go: ±Inf with a range error
  }
  uint64_t bits = mantissa & ((uint64_t{1} << kMantBits) - 1);
  bits |= static_cast<uint64_t>((exp - kBias) & 0x7ff) << kMantBits;
  if (negative) {
    bits |= uint64_t{1} << 63;
  }
  return std::bit_cast<double>(bits);
}

}  // namespace

std::optional<double> ParseGoFloat(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::string_view body = text;
  bool negative = false;
  const bool has_sign = body[0] == '+' || body[0] == '-';
  if (has_sign) {
    negative = body[0] == '-';
    body.remove_prefix(1);
    if (body.empty()) {
      return std::nullopt;
    }
  }
  const char first = body[0];
  if (IsDigit(first) || first == '.' || first == '_') {
    if (body.size() > 2 && first == '0' && Lower(body[1]) == 'x') {
      return ParseHex(text, body.substr(2), negative);
    }
    return ParseDecimal(text, body, negative);
  }
  return ParseSpecial(body, has_sign, negative);
}

std::optional<int64_t> ParseGoInt64(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    text.remove_prefix(1);
    if (text.empty()) {
      return std::nullopt;
    }
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t value = 0;
  for (const char c : text) {
    if (!IsDigit(c)) {
      return std::nullopt;
    }
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (limit - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  // Unsigned negation is modular, and the conversion to int64 is well defined since C++20.
  return static_cast<int64_t>(negative ? 0 - value : value);
}

}  // namespace sidecar::statsd::internal
