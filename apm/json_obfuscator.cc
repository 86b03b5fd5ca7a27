#include "apm/json_obfuscator.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sidecar::apm {
namespace {

// Events of the JSON state machine, one per input byte.
enum class JsonOp {
  kContinue,
  kBeginLiteral,
  kBeginObject,
  kObjectKey,    // the byte after a key (':')
  kObjectValue,  // ',' after an object member
  kEndObject,
  kBeginArray,
  kArrayValue,  // ',' after an array element
  kEndArray,
  kSkipSpace,
  kEnd,  // whitespace after a top-level value
  kError,
};

// A byte-at-a-time JSON validator (RFC 8259 grammar) that reports structure events. Like the
// Agent's, it accepts several top-level values in a row (NDJSON bulk bodies).
class JsonScanner {
 public:
  JsonOp Step(char c) {
    switch (state_) {
      case State::kBeginValueOrEmpty:
        if (IsSpace(c)) {
          return JsonOp::kSkipSpace;
        }
        return c == ']' ? EndValue(c) : BeginValue(c);
      case State::kBeginValue:
        return BeginValue(c);
      case State::kBeginStringOrEmpty:
        if (IsSpace(c)) {
          return JsonOp::kSkipSpace;
        }
        if (c == '}' && !stack_.empty()) {
          stack_.back() = Parse::kObjectValue;
          return EndValue(c);
        }
        return BeginString(c);
      case State::kBeginString:
        return BeginString(c);
      case State::kEndValue:
        return EndValue(c);
      case State::kEndTop:
        return EndTop(c);
      case State::kInString:
        if (c == '"') {
          state_ = State::kEndValue;
        } else if (c == '\\') {
          state_ = State::kInStringEscape;
        } else if (static_cast<unsigned char>(c) < 0x20) {
          return Error();
        }
        return JsonOp::kContinue;
      case State::kInStringEscape:
        if (c == 'u') {
          state_ = State::kInStringUnicode;
          hex_digits_ = 0;
          return JsonOp::kContinue;
        }
        if (std::string_view("bfnrt\\/\"").find(c) == std::string_view::npos) {
          return Error();
        }
        state_ = State::kInString;
        return JsonOp::kContinue;
      case State::kInStringUnicode:
        if (!IsHex(c)) {
          return Error();
        }
        if (++hex_digits_ == 4) {
          state_ = State::kInString;
        }
        return JsonOp::kContinue;
      case State::kNegative:
        if (c == '0') {
          state_ = State::kZero;
          return JsonOp::kContinue;
        }
        if (c >= '1' && c <= '9') {
          state_ = State::kInteger;
          return JsonOp::kContinue;
        }
        return Error();
      case State::kInteger:
        if (IsDigit(c)) {
          return JsonOp::kContinue;
        }
        return AfterInteger(c);
      case State::kZero:
        return AfterInteger(c);
      case State::kDot:
        if (!IsDigit(c)) {
          return Error();
        }
        state_ = State::kFraction;
        return JsonOp::kContinue;
      case State::kFraction:
        if (IsDigit(c)) {
          return JsonOp::kContinue;
        }
        if (c == 'e' || c == 'E') {
          state_ = State::kExponentMark;
          return JsonOp::kContinue;
        }
        return EndValue(c);
      case State::kExponentMark:
        if (c == '+' || c == '-') {
          state_ = State::kExponentSign;
          return JsonOp::kContinue;
        }
        [[fallthrough]];
      case State::kExponentSign:
        if (!IsDigit(c)) {
          return Error();
        }
        state_ = State::kExponent;
        return JsonOp::kContinue;
      case State::kExponent:
        if (IsDigit(c)) {
          return JsonOp::kContinue;
        }
        return EndValue(c);
      case State::kLiteral:
        if (c != literal_rest_.front()) {
          return Error();
        }
        literal_rest_.remove_prefix(1);
        if (literal_rest_.empty()) {
          state_ = State::kEndValue;
        }
        return JsonOp::kContinue;
      case State::kError:
        return JsonOp::kError;
    }
    return Error();
  }

  // Whether the input may end here (a trailing number needs a delimiter to finish).
  bool EndOfInputOk() {
    if (state_ == State::kError) {
      return false;
    }
    if (end_top_) {
      return true;
    }
    Step(' ');
    return end_top_;
  }

