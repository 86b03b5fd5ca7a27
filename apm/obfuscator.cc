#include "apm/obfuscator.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "agent/common/strings.h"
#include "apm/credit_cards.h"
#include "apm/http_obfuscator.h"
#include "apm/redis_obfuscator.h"

namespace sidecar::apm {
namespace {

constexpr std::string_view kSqlQueryKey = "sql.query";
constexpr std::string_view kSqlTablesKey = "sql.tables";
constexpr std::string_view kDbTypeKey = "db.type";
constexpr std::string_view kErrorStackKey = "error.stack";
constexpr std::string_view kMemcachedCommandKey = "memcached.command";
constexpr std::string_view kHttpUrlKey = "http.url";

using MetaMap = google::protobuf::Map<std::string, std::string>;

// The value under `key` when present and non-empty, else null.
std::string* NonEmptyMeta(MetaMap& meta, std::string_view key) {
  const auto it = meta.find(std::string(key));
  if (it == meta.end() || it->second.empty()) {
    return nullptr;
  }
  return &it->second;
}

std::string MemcachedCommand(std::string_view command, bool keep_command) {
  if (!keep_command) {
    return "";
  }
  // A storage command's data block follows the first CRLF.
  const size_t end = command.find("\r\n");
  return std::string(common::TrimAsciiSpace(command.substr(0, end)));
}

// --- JSON (MongoDB queries, Elasticsearch/OpenSearch bodies) ---------------------------------

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

// Results of recent SQL obfuscations, bounded by bytes. When an entry does not fit, the whole
// cache is emptied: simple, bounded, and repeated queries refill it within a flush interval.
class Obfuscator::SqlCache {
 public:
  explicit SqlCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  std::optional<SqlObfuscationResult> Get(const std::string& key) const {
    absl::MutexLock lock(&mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end()) {
      return std::nullopt;
    }
    return it->second;
  }

  void Put(const std::string& key, const SqlObfuscationResult& result) {
    // Key, value and a rough per-entry overhead of the map node and strings.
    const size_t cost = key.size() + result.query.size() + result.tables_csv.size() + 128;
    if (cost > max_bytes_) {
      return;
    }
    absl::MutexLock lock(&mutex_);
    if (bytes_ + cost > max_bytes_) {
      entries_.clear();
      bytes_ = 0;
    }
    if (entries_.try_emplace(key, result).second) {
      bytes_ += cost;
    }
  }

