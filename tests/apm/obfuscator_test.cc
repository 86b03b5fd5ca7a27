#include "apm/obfuscator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "apm/redis_obfuscator.h"

namespace sidecar::apm {
namespace {

Span MakeSpan(std::string type, std::string resource) {
  Span span;
  span.set_type(std::move(type));
  span.set_resource(std::move(resource));
  return span;
}

TEST(ObfuscatorTest, SqlResourceIsObfuscatedAndCopiedToSqlQuery) {  // O1
  Span span = MakeSpan("sql", "SELECT username AS person FROM users WHERE id=4");
  Obfuscator(ObfuscationConfig{}).ObfuscateSpan(span);
  EXPECT_EQ(span.resource(), "SELECT username FROM users WHERE id = ?");
  EXPECT_EQ(span.meta().at("sql.query"), "SELECT username FROM users WHERE id = ?");
  EXPECT_EQ(span.meta().count("sql.tables"), 0u);
}

TEST(ObfuscatorTest, SqlFeaturesFromConfig) {  // O1, O2
  ObfuscationConfig config;
  config.sql_keep_alias = true;
  config.sql_dollar_quoted_func = true;
  config.sql_table_names = true;
  const Obfuscator obfuscator(config);
  Span span = MakeSpan("cassandra", "SELECT a AS b FROM users WHERE id=4");
  obfuscator.ObfuscateSpan(span);
  EXPECT_EQ(span.resource(), "SELECT a AS b FROM users WHERE id = ?");
  EXPECT_EQ(span.meta().at("sql.tables"), "users");
  span = MakeSpan("sql", "SELECT $func$SELECT 1$func$");
  obfuscator.ObfuscateSpan(span);
  EXPECT_EQ(span.resource(), "SELECT $func$SELECT ?$func$");
}

TEST(ObfuscatorTest, UnparsableSqlIsReplaced) {  // O6
  Span span = MakeSpan("sql", "SELECT 'unterminated");
  Obfuscator(ObfuscationConfig{}).ObfuscateSpan(span);
  EXPECT_EQ(span.resource(), "Non-parsable SQL query");
  EXPECT_EQ(span.meta().at("sql.query"), "Non-parsable SQL query");
}

TEST(ObfuscatorTest, EmptySqlResourceIsLeftAlone) {
  Span span = MakeSpan("sql", "");
  Obfuscator(ObfuscationConfig{}).ObfuscateSpan(span);
  EXPECT_EQ(span.resource(), "");
  EXPECT_EQ(span.meta().count("sql.query"), 0u);
}

TEST(ObfuscatorTest, SqlStatementMetaKeysAreObfuscated) {
  Span span = MakeSpan("sql", "SELECT 1");
  (*span.mutable_meta())["db.statement"] = "SELECT * FROM t WHERE name = 'bob'";
  (*span.mutable_meta())["db.query.text"] = "SELECT 'open";
  Obfuscator(ObfuscationConfig{}).ObfuscateSpan(span);
  EXPECT_EQ(span.meta().at("db.statement"), "SELECT * FROM t WHERE name = ?");
  EXPECT_EQ(span.meta().at("db.query.text"), "Non-parsable SQL query");
}

TEST(ObfuscatorTest, SqlDialectFromDbTypeIsOptIn) {
  constexpr std::string_view kQuery = "SELECT data->>'k' FROM t";
  Span span = MakeSpan("sql", std::string(kQuery));
  (*span.mutable_meta())["db.type"] = "postgresql";
  Obfuscator(ObfuscationConfig{}).ObfuscateSpan(span);
  EXPECT_EQ(span.resource(), "SELECT data ? > > ? FROM t");  // the Agent's default reading
  ObfuscationConfig config;
  config.sql_dialect_from_db_type = true;
  span.set_resource(std::string(kQuery));
  Obfuscator(config).ObfuscateSpan(span);
  EXPECT_EQ(span.resource(), "SELECT data ->> ? FROM t");
}

TEST(ObfuscatorTest, SqlCacheKeepsResultsPerDialect) {
  ObfuscationConfig config;
  config.sql_dialect_from_db_type = true;
  const Obfuscator obfuscator(config);
  for (int round = 0; round < 2; ++round) {  // the second round is served from the cache
    Span postgres = MakeSpan("sql", "SELECT data->>'k' FROM t");
    (*postgres.mutable_meta())["db.type"] = "postgresql";
    Span mysql = MakeSpan("sql", "SELECT data->>'k' FROM t");
    (*mysql.mutable_meta())["db.type"] = "mysql";
    obfuscator.ObfuscateSpan(postgres);
    obfuscator.ObfuscateSpan(mysql);
    EXPECT_EQ(postgres.resource(), "SELECT data ->> ? FROM t");
    EXPECT_EQ(mysql.resource(), "SELECT data ? > > ? FROM t");
  }
}

TEST(ObfuscatorTest, TinyOrDisabledSqlCacheStillObfuscates) {
  for (const size_t max_bytes : {size_t{0}, size_t{200}, size_t{5'000'000}}) {
    ObfuscationConfig config;
    config.sql_cache_max_bytes = max_bytes;
    config.sql_table_names = true;
    Obfuscator obfuscator(config);
    const Obfuscator moved = std::move(obfuscator);
    for (int i = 0; i < 50; ++i) {
      const std::string table = "t" + std::to_string(i % 7);
      Span span = MakeSpan("sql", "SELECT * FROM " + table + " WHERE id = " + std::to_string(i));
      moved.ObfuscateSpan(span);
      EXPECT_EQ(span.resource(), "SELECT * FROM " + table + " WHERE id = ?");
      EXPECT_EQ(span.meta().at("sql.tables"), table);
    }
  }
}

TEST(ObfuscatorTest, MongoAndSearchBodies) {
  ObfuscationConfig config;
  config.elasticsearch_keep_values = {"index"};
  config.opensearch_enabled = false;
  const Obfuscator obfuscator(config);
  Span mongo = MakeSpan("mongodb", "find");
  (*mongo.mutable_meta())["mongodb.query"] = R"({"name": "bob"})";
  obfuscator.ObfuscateSpan(mongo);
  EXPECT_EQ(mongo.meta().at("mongodb.query"), R"({"name":"?"})");

  Span search = MakeSpan("opensearch", "GET /_search");
  (*search.mutable_meta())["elasticsearch.body"] = R"({"index": "logs", "q": "bob"})";
  (*search.mutable_meta())["opensearch.body"] = R"({"q": "bob"})";
  obfuscator.ObfuscateSpan(search);
  EXPECT_EQ(search.meta().at("elasticsearch.body"), R"({"index":"logs","q":"?"})");
  EXPECT_EQ(search.meta().at("opensearch.body"), R"({"q": "bob"})");  // disabled
}

TEST(ObfuscatorTest, RedisResourceIsQuantizedAndRawCommandObfuscated) {  // O4, O5
  Span span = MakeSpan("redis", "SET toto tata \n \n  EXPIRE toto 15  ");
  (*span.mutable_meta())["redis.raw_command"] = "AUTH my-secret-password";
  Obfuscator(ObfuscationConfig{}).ObfuscateSpan(span);
  EXPECT_EQ(span.resource(), "SET EXPIRE");
  EXPECT_EQ(span.meta().at("redis.raw_command"), "AUTH ?");

  Span valkey = MakeSpan("valkey", "get k");
  (*valkey.mutable_meta())["valkey.raw_command"] = "SET key value";
  ObfuscationConfig remove_all;
  remove_all.redis_remove_all_args = true;
  Obfuscator(remove_all).ObfuscateSpan(valkey);
  EXPECT_EQ(valkey.resource(), "GET");
  EXPECT_EQ(valkey.meta().at("valkey.raw_command"), "SET ?");
}

TEST(ObfuscatorTest, RedisRawCommandKeptWhenDisabled) {
  ObfuscationConfig config;
  config.redis_enabled = false;
  Span span = MakeSpan("redis", "SET k v");
  (*span.mutable_meta())["redis.raw_command"] = "SET k v";
  Obfuscator(config).ObfuscateSpan(span);
  EXPECT_EQ(span.resource(), "SET");
  EXPECT_EQ(span.meta().at("redis.raw_command"), "SET k v");
}

TEST(ObfuscatorTest, MemcachedCommand) {  // O7
  Span span = MakeSpan("memcached", "set");
  (*span.mutable_meta())["memcached.command"] = "set k 0 0 5\r\nhello";
  Span keep = span;
  Obfuscator(ObfuscationConfig{}).ObfuscateSpan(span);
  EXPECT_EQ(span.meta().at("memcached.command"), "");

  ObfuscationConfig config;
  config.memcached_keep_command = true;
  Obfuscator(config).ObfuscateSpan(keep);
  EXPECT_EQ(keep.meta().at("memcached.command"), "set k 0 0 5");

  config.memcached_enabled = false;
  config.memcached_keep_command = false;
  Span untouched = MakeSpan("memcached", "set");
  (*untouched.mutable_meta())["memcached.command"] = "set k 0 0 5\r\nhello";
  Obfuscator(config).ObfuscateSpan(untouched);
  EXPECT_EQ(untouched.meta().at("memcached.command"), "set k 0 0 5\r\nhello");
}

TEST(ObfuscatorTest, HttpUrl) {  // O8
  ObfuscationConfig config;
  config.http_remove_query_string = true;
  config.http_remove_paths_with_digits = true;
  Span span = MakeSpan("web", "GET /");
  (*span.mutable_meta())["http.url"] = "http://user:password@foo.com/1/2/3?q=james";
  Span defaults = span;
  Obfuscator(config).ObfuscateSpan(span);
  EXPECT_EQ(span.meta().at("http.url"), "http://foo.com/?/?/??");
  Obfuscator(ObfuscationConfig{}).ObfuscateSpan(defaults);
  EXPECT_EQ(defaults.meta().at("http.url"), "http://foo.com/1/2/3?q=james");
  // Other span types keep their URL.
  Span other = MakeSpan("custom", "x");
  (*other.mutable_meta())["http.url"] = "http://user:password@foo.com/";
  Obfuscator(config).ObfuscateSpan(other);
  EXPECT_EQ(other.meta().at("http.url"), "http://user:password@foo.com/");
}

TEST(ObfuscatorTest, CreditCardsInMetaAndSpanEvents) {  // O9
  Span span = MakeSpan("custom", "x");
  auto& meta = *span.mutable_meta();
  meta["payment.card"] = "4111 1111 1111 1111";
  meta["http.status_code"] = "4111111111111111";
  meta["_dd.x"] = "4111111111111111";
  meta["short"] = "12345";
  meta["kept"] = "4111111111111111";
  datadog::trace::SpanEvent* event = span.add_spanevents();
  auto& string_attr = (*event->mutable_attributes())["card"];
  string_attr.set_type(datadog::trace::AttributeAnyValue::STRING_VALUE);
  string_attr.set_string_value("4111111111111111");
  auto& array_attr = (*event->mutable_attributes())["cards"];
  array_attr.set_type(datadog::trace::AttributeAnyValue::ARRAY_VALUE);
  auto* element = array_attr.mutable_array_value()->add_values();
  element->set_type(datadog::trace::AttributeArrayValue::STRING_VALUE);
  element->set_string_value("5555555555554444");

  ObfuscationConfig config;
  config.credit_cards_keep_values = {"kept"};
  Obfuscator(config).ObfuscateSpan(span);
  EXPECT_EQ(meta.at("payment.card"), "?");
  EXPECT_EQ(meta.at("http.status_code"), "4111111111111111");
  EXPECT_EQ(meta.at("_dd.x"), "4111111111111111");
  EXPECT_EQ(meta.at("short"), "12345");
  EXPECT_EQ(meta.at("kept"), "4111111111111111");
  EXPECT_EQ(event->attributes().at("card").string_value(), "?");
  EXPECT_EQ(event->attributes().at("cards").array_value().values(0).string_value(), "?");
}

TEST(ObfuscatorTest, CreditCardsOffAndLuhn) {
  Span span = MakeSpan("custom", "x");
  (*span.mutable_meta())["card"] = "4111111111111112";  // fails Luhn
  Span copy = span;
  ObfuscationConfig off;
  off.credit_cards_enabled = false;
  Obfuscator(off).ObfuscateSpan(span);
  EXPECT_EQ(span.meta().at("card"), "4111111111111112");
  ObfuscationConfig luhn;
  luhn.credit_cards_luhn = true;
  Obfuscator(luhn).ObfuscateSpan(copy);
  EXPECT_EQ(copy.meta().at("card"), "4111111111111112");
}

TEST(ObfuscatorTest, StackTracesRemovedOnlyWhenConfigured) {
  Span span = MakeSpan("web", "GET /");
  (*span.mutable_meta())["error.stack"] = "at foo (bar.js:1:2)";
  Span copy = span;
  Obfuscator(ObfuscationConfig{}).ObfuscateSpan(span);
  EXPECT_EQ(span.meta().at("error.stack"), "at foo (bar.js:1:2)");
  ObfuscationConfig config;
  config.remove_stack_traces = true;
  Obfuscator(config).ObfuscateSpan(copy);
  EXPECT_EQ(copy.meta().at("error.stack"), "?");
}

TEST(ObfuscatorTest, StatsResources) {
  const Obfuscator obfuscator(ObfuscationConfig{});
  EXPECT_EQ(obfuscator.ObfuscateStatsResource("sql", "SELECT * FROM t WHERE id IN (1, 2)"),
            "SELECT * FROM t WHERE id IN ( ? )");
  EXPECT_EQ(obfuscator.ObfuscateStatsResource("cassandra", "SELECT 'x"), "Non-parsable SQL query");
  EXPECT_EQ(obfuscator.ObfuscateStatsResource("redis", "get k\nset k v"), "GET SET");
  EXPECT_EQ(obfuscator.ObfuscateStatsResource("web", "GET /users/1"), "GET /users/1");
}

std::map<std::string, std::string> SortedMeta(const Span& span) {
  return {span.meta().begin(), span.meta().end()};
}

// Untrusted span text: random mixes of the characters every tokenizer reacts to must never crash,
// hang or trip the sanitizers, and must give deterministic results.
TEST(ObfuscatorTest, RandomInputsAreHandled) {
  constexpr std::string_view kAlphabet =
      "abnulrt0189xX.eE+-*/#$@:;,=()[]{}<>!~?%|&^'\"` \t\r\n_\xc3\xa9\xff\xf0\x9f";
  std::mt19937 random(12345);  // fixed seed: reproducible
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 64);
  ObfuscationConfig config;
  config.sql_dollar_quoted_func = true;
  config.sql_table_names = true;
  config.sql_replace_digits = true;
  config.sql_dialect_from_db_type = true;
  config.http_remove_paths_with_digits = true;
  const Obfuscator obfuscator(config);
  int parsed = 0;
  for (int i = 0; i < 2500; ++i) {
    std::string text;
    const int n = length(random);
    for (int j = 0; j < n; ++j) {
      text.push_back(kAlphabet[pick(random)]);
    }
    for (const char* type : {"sql", "redis", "memcached", "web", "mongodb", "elasticsearch"}) {
      Span span = MakeSpan(type, text);
      auto& meta = *span.mutable_meta();
      meta["db.type"] = i % 3 == 0 ? "postgresql" : (i % 3 == 1 ? "mssql" : "mysql");
      meta["redis.raw_command"] = text;
      meta["memcached.command"] = text;
      meta["http.url"] = text;
      meta["mongodb.query"] = text;
      meta["elasticsearch.body"] = text;
      meta["card"] = text;
      Span again = span;
      obfuscator.ObfuscateSpan(span);
      obfuscator.ObfuscateSpan(again);
      ASSERT_EQ(span.resource(), again.resource()) << text;
      ASSERT_EQ(SortedMeta(span), SortedMeta(again)) << text;
    }
    parsed += obfuscator.ObfuscateStatsResource("sql", text) != kNonParsableSql ? 1 : 0;
    EXPECT_EQ(ObfuscateRedisRawCommand(text, true).size() <= text.size() + 2, true) << text;
  }
  EXPECT_GT(parsed, 0);  // the generator does reach the happy path
}

}  // namespace
}  // namespace sidecar::apm
