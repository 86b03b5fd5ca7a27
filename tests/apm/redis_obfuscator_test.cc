#include "apm/redis_obfuscator.h"

#include <gtest/gtest.h>

#include <string>

namespace sidecar::apm {
namespace {

struct RedisCase {
  const char* input;
  const char* expected;
};

class RedisQuantizeTest : public ::testing::TestWithParam<RedisCase> {};

TEST_P(RedisQuantizeTest, KeepsCommandNames) {
  EXPECT_EQ(QuantizeRedis(GetParam().input), GetParam().expected) << GetParam().input;
}

// O4, plus the rest of the Agent's quantizer table.
INSTANTIATE_TEST_SUITE_P(
    AgentTable, RedisQuantizeTest,
    ::testing::Values(
        RedisCase{"get my_key", "GET"}, RedisCase{"CONFIG SET parameter value", "CONFIG SET"},
        RedisCase{"SET toto tata \n \n  EXPIRE toto 15  ", "SET EXPIRE"},
        RedisCase{"MULTI\nSET k1 v1\nSET k2 v2\nSET k3 v3\nSET k4 v4\nDEL to_del\nEXEC",
                  "MULTI SET SET ..."},
        RedisCase{"GET...", "..."}, RedisCase{"UNKNOWN 123", "UNKNOWN"},
        RedisCase{"CLIENT", "CLIENT"}, RedisCase{"CLIENT LIST", "CLIENT LIST"},
        RedisCase{"SET le_key le_value", "SET"},
        RedisCase{"\n\n  \nSET foo bar  \n  \n\n  ", "SET"},
        RedisCase{"MSET toto tata toto tata toto tata \n ", "MSET"}, RedisCase{"GET k...", "GET"},
        RedisCase{"GET k1\nGET k2\nG...", "GET GET ..."},
        RedisCase{"GET k1\nGET k2\nDEL k3\nGET k...", "GET GET DEL ..."},
        RedisCase{"GET k...\nDEL k2\nMS...", "GET DEL ..."},
        RedisCase{"GET k...\nDE...\nMS...", "GET ..."},
        RedisCase{"GET k1\nDE...\nGET k2", "GET GET"},
        RedisCase{"GET k1\nDE...\nGET k2\nHDEL k3 a\nGET k4\nDEL k5", "GET GET HDEL ..."},
        RedisCase{"CONFIG SE...", "..."}, RedisCase{"", ""}));

class RedisRawCommandTest : public ::testing::TestWithParam<RedisCase> {};

TEST_P(RedisRawCommandTest, HidesValueArguments) {
  EXPECT_EQ(ObfuscateRedisRawCommand(GetParam().input, false), GetParam().expected)
      << GetParam().input;
}

// O5, plus the rest of the Agent's raw command table.
INSTANTIATE_TEST_SUITE_P(
    AgentTable, RedisRawCommandTest,
    ::testing::Values(
        RedisCase{"AUTH my-secret-password", "AUTH ?"}, RedisCase{"SET key value", "SET key ?"},
        RedisCase{"HMSET key field value field value", "HMSET key field ? field ?"},
        RedisCase{"GEOADD key longitude latitude member", "GEOADD key longitude latitude ?"},
        RedisCase{"CONFIG foo bar baz", "CONFIG foo bar baz"},
        RedisCase{"AUTH james my-secret-password", "AUTH ?"}, RedisCase{"AUTH", "AUTH"},
        RedisCase{"APPEND key value", "APPEND key ?"},
        RedisCase{"SET key value [expiration EX seconds|PX milliseconds] [NX|XX]",
                  "SET key ? [expiration EX seconds|PX milliseconds] [NX|XX]"},
        RedisCase{"BITFIELD key GET type offset SET type offset value INCRBY type",
                  "BITFIELD key GET type offset SET type offset ? INCRBY type"},
        RedisCase{"BITFIELD key SET type offset", "BITFIELD key SET type offset"},
        RedisCase{"CONFIG SET parameter value", "CONFIG SET parameter ?"},
        RedisCase{"GEOADD key longitude latitude member longitude latitude member",
                  "GEOADD key longitude latitude ? longitude latitude ?"},
        RedisCase{"GEOADD key longitude latitude", "GEOADD key longitude latitude"},
        RedisCase{"GEOHASH key\nGEOPOS key\n GEODIST key", "GEOHASH key\nGEOPOS key\nGEODIST key"},
        RedisCase{"GEOHASH key member member member\nGEOPOS key member member \n  GEODIST key "
                  "member member member",
                  "GEOHASH key ?\nGEOPOS key ?\nGEODIST key ?"},
        RedisCase{"LPUSH key value [value ...]", "LPUSH key ?"},
        RedisCase{"HSET key field value \nHSETNX key field value\nBLAH",
                  "HSET key field ?\nHSETNX key field ?\nBLAH"},
        RedisCase{"HSET key field1 value field2 value", "HSET key field1 ? field2 ?"},
        RedisCase{"LINSERT key BEFORE pivot value", "LINSERT key BEFORE pivot ?"},
        RedisCase{"RESTORE key ttl serialized-value [REPLACE]", "RESTORE key ttl ? [REPLACE]"},
        RedisCase{"HMSET key field value \n HMSET key field value\n\n ",
                  "HMSET key field ?\nHMSET key field ?"},
        RedisCase{"MSET key value key value", "MSET key ? key ?"},
        RedisCase{"MSET\nMSET key value", "MSET\nMSET key ?"},
        RedisCase{"ZADD key NX CH INCR score member score member",
                  "ZADD key NX CH INCR score ? score ?"},
        RedisCase{"ZADD key XX INCR score", "ZADD key XX INCR score"},
        RedisCase{"\nCONFIG command\nSET k v\n\t\t\t", "CONFIG command\nSET k ?"},
        RedisCase{"SET k \"quoted value\nwith newline\"", "SET k ?"},
        RedisCase{"SET \"k \\\" x\" v", "SET \"k \\\" x\" ?"}, RedisCase{"", ""},
        // Arguments are pieces of the input: escapes, quotes and inner tabs stay as they were.
        RedisCase{"SET k \"a\\\\\" v", "SET k ? v"},
        RedisCase{"GET key\t\tmore", "GET key\t\tmore"},
        RedisCase{"SET k \"unterminated value", "SET k ?"},
        RedisCase{"APPEND  \t key value\nGET", "APPEND key ?\nGET"}));

TEST(RedisRawCommandTest, RemoveAllArgsKeepsOnlyTheCommand) {
  EXPECT_EQ(ObfuscateRedisRawCommand("SET key value", true), "SET ?");
  EXPECT_EQ(ObfuscateRedisRawCommand("GET", true), "GET");
  EXPECT_EQ(ObfuscateRedisRawCommand("", true), "");
  EXPECT_EQ(ObfuscateRedisRawCommand("FAKECMD key value hash", true), "FAKECMD ?");
  EXPECT_EQ(ObfuscateRedisRawCommand("CONFIG SET key value", true), "CONFIG SET ?");
  EXPECT_EQ(ObfuscateRedisRawCommand("CONFIG get key", true), "CONFIG get ?");
  EXPECT_EQ(ObfuscateRedisRawCommand("config key", true), "config ?");
  EXPECT_EQ(ObfuscateRedisRawCommand("BITFIELD key SET key value GET key", true),
            "BITFIELD ? SET ? GET ?");
  EXPECT_EQ(ObfuscateRedisRawCommand("bitfield key SET key value incrby 3", true),
            "bitfield ? SET ? incrby ?");
}

}  // namespace
}  // namespace sidecar::apm
