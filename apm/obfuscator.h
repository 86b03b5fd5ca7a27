// File: apm/obfuscator.h
//
// Per-span obfuscation (apm.md §5): every rule of the table applied in place to one span, chosen
// by span type and meta key, with the Agent's defaults. Used by the trace pipeline after
// normalization, and by the stats path for resources of client-computed stats groups.
//
//   Obfuscator obfuscator(ObfuscationConfig{});  // from DD_APM_OBFUSCATION_* (§9)
//   obfuscator.ObfuscateSpan(span);
//
// Rules, in order:
//   1. credit cards (on by default): meta values and string span-event attributes that look like a
//      card number become `?`, except exempt keys (credit_cards.h) and credit_cards_keep_values;
//   2. remove_stack_traces: meta `error.stack` becomes `?`;
//   3. by span type:
//      - sql, cassandra: resource obfuscated (sql_obfuscator.h) and copied to meta `sql.query`
//        (+ `sql.tables` with table_names); meta `db.statement` / `db.query.text` obfuscated too;
//        a query that does not tokenize becomes `Non-parsable SQL query` (O6);
//      - redis, valkey: resource quantized (O4); `<type>.raw_command` args hidden (O5);
//      - memcached: `memcached.command` emptied, or cut to its first line with keep_command (O7);
//      - web, http: `http.url` userinfo/query/digits (O8);
//      - mongodb: `mongodb.query`; elasticsearch, opensearch: `elasticsearch.body` and
//        `opensearch.body` (JSON values, ObfuscateJson in json_obfuscator.h).
//
// Thread-safety: ObfuscateSpan may run on several threads at once (the SQL result cache locks).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "apm/json_obfuscator.h"
#include "apm/sql_obfuscator.h"
#include "apm/trace_types.h"

namespace sidecar::apm {

// Resource / `sql.query` of a span whose SQL does not tokenize (O6).
inline constexpr std::string_view kNonParsableSql = "Non-parsable SQL query";

struct ObfuscationConfig {  // defaults = the Agent's defaults (§5)
  // DD_APM_OBFUSCATION_HTTP_REMOVE_QUERY_STRING.
  bool http_remove_query_string = false;
  // DD_APM_OBFUSCATION_HTTP_REMOVE_PATHS_WITH_DIGITS.
  bool http_remove_paths_with_digits = false;
  // DD_APM_OBFUSCATION_REDIS_ENABLED: obfuscate redis.raw_command args.
  bool redis_enabled = true;
  // DD_APM_OBFUSCATION_REDIS_REMOVE_ALL_ARGS.
  bool redis_remove_all_args = false;
  // DD_APM_OBFUSCATION_MEMCACHED_ENABLED.
  bool memcached_enabled = true;
  // DD_APM_OBFUSCATION_MEMCACHED_KEEP_COMMAND.
  bool memcached_keep_command = false;
  // DD_APM_OBFUSCATION_CREDIT_CARDS_ENABLED.
  bool credit_cards_enabled = true;
  // DD_APM_OBFUSCATION_CREDIT_CARDS_LUHN.
  bool credit_cards_luhn = false;
  // DD_APM_OBFUSCATION_CREDIT_CARDS_KEEP_VALUES: extra keys never checked.
  std::vector<std::string> credit_cards_keep_values;
  // DD_APM_OBFUSCATION_REMOVE_STACK_TRACES.
  bool remove_stack_traces = false;
  // DD_APM_FEATURES keep_sql_alias.
  bool sql_keep_alias = false;
  // DD_APM_FEATURES dollar_quoted_func.
  bool sql_dollar_quoted_func = false;
  // DD_APM_FEATURES table_names: meta `sql.tables`.
  bool sql_table_names = false;
  // DD_APM_FEATURES quantize_sql_tables / replace_sql_digits.
  bool sql_replace_digits = false;
  // DD_APM_OBFUSCATION_MONGODB_ENABLED / _KEEP_VALUES: `mongodb.query` JSON values.
  bool mongodb_enabled = true;
  std::vector<std::string> mongodb_keep_values;
  // DD_APM_OBFUSCATION_ELASTICSEARCH_ENABLED / _KEEP_VALUES: `elasticsearch.body`.
  bool elasticsearch_enabled = true;
  std::vector<std::string> elasticsearch_keep_values;
  // DD_APM_OBFUSCATION_OPENSEARCH_ENABLED / _KEEP_VALUES: `opensearch.body`.
  bool opensearch_enabled = true;
  std::vector<std::string> opensearch_keep_values;
  // DD_APM_OBFUSCATION_CACHE_MAX_SIZE: bytes of SQL results kept for repeated queries; 0 turns
  // the cache off. The Agent's default is 5 MB.
  size_t sql_cache_max_bytes = 5'000'000;
  // Tokenize with the dialect named by meta `db.type` (PostgreSQL JSON operators, MSSQL #temp).
  // Off like the Agent's default obfuscation mode, which keeps span resources identical to the
  // resources of client-computed stats (those carry no db.type).
  bool sql_dialect_from_db_type = false;
};

class Obfuscator {
 public:
  explicit Obfuscator(ObfuscationConfig config);
  ~Obfuscator();
  Obfuscator(Obfuscator&&) noexcept;
  Obfuscator& operator=(Obfuscator&&) noexcept;

  // Applies every rule above to one span in place.
  void ObfuscateSpan(Span& span) const;

  // For APM stats groups (§5 last line): SQL obfuscation for sql/cassandra (or
  // kNonParsableSql), quantization for redis/valkey, the resource unchanged otherwise.
  std::string ObfuscateStatsResource(std::string_view span_type, std::string_view resource) const;

 private:
  void ObfuscateCreditCards(Span& span) const;
  bool IsCheckedForCards(const std::string& key) const;
  void ObfuscateSqlSpan(Span& span) const;
  SqlOptions SqlOptionsFor(std::string_view db_type) const;
  // ObfuscateSql through the cache.
  absl::StatusOr<SqlObfuscationResult> ObfuscateSqlCached(std::string_view query,
                                                          const SqlOptions& options) const;

  class SqlCache;

  ObfuscationConfig config_;
  absl::flat_hash_set<std::string> keep_values_;  // credit cards
  absl::flat_hash_set<std::string> mongodb_keep_;
  absl::flat_hash_set<std::string> elasticsearch_keep_;
  absl::flat_hash_set<std::string> opensearch_keep_;
  std::unique_ptr<SqlCache> sql_cache_;  // null when disabled
};

}  // namespace sidecar::apm
