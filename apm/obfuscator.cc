#include "apm/obfuscator.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

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

// The value under `key` when present and non-empty, else null. The map is transparent: looking
// up the view builds no temporary key (one on the heap past 15 bytes, e.g. redis.raw_command).
std::string* NonEmptyMeta(MetaMap& meta, std::string_view key) {
  const auto it = meta.find(key);
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

}  // namespace

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
  return !IsCreditCardExemptKey(key) && (keep_values_.empty() || !keep_values_.contains(key));
}

void Obfuscator::ObfuscateCreditCards(Span& span) const {
  for (auto& [key, value] : *span.mutable_meta()) {
    // The value test first: it rejects almost every value at its first bytes, while the key test
    // compares against the whole exemption list.
    if (IsCardNumber(value, config_.credit_cards_luhn) && IsCheckedForCards(key)) {
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
    if (const auto it = meta.find(kErrorStackKey); it != meta.end()) {
      it->second = "?";
    }
  }

  const std::string& type = span.type();
  if (type == "sql" || type == "cassandra") {
    ObfuscateSqlSpan(span);
  } else if (type == "redis" || type == "valkey") {
    span.set_resource(QuantizeRedis(span.resource()));
    if (config_.redis_enabled) {
      const std::string_view raw_command_key =
          type == "redis" ? std::string_view("redis.raw_command") : "valkey.raw_command";
      if (std::string* raw = NonEmptyMeta(meta, raw_command_key); raw != nullptr) {
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
