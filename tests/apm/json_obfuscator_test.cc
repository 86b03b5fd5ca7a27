// ObfuscateJson (apm/json_obfuscator.h): the JSON rule of apm.md §5 for MongoDB queries and
// Elasticsearch / OpenSearch bodies.
#include "apm/json_obfuscator.h"

#include <gtest/gtest.h>

#include <string>

namespace sidecar::apm {
namespace {

TEST(JsonObfuscatorTest, ReplacesEveryScalar) {
  EXPECT_EQ(
      ObfuscateJson(R"( { "query": { "multi_match" : { "query" : "guide", "fields" : ["_all", )"
                    R"({ "key": "value", "other": ["1", "2", {"k": "v"}] }, "2"] } } } )",
                    {}),
      R"({"query":{"multi_match":{"query":"?","fields":["?",{"key":"?","other":["?","?",)"
      R"({"k":"?"}]},"?"]}}} )");
  EXPECT_EQ(ObfuscateJson(R"({"find": "users", "filter": {"age": {"$gt": 21.5e3}, "ok": true, )"
                          R"("x": null, "n": -0, "e": "\u00e9\n"}})",
                          {}),
            R"({"find":"?","filter":{"age":{"$gt":"?"},"ok":"?","x":"?","n":"?","e":"?"}})");
  EXPECT_EQ(ObfuscateJson("42", {}), "\"?\"");
  EXPECT_EQ(ObfuscateJson("{}", {}), "{}");
}

TEST(JsonObfuscatorTest, KeepValuesKeepsTheWholeValueOfAKey) {
  const std::string body =
      R"( { "query": { "multi_match" : { "query" : "guide", "fields" : ["_all", )"
      R"({ "key": "value", "other": ["1", "2", {"k": "v"}] }, "2"] } } } )";
  EXPECT_EQ(ObfuscateJson(body, {"other"}),
            R"({"query":{"multi_match":{"query":"?","fields":["?",{"key":"?","other":["1","2",)"
            R"({"k":"v"}]},"?"]}}} )");
  EXPECT_EQ(ObfuscateJson(R"( {"fields" : [{"A": 1, "B": {"C": 3}}, "2"]})", {"C"}),
            R"({"fields":[{"A":"?","B":{"C":3}},"?"]})");
}

TEST(JsonObfuscatorTest, SeveralTopLevelValues) {
  EXPECT_EQ(ObfuscateJson(R"({"index":{"_index":"a"}} {"trace_id":1}
{"x": [1]})",
                          {}),
            "{\"index\":{\"_index\":\"?\"}} {\"trace_id\":\"?\"}\n{\"x\":[\"?\"]}");
}

TEST(JsonObfuscatorTest, InvalidJsonIsCutWithAnEllipsis) {
  EXPECT_EQ(ObfuscateJson(R"({"a": "secret", "b" 1})", {}), R"({"a":"?","b"...)");
  EXPECT_EQ(ObfuscateJson(R"({"a": tru)", {}), R"({"a":"?"...)");
  EXPECT_EQ(ObfuscateJson(R"({"a": "unterminated)", {}), R"({"a":"?"...)");
  EXPECT_EQ(ObfuscateJson("[1, 2", {}), "[\"?\",\"?\"...");
}

}  // namespace
}  // namespace sidecar::apm