 private:
  enum class State {
    kBeginValueOrEmpty,
    kBeginValue,
    kBeginStringOrEmpty,
    kBeginString,
    kEndValue,
    kEndTop,
    kInString,
    kInStringEscape,
    kInStringUnicode,
    kNegative,
    kInteger,
    kZero,
    kDot,
    kFraction,
    kExponentMark,
    kExponentSign,
    kExponent,
    kLiteral,
    kError,
  };
  enum class Parse : uint8_t { kObjectKey, kObjectValue, kArrayValue };

  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  static bool IsHex(char c) {
    return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  JsonOp Error() {
    state_ = State::kError;
    return JsonOp::kError;
  }

  JsonOp BeginValue(char c) {
    if (IsSpace(c)) {
      return JsonOp::kSkipSpace;
    }
    switch (c) {
      case '{':
        state_ = State::kBeginStringOrEmpty;
        stack_.push_back(Parse::kObjectKey);
        return JsonOp::kBeginObject;
      case '[':
        state_ = State::kBeginValueOrEmpty;
        stack_.push_back(Parse::kArrayValue);
        return JsonOp::kBeginArray;
      case '"':
        state_ = State::kInString;
        return JsonOp::kBeginLiteral;
      case '-':
        state_ = State::kNegative;
        return JsonOp::kBeginLiteral;
      case '0':
        state_ = State::kZero;
        return JsonOp::kBeginLiteral;
      case 't':
        return BeginLiteral("rue");
      case 'f':
        return BeginLiteral("alse");
      case 'n':
        return BeginLiteral("ull");
      default:
        if (c >= '1' && c <= '9') {
          state_ = State::kInteger;
          return JsonOp::kBeginLiteral;
        }
        return Error();
    }
  }

  JsonOp BeginLiteral(std::string_view rest) {
    state_ = State::kLiteral;
    literal_rest_ = rest;
    return JsonOp::kBeginLiteral;
  }

  JsonOp BeginString(char c) {
    if (IsSpace(c)) {
      return JsonOp::kSkipSpace;
    }
    if (c != '"') {
      return Error();
    }
    state_ = State::kInString;
    return JsonOp::kBeginLiteral;
  }

  JsonOp AfterInteger(char c) {
    if (c == '.') {
      state_ = State::kDot;
      return JsonOp::kContinue;
    }
    if (c == 'e' || c == 'E') {
      state_ = State::kExponentMark;
      return JsonOp::kContinue;
    }
    return EndValue(c);
  }

  void Pop() {
    if (stack_.size() == 1) {
      state_ = State::kEndTop;
      end_top_ = true;
      return;
    }
    stack_.pop_back();
    state_ = State::kEndValue;
  }

  JsonOp EndValue(char c) {
    if (stack_.empty()) {
      state_ = State::kEndTop;
      end_top_ = true;
      return EndTop(c);
    }
    if (IsSpace(c)) {
      state_ = State::kEndValue;
      return JsonOp::kSkipSpace;
    }
    switch (stack_.back()) {
      case Parse::kObjectKey:
        if (c == ':') {
          stack_.back() = Parse::kObjectValue;
          state_ = State::kBeginValue;
          return JsonOp::kObjectKey;
        }
        return Error();
      case Parse::kObjectValue:
        if (c == ',') {
          stack_.back() = Parse::kObjectKey;
          state_ = State::kBeginString;
          return JsonOp::kObjectValue;
        }
        if (c == '}') {
          Pop();
          return JsonOp::kEndObject;
        }
        return Error();
      case Parse::kArrayValue:
        if (c == ',') {
          state_ = State::kBeginValue;
          return JsonOp::kArrayValue;
        }
        if (c == ']') {
          Pop();
          return JsonOp::kEndArray;
        }
        return Error();
    }
    return Error();
  }

  JsonOp EndTop(char c) {
    if (IsSpace(c)) {
      return JsonOp::kEnd;
    }
    // Another top-level value follows.
    stack_.clear();
    end_top_ = false;
    state_ = State::kBeginValue;
    return Step(c);
  }

  State state_ = State::kBeginValue;
  std::vector<Parse> stack_;
  std::string_view literal_rest_;
  int hex_digits_ = 0;
  bool end_top_ = false;
};

}  // namespace

std::string ObfuscateJson(std::string_view json,
                          const absl::flat_hash_set<std::string>& keep_keys) {
  std::string out;
  out.reserve(json.size());
  JsonScanner scanner;
  std::vector<bool> closures;  // true for an object, false for an array
  std::string key;             // the object key being read
  size_t keep_depth = 0;       // nesting depth where keeping started
  bool in_key = false;
  bool wiped = false;  // `"?"` already written for the current value
  bool keeping = false;
  const auto at_value_start = [&] {
    in_key = closures.empty() || closures.back();
    wiped = false;
  };
  for (const char c : json) {
    const JsonOp op = scanner.Step(c);
    const size_t depth = closures.size();
    switch (op) {
      case JsonOp::kBeginObject:
      case JsonOp::kBeginArray:
        closures.push_back(op == JsonOp::kBeginObject);
        at_value_start();
        break;
      case JsonOp::kEndObject:
      case JsonOp::kEndArray:
        if (closures.size() > 1) {
          closures.pop_back();
        }
        [[fallthrough]];
      case JsonOp::kObjectValue:
      case JsonOp::kArrayValue:
        at_value_start();
        if (keeping && depth < keep_depth) {
          keeping = false;
        }
        break;
      case JsonOp::kBeginLiteral:
      case JsonOp::kContinue:
        if (in_key) {
          key.push_back(c);
        } else if (!keeping) {
          if (!wiped) {
            out.append("\"?\"");
            wiped = true;
          }
          continue;
        }
        break;
      case JsonOp::kObjectKey: {
        std::string_view name = key;
        while (!name.empty() && name.front() == '"') {
          name.remove_prefix(1);
        }
        while (!name.empty() && name.back() == '"') {
          name.remove_suffix(1);
        }
        if (!keeping && keep_keys.contains(std::string(name))) {
          keeping = true;
          keep_depth = depth + 1;
        }
        key.clear();
        in_key = false;
        break;
      }
      case JsonOp::kSkipSpace:
        continue;
      case JsonOp::kError:
        // Keep what was obfuscated and mark the rest as cut.
        out.append("...");
        return out;
      case JsonOp::kEnd:
        break;
    }
    out.push_back(c);
  }
  if (!scanner.EndOfInputOk()) {
    out.append("...");
  }
  return out;
}

}  // namespace sidecar::apm