 private:
  const size_t max_bytes_;
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<std::string, SqlObfuscationResult> entries_ ABSL_GUARDED_BY(mutex_);
  size_t bytes_ ABSL_GUARDED_BY(mutex_) = 0;
};

Obfuscator::Obfuscator(ObfuscationConfig config) : config_(std::move(config)) {
  keep_values_.insert(config_.credit_cards_keep_values.begin(),
                      config_.credit_cards_keep_values.end());
  mongodb_keep_.insert(config_.mongodb_keep_values.begin(), config_.mongodb_keep_values.end());
  elasticsearch_keep_.insert(config_.elasticsearch_keep_values.begin(),
                             config_.elasticsearch_keep_values.end());
  opensearch_keep_.insert(config_.opensearch_keep_values.begin(),
                          config_.opensearch_keep_values.end());
  if (config_.sql_cache_max_bytes > 0) {
    sql_cache_ = std::make_unique<SqlCache>(config_.sql_cache_max_bytes);
  }
}

Obfuscator::~Obfuscator() = default;
Obfuscator::Obfuscator(Obfuscator&&) noexcept = default;
Obfuscator& Obfuscator::operator=(Obfuscator&&) noexcept = default;

absl::StatusOr<SqlObfuscationResult> Obfuscator::ObfuscateSqlCached(
    std::string_view query, const SqlOptions& options) const {
  if (sql_cache_ == nullptr) {
    return ObfuscateSql(query, options);
  }
  // Only the dialect varies between calls of one Obfuscator; the other options are fixed.
  std::string key;
  key.reserve(query.size() + 1);
  key.push_back(static_cast<char>('0' + static_cast<int>(options.dbms)));
  key.append(query);
  if (std::optional<SqlObfuscationResult> hit = sql_cache_->Get(key); hit.has_value()) {
    return *std::move(hit);
  }
  absl::StatusOr<SqlObfuscationResult> result = ObfuscateSql(query, options);
  if (result.ok()) {  // like the Agent, failures are not cached
    sql_cache_->Put(key, *result);
  }
  return result;
}

bool Obfuscator::IsCheckedForCards(const std::string& key) const {
  return !IsCreditCardExemptKey(key) && !keep_values_.contains(key);
}

void Obfuscator::ObfuscateCreditCards(Span& span) const {
  for (auto& [key, value] : *span.mutable_meta()) {
    if (IsCheckedForCards(key) && IsCardNumber(value, config_.credit_cards_luhn)) {
      value = "?";
    }
  }
  for (datadog::trace::SpanEvent& event : *span.mutable_spanevents()) {
    for (auto& [key, attribute] : *event.mutable_attributes()) {
      if (!IsCheckedForCards(key)) {
        continue;
      }
      if (attribute.type() == datadog::trace::AttributeAnyValue::STRING_VALUE) {
        if (IsCardNumber(attribute.string_value(), config_.credit_cards_luhn)) {
          attribute.set_string_value("?");
        }
        continue;
      }
      if (attribute.type() != datadog::trace::AttributeAnyValue::ARRAY_VALUE) {
        continue;
      }
      for (datadog::trace::AttributeArrayValue& element :
           *attribute.mutable_array_value()->mutable_values()) {
        if (element.type() == datadog::trace::AttributeArrayValue::STRING_VALUE &&
            IsCardNumber(element.string_value(), config_.credit_cards_luhn)) {
          element.set_string_value("?");
        }
      }
    }
  }
}

SqlOptions Obfuscator::SqlOptionsFor(std::string_view db_type) const {
  SqlOptions options;
  options.keep_alias = config_.sql_keep_alias;
  options.dollar_quoted_func = config_.sql_dollar_quoted_func;
  options.table_names = config_.sql_table_names;
  options.replace_digits = config_.sql_replace_digits;
  if (config_.sql_dialect_from_db_type) {
    options.dbms = SqlDbmsFromDbType(db_type);
  }
  return options;
}

void Obfuscator::ObfuscateSqlSpan(Span& span) const {
  MetaMap& meta = *span.mutable_meta();
  std::string_view db_type;
  if (const std::string* type = NonEmptyMeta(meta, kDbTypeKey); type != nullptr) {
    db_type = *type;
  }
  const SqlOptions options = SqlOptionsFor(db_type);

  if (!span.resource().empty()) {
    absl::StatusOr<SqlObfuscationResult> result = ObfuscateSqlCached(span.resource(), options);
    if (!result.ok()) {
      // Better no query than a leaked literal (O6).
      span.set_resource(std::string(kNonParsableSql));
      meta[std::string(kSqlQueryKey)] = std::string(kNonParsableSql);
    } else {
      if (!result->tables_csv.empty()) {
        meta[std::string(kSqlTablesKey)] = result->tables_csv;
      }
      meta[std::string(kSqlQueryKey)] = result->query;
      span.set_resource(std::move(result->query));
    }
  }
  // OpenTelemetry-style statement keys carry the raw query too (§5).
  for (const std::string_view key : {"db.statement", "db.query.text"}) {
    std::string* statement = NonEmptyMeta(meta, key);
    if (statement == nullptr) {
      continue;
    }
    absl::StatusOr<SqlObfuscationResult> result = ObfuscateSqlCached(*statement, options);
    *statement = result.ok() ? std::move(result->query) : std::string(kNonParsableSql);
  }
}

void Obfuscator::ObfuscateSpan(Span& span) const {
  if (config_.credit_cards_enabled) {
    ObfuscateCreditCards(span);
  }
  MetaMap& meta = *span.mutable_meta();
  if (config_.remove_stack_traces) {
    if (const auto it = meta.find(std::string(kErrorStackKey)); it != meta.end()) {
      it->second = "?";
    }
  }

  const std::string& type = span.type();
  if (type == "sql" || type == "cassandra") {
    ObfuscateSqlSpan(span);
  } else if (type == "redis" || type == "valkey") {
    span.set_resource(QuantizeRedis(span.resource()));
    if (config_.redis_enabled) {
      if (std::string* raw = NonEmptyMeta(meta, type + ".raw_command"); raw != nullptr) {
        *raw = ObfuscateRedisRawCommand(*raw, config_.redis_remove_all_args);
      }
    }
  } else if (type == "memcached") {
    if (config_.memcached_enabled) {
      if (std::string* command = NonEmptyMeta(meta, kMemcachedCommandKey); command != nullptr) {
        *command = MemcachedCommand(*command, config_.memcached_keep_command);
      }
    }
  } else if (type == "mongodb") {
    if (config_.mongodb_enabled) {
      if (std::string* query = NonEmptyMeta(meta, "mongodb.query"); query != nullptr) {
        *query = ObfuscateJson(*query, mongodb_keep_);
      }
    }
  } else if (type == "elasticsearch" || type == "opensearch") {
    if (config_.elasticsearch_enabled) {
      if (std::string* body = NonEmptyMeta(meta, "elasticsearch.body"); body != nullptr) {
        *body = ObfuscateJson(*body, elasticsearch_keep_);
      }
    }
    if (config_.opensearch_enabled) {
      if (std::string* body = NonEmptyMeta(meta, "opensearch.body"); body != nullptr) {
        *body = ObfuscateJson(*body, opensearch_keep_);
      }
    }
  } else if (type == "web" || type == "http") {
    if (std::string* url = NonEmptyMeta(meta, kHttpUrlKey); url != nullptr) {
      *url = ObfuscateUrl(*url, config_.http_remove_query_string,
                          config_.http_remove_paths_with_digits);
    }
  }
}

std::string Obfuscator::ObfuscateStatsResource(std::string_view span_type,
                                               std::string_view resource) const {
  if (span_type == "sql" || span_type == "cassandra") {
    absl::StatusOr<SqlObfuscationResult> result = ObfuscateSqlCached(resource, SqlOptionsFor(""));
    return result.ok() ? std::move(result->query) : std::string(kNonParsableSql);
  }
  if (span_type == "redis" || span_type == "valkey") {
    return QuantizeRedis(resource);
  }
  return std::string(resource);
}

}  // namespace sidecar::apm
