#include "apm/sql_obfuscator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/status_matchers.h"

namespace sidecar::apm {
namespace {

using ::sidecar::testing::IsOk;
using ::testing::Not;

std::string Obfuscated(std::string_view query, const SqlOptions& options = {}) {
  absl::StatusOr<SqlObfuscationResult> result = ObfuscateSql(query, options);
  if (!result.ok()) {
    return "ERROR: " + std::string(result.status().message());
  }
  return result->query;
}

TEST(SqlObfuscatorTest, RemovesAliasUnlessKeepAlias) {  // O1
  constexpr std::string_view kQuery = "SELECT username AS person FROM users WHERE id=4";
  EXPECT_EQ(Obfuscated(kQuery), "SELECT username FROM users WHERE id = ?");
  SqlOptions keep;
  keep.keep_alias = true;
  EXPECT_EQ(Obfuscated(kQuery, keep), "SELECT username AS person FROM users WHERE id = ?");
}

TEST(SqlObfuscatorTest, DollarQuotedFuncIsAStringByDefault) {  // O2
  constexpr std::string_view kQuery =
      "SELECT $func$INSERT INTO table VALUES ('a', 1, 2)$func$ FROM users";
  EXPECT_EQ(Obfuscated(kQuery), "SELECT ? FROM users");
}

TEST(SqlObfuscatorTest, DollarQuotedFuncBodyIsObfuscatedWithTheFeature) {  // O2
  SqlOptions options;
  options.dollar_quoted_func = true;
  EXPECT_EQ(
      Obfuscated("SELECT $func$INSERT INTO table VALUES ('a', 1, 2)$func$ FROM users", options),
      "SELECT $func$INSERT INTO table VALUES ( ? )$func$ FROM users");
  // Other tags stay plain strings.
  EXPECT_EQ(Obfuscated("SELECT $tag$INSERT INTO t VALUES (1)$tag$", options), "SELECT ?");
}

TEST(SqlObfuscatorTest, TableValueConstructorAliasAndAutovacuum) {  // O3
  EXPECT_EQ(Obfuscated("-- Testing table value constructor SQL expression\n"
                       "SELECT * FROM (VALUES (1, 'dog')) AS d (id, animal)"),
            "SELECT * FROM ( VALUES ( ? ) ) ( id, animal )");
  EXPECT_EQ(Obfuscated("SELECT clients.* FROM clients INNER JOIN posts ON posts.author_id = "
                       "author.id AND posts.published = 't'"),
            "SELECT clients.* FROM clients INNER JOIN posts ON posts.author_id = author.id AND "
            "posts.published = ?");
  EXPECT_EQ(Obfuscated("autovacuum: VACUUM fake.big_table (to prevent wraparound)"),
            "autovacuum : VACUUM fake.big_table ( to prevent wraparound )");
  EXPECT_EQ(Obfuscated("autovacuum: VACUUM ANALYZE fake.table"),
            "autovacuum : VACUUM ANALYZE fake.table");
}

TEST(SqlObfuscatorTest, UnterminatedInputIsAnError) {  // O6
  EXPECT_THAT(ObfuscateSql("SELECT 'unterminated", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("SELECT * FROM t /* open comment", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("SELECT $$abc", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("SELECT $$abc$", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("SELECT {fn NOW()", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("-- only a comment", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("SELECT \xff", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("SELECT }", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("SELECT \U0001F952", {}), Not(IsOk()));  // emoji outside a string
  EXPECT_THAT(ObfuscateSql("SELECT 'ok \U0001F952'", {}), IsOk());
  EXPECT_THAT(ObfuscateSql("SELECT a FROM b WHERE a.x !* 2", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("SELECT %(asd)| FROM profile", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("USING $A FROM users", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("SELECT one, :.two FROM profile", {}), Not(IsOk()));
  EXPECT_THAT(ObfuscateSql("SELECT * FROM users WHERE users.id = '1 AND users.name = 'dog'", {}),
              Not(IsOk()));
}

struct SqlCase {
  const char* query;
  const char* expected;
};

class SqlQuantizerTest : public ::testing::TestWithParam<SqlCase> {};

TEST_P(SqlQuantizerTest, MatchesAgentOutput) {
  EXPECT_EQ(Obfuscated(GetParam().query), GetParam().expected) << GetParam().query;
}

// Cases from the Agent's SQL quantizer table (pkg/obfuscate sql tests), restated.
INSTANTIATE_TEST_SUITE_P(
    AgentTable, SqlQuantizerTest,
    ::testing::Values(
        SqlCase{"select * from users where id = 42", "select * from users where id = ?"},
        SqlCase{"select * from users where float = .43422", "select * from users where float = ?"},
        SqlCase{"SELECT host, status FROM ec2_status WHERE org_id=42",
                "SELECT host, status FROM ec2_status WHERE org_id = ?"},
        SqlCase{"-- get user \n--\n select * \n   from users \n    where\n       id = 214325346",
                "select * from users where id = ?"},
        SqlCase{"SELECT * FROM `host` WHERE `id` IN (42, 43) /*comment with parameters,"
                "host:localhost,url:controller#home,id:FF005:00CAA*/",
                "SELECT * FROM host WHERE id IN ( ? )"},
        SqlCase{"SELECT `host`.`address` FROM `host` WHERE org_id=42",
                "SELECT host . address FROM host WHERE org_id = ?"},
        SqlCase{R"(SELECT "host"."address" FROM "host" WHERE org_id=42)",
                "SELECT host . address FROM host WHERE org_id = ?"},
        SqlCase{"UPDATE user_dash_pref SET json_prefs = %(json_prefs)s, modified = '2015-08-27 "
                "22:10:32.492912' WHERE user_id = %(user_id)s AND url = %(url)s",
                "UPDATE user_dash_pref SET json_prefs = ? modified = ? WHERE user_id = ? AND url = "
                "?"},
        SqlCase{"SELECT DISTINCT host.id AS host_id FROM host JOIN host_alias ON "
                "host_alias.host_id = host.id WHERE host.org_id = %(org_id_1)s AND host.name NOT "
                "IN (%(name_1)s) AND host.name IN (%(name_2)s, %(name_3)s, %(name_4)s)",
                "SELECT DISTINCT host.id FROM host JOIN host_alias ON host_alias.host_id = host.id "
                "WHERE host.org_id = ? AND host.name NOT IN ( ? ) AND host.name IN ( ? )"},
        SqlCase{"SELECT org_id, metric_key   FROM metrics_metadata   WHERE org_id = %(org_id)s "
                "AND metric_key = ANY(array[21, 25, 32])",
                "SELECT org_id, metric_key FROM metrics_metadata WHERE org_id = ? AND metric_key "
                "= ANY ( array [ ? ] )"},
        SqlCase{"SELECT articles.* FROM articles WHERE articles.id = 1 LIMIT 1, 20;",
                "SELECT articles.* FROM articles WHERE articles.id = ? LIMIT ?"},
        SqlCase{"SELECT articles.* FROM articles WHERE articles.id = 1 LIMIT 15,20;",
                "SELECT articles.* FROM articles WHERE articles.id = ? LIMIT ?"},
        SqlCase{"SELECT articles.* FROM articles WHERE (articles.created_at BETWEEN $1 AND $2)",
                "SELECT articles.* FROM articles WHERE ( articles.created_at BETWEEN ? AND ? )"},
        SqlCase{"SELECT articles.* FROM articles WHERE (articles.published != true)",
                "SELECT articles.* FROM articles WHERE ( articles.published != ? )"},
        SqlCase{"SELECT articles.* FROM articles WHERE ( title = :title )",
                "SELECT articles.* FROM articles WHERE ( title = :title )"},
        SqlCase{"SELECT articles.* FROM articles WHERE ( title = @title )",
                "SELECT articles.* FROM articles WHERE ( title = @title )"},
        SqlCase{"SELECT date(created_at) as ordered_date, sum(price) as total_price FROM orders "
                "GROUP BY date(created_at) HAVING sum(price) > 100",
                "SELECT date ( created_at ), sum ( price ) FROM orders GROUP BY date ( created_at "
                ") HAVING sum ( price ) > ?"},
        SqlCase{"SELECT articles.* FROM articles WHERE articles.id IN (1, 3, 5)",
                "SELECT articles.* FROM articles WHERE articles.id IN ( ? )"},
        SqlCase{"SELECT * FROM clients WHERE (clients.first_name = 'Andy') LIMIT 15, 25 BEGIN "
                "INSERT INTO clients (created_at, first_name, locked, orders_count, updated_at) "
                "VALUES ('2011-08-30 05:22:57', 'Andy', 1, NULL, '2011-08-30 05:22:57') COMMIT",
                "SELECT * FROM clients WHERE ( clients.first_name = ? ) LIMIT ? BEGIN INSERT INTO "
                "clients ( created_at, first_name, locked, orders_count, updated_at ) VALUES ( ? ) "
                "COMMIT"},
        SqlCase{"SAVEPOINT \"s139956586256192_x1\"", "SAVEPOINT ?"},
        SqlCase{"INSERT INTO user (id, username) VALUES ('Fred','Smith'), ('John','Smith'), "
                "('Michael','Smith'), ('Robert','Smith');",
                "INSERT INTO user ( id, username ) VALUES ( ? )"},
        SqlCase{"CREATE KEYSPACE Excelsior WITH replication = {'class': 'SimpleStrategy', "
                "'replication_factor' : 3};",
                "CREATE KEYSPACE Excelsior WITH replication = ?"},
        SqlCase{
            R"(SELECT "webcore_page"."id" FROM "webcore_page" WHERE "webcore_page"."slug" = %s ORDER BY "webcore_page"."path" ASC LIMIT 1)",
            "SELECT webcore_page . id FROM webcore_page WHERE webcore_page . slug = ? ORDER "
            "BY webcore_page . path ASC LIMIT ?"},
        SqlCase{"SELECT server_table.host AS host_id FROM table#.host_tags as server_table WHERE "
                "server_table.host_id = 50",
                "SELECT server_table.host FROM table#.host_tags WHERE server_table.host_id = ?"},
        SqlCase{"SELECT name, pretty_print(address) FROM people;",
                "SELECT name, pretty_print ( address ) FROM people"},
        SqlCase{"* SELECT * FROM fake_data(1, 2, 3);", "* SELECT * FROM fake_data ( ? )"},
        SqlCase{"CREATE FUNCTION add(integer, integer) RETURNS integer\n AS 'select $1 + $2;'\n "
                "LANGUAGE SQL\n IMMUTABLE\n RETURNS NULL ON NULL INPUT;",
                "CREATE FUNCTION add ( integer, integer ) RETURNS integer LANGUAGE SQL IMMUTABLE "
                "RETURNS ? ON ? INPUT"},
        SqlCase{"SELECT * FROM public.table ( array [ ROW ( array [ 'magic', 'foo',",
                "SELECT * FROM public.table ( array [ ROW ( array [ ?"},
        SqlCase{"SELECT pg_try_advisory_lock (123) AS t46eef3f025cc27feb31ca5a2d668a09a",
                "SELECT pg_try_advisory_lock ( ? )"},
        SqlCase{"INSERT INTO `qual-aa`.issues (alert0 , alert1) VALUES (NULL, NULL)",
                "INSERT INTO qual-aa . issues ( alert0, alert1 ) VALUES ( ? )"},
        SqlCase{"INSERT INTO user (id, email, name) VALUES (null, ?, ?)",
                "INSERT INTO user ( id, email, name ) VALUES ( ? )"},
        SqlCase{"select * from users where id = 214325346     # This comment continues",
                "select * from users where id = ?"},
        SqlCase{"select * from users where id = 214325346     -- This comment continues",
                "select * from users where id = ?"},
        SqlCase{"SELECT * FROM /* this is an in-line comment */ users;", "SELECT * FROM users"},
        SqlCase{"SELECT /*! STRAIGHT_JOIN */ col1 FROM table1", "SELECT col1 FROM table1"},
        SqlCase{"DELETE FROM t1\n\t\t\tWHERE s11 > ANY\n\t\t\t(SELECT COUNT(*) /* no hint */ "
                "FROM t2\n\t\t\tWHERE NOT EXISTS\n\t\t\t(SELECT * FROM t3\n\t\t\tWHERE "
                "ROW(5*t2.s1,77)=\n\t\t\t(SELECT 50,11*s1 FROM t4 UNION SELECT 50,77 "
                "FROM\n\t\t\t(SELECT * FROM t5) AS t5)));",
                "DELETE FROM t1 WHERE s11 > ANY ( SELECT COUNT ( * ) FROM t2 WHERE NOT EXISTS ( "
                "SELECT * FROM t3 WHERE ROW ( ? * t2.s1, ? ) = ( SELECT ? * s1 FROM t4 UNION "
                "SELECT ? FROM ( SELECT * FROM t5 ) ) ) )"},
        SqlCase{"SET @g = 'POLYGON((0 0,10 0,10 10,0 10,0 0),(5 5,7 5,7 7,5 7, 5 5))';",
                "SET @g = ?"},
        SqlCase{"SELECT daily_values.*, LEAST((5040000 - @runtot), value) AS value, (@runtot "
                ":= @runtot + daily_values.value) AS total FROM (SELECT @runtot:=0) AS n, "
                "`daily_values`  WHERE `daily_values`.`subject_id` = 12345 AND "
                "`daily_values`.`subject_type` = 'Skippity' AND (daily_values.date BETWEEN "
                "'2018-05-09' AND '2018-06-19') HAVING value >= 0 ORDER BY date",
                "SELECT daily_values.*, LEAST ( ( ? - @runtot ), value ), ( @runtot := @runtot "
                "+ daily_values.value ) FROM ( SELECT @runtot := ? ), daily_values WHERE "
                "daily_values . subject_id = ? AND daily_values . subject_type = ? AND ( "
                "daily_values.date BETWEEN ? AND ? ) HAVING value >= ? ORDER BY date"},
        SqlCase{"SELECT [b].[BlogId], [b].[Name]\nFROM [Blogs] AS [b]\nORDER BY [b].[Name]",
                "SELECT [ b ] . [ BlogId ], [ b ] . [ Name ] FROM [ Blogs ] ORDER BY [ b ] . [ "
                "Name ]"},
        SqlCase{"SELECT * FROM users WHERE firstname=''",
                "SELECT * FROM users WHERE firstname = ?"},
        SqlCase{"SELECT * FROM users WHERE firstname=\"\"",
                "SELECT * FROM users WHERE firstname = ?"},
        SqlCase{"SELECT * FROM users WHERE lastname=\"\t \"",
                "SELECT * FROM users WHERE lastname = ?"},
        SqlCase{"SELECT * FROM foo LEFT JOIN bar ON 'backslash\\' = foo.b WHERE foo.name = "
                "'String'",
                "SELECT * FROM foo LEFT JOIN bar ON ? = foo.b WHERE foo.name = ?"},
        SqlCase{"SELECT * FROM foo LEFT JOIN bar ON 'embedded ''quote'' in string' = foo.b WHERE "
                "foo.name = 'String'",
                "SELECT * FROM foo LEFT JOIN bar ON ? = foo.b WHERE foo.name = ?"},
        SqlCase{"SELECT * FROM foo LEFT JOIN bar ON 'embedded \\'quote\\' in string' = foo.b "
                "WHERE foo.name = 'String'",
                "SELECT * FROM foo LEFT JOIN bar ON ? = foo.b WHERE foo.name = ?"},
        SqlCase{"SELECT org_id,metric_key,metric_type,interval FROM metrics_metadata WHERE "
                "org_id = ? AND metric_key = ANY(ARRAY[?,?,?,?,?])",
                "SELECT org_id, metric_key, metric_type, interval FROM metrics_metadata WHERE "
                "org_id = ? AND metric_key = ANY ( ARRAY [ ? ] )"},
        SqlCase{"SELECT a :: VARCHAR(255) FROM foo WHERE foo.name = 'String'",
                "SELECT a :: VARCHAR ( ? ) FROM foo WHERE foo.name = ?"},
        SqlCase{"{call px_cu_se_security_pg.sps_get_my_accounts_count(?, ?, ?, ?)}",
                "{ call px_cu_se_security_pg.sps_get_my_accounts_count ( ? ) }"},
        SqlCase{"{call curly_fun('{{', '}}', '}', '}')};", "{ call curly_fun ( ? ) }"},
        SqlCase{"SELECT id, name FROM emp WHERE name LIKE {fn UCASE('Smith')}",
                "SELECT id, name FROM emp WHERE name LIKE ?"},
        SqlCase{"select users.custom #- '{a,b}' from users", "select users.custom"},
        SqlCase{"SELECT a FROM foo WHERE value<@name", "SELECT a FROM foo WHERE value < @name"},
        SqlCase{"SELECT @@foo", "SELECT @@foo"},
        SqlCase{"SELECT name FROM people WHERE person_id = -1",
                "SELECT name FROM people WHERE person_id = ?"},
        SqlCase{"select * from test where !is_good;", "select * from test where ! is_good"},
        SqlCase{"select * from test where !45;", "select * from test where ! ?"},
        SqlCase{"select count(*) as `count(*)` from test", "select count ( * ) from test"},
        SqlCase{"SELECT * from users where user_id =:0_USER",
                "SELECT * from users where user_id = :0_USER"},
        SqlCase{"SELECT Codi , Nom_CA AS Nom, Descripció_CAT AS Descripció FROM ProtValAptitud "
                "WHERE Vigent=1 ORDER BY Ordre, Codi",
                "SELECT Codi, Nom_CA, Descripció_CAT FROM ProtValAptitud WHERE Vigent = ? ORDER "
                "BY Ordre, Codi"},
        SqlCase{"REPLACE INTO sales_2019_07_01 (`itemID`, `date`, `qty`, `price`) VALUES "
                "((SELECT itemID FROM item1001 WHERE `sku` = [sku]), CURDATE(), [qty], 0.00)",
                "REPLACE INTO sales_2019_07_01 ( itemID, date, qty, price ) VALUES ( ( SELECT "
                "itemID FROM item1001 WHERE sku = [ sku ] ), CURDATE ( ), [ qty ], ? )"},
        SqlCase{"INSERT INTO table (field1, field2) VALUES (1, $$someone's string123$with other "
                "things$$)",
                "INSERT INTO table ( field1, field2 ) VALUES ( ? )"},
        SqlCase{"INSERT INTO table (field1) VALUES ($some tag$this text confuses$some other "
                "text$some ta not quite$some tag$)",
                "INSERT INTO table ( field1 ) VALUES ( ? )"},
        SqlCase{"SELECT nspname FROM pg_class where nspname !~* '.*toIgnoreInsensitive.*'",
                "SELECT nspname FROM pg_class where nspname !~* ?"},
        SqlCase{"SELECT nspname FROM pg_class where nspname ~ '.*matching.*'",
                "SELECT nspname FROM pg_class where nspname ~ ?"},
        SqlCase{"SELECT * FROM dbo.Items WHERE id = 1 or /*!obfuscation*/ 1 = 1",
                "SELECT * FROM dbo.Items WHERE id = ? or ? = ?"},
        SqlCase{"SELECT * FROM Items WHERE id = -1 OR id = -01 OR id = -108 OR id = -.018 OR id "
                "= -.08 OR id = -908129",
                "SELECT * FROM Items WHERE id = ? OR id = ? OR id = ? OR id = ? OR id = ? OR id = "
                "?"},
        SqlCase{"USING $09 SELECT", "USING ? SELECT"}, SqlCase{"USING - SELECT", "USING - SELECT"},
        SqlCase{
            "SELECT id FROM jq_jobs\nWHERE\nschedulable_at <= 1555367948 AND\nqueue_name = "
            "'order_jobs' AND\nstatus = 1 AND\nid % 8 = 3\nORDER BY\nschedulable_at\nLIMIT "
            "1000",
            "SELECT id FROM jq_jobs WHERE schedulable_at <= ? AND queue_name = ? AND status = ? "
            "AND id % ? = ? ORDER BY schedulable_at LIMIT ?"},
        SqlCase{"SELECT x FROM t WHERE a = 0x1F AND b = 1.5e-3 AND c = 0.00 AND d = -.5",
                "SELECT x FROM t WHERE a = ? AND b = ? AND c = ? AND d = ?"}));

TEST(SqlObfuscatorTest, CollectsTableNamesWithTheFeature) {
  SqlOptions options;
  options.table_names = true;
  absl::StatusOr<SqlObfuscationResult> result = ObfuscateSql(
      "SELECT * FROM clients WHERE (clients.first_name = 'Andy') LIMIT 1 BEGIN INSERT INTO "
      "owners (created_at) VALUES ('2011-08-30') COMMIT; SELECT * FROM (SELECT 1) JOIN clients",
      options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->tables_csv, "clients,owners");
  // Off by default.
  result = ObfuscateSql("DELETE FROM table WHERE table.a=1", {});
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->tables_csv, "");
}

TEST(SqlObfuscatorTest, ReplacesDigitsInIdentifiersWithTheFeature) {
  SqlOptions options;
  options.table_names = true;
  options.replace_digits = true;
  absl::StatusOr<SqlObfuscationResult> result =
      ObfuscateSql("SELECT host, status FROM ec2_status WHERE org_id = 42", options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->query, "SELECT host, status FROM ec?_status WHERE org_id = ?");
  EXPECT_EQ(result->tables_csv, "ec?_status");
}

TEST(SqlObfuscatorTest, PostgresDialectKeepsJsonOperators) {
  SqlOptions options;
  options.dbms = SqlDbms::kPostgres;
  EXPECT_EQ(
      Obfuscated("select users.custom ->> 'a' from users where data @> '{}' and x ? 'k'", options),
      "select users.custom ->> ? from users where data @> ? and x ? ?");
  EXPECT_EQ(Obfuscated("select users.custom #> '{a,b}' from users", options),
            "select users.custom #> ? from users");
  EXPECT_EQ(Obfuscated("select users.custom #>> '{a,b}' from users", options),
            "select users.custom #>> ? from users");
  EXPECT_EQ(Obfuscated("select users.custom #- '{a,b}' from users", options),
            "select users.custom #- ? from users");
  EXPECT_EQ(Obfuscated("select users.custom -> 'foo' from users", options),
            "select users.custom -> ? from users");
  EXPECT_EQ(Obfuscated("SELECT a FROM foo WHERE value<@name", options),
            "SELECT a FROM foo WHERE value <@ name");
  EXPECT_EQ(Obfuscated("select * from users where user.custom ?| array [ '1', '2' ]", options),
            "select * from users where user.custom ?| array [ ? ]");
  EXPECT_EQ(Obfuscated("select * from users where user.custom ?& array [ '1', '2' ]", options),
            "select * from users where user.custom ?& array [ ? ]");
  EXPECT_EQ(SqlDbmsFromDbType("postgresql"), SqlDbms::kPostgres);
  EXPECT_EQ(SqlDbmsFromDbType("mssql"), SqlDbms::kSqlServer);
  EXPECT_EQ(SqlDbmsFromDbType("mysql"), SqlDbms::kGeneric);
}

TEST(SqlObfuscatorTest, SqlServerDialect) {
  SqlOptions options;
  options.dbms = SqlDbms::kSqlServer;
  EXPECT_EQ(Obfuscated("select * from ##ThisIsAGlobalTempTable where id = 1", options),
            "select * from ##ThisIsAGlobalTempTable where id = ?");
  EXPECT_EQ(Obfuscated("select * from dbo.#ThisIsATempTable where id = 1", options),
            "select * from dbo.#ThisIsATempTable where id = ?");
  options.table_names = true;
  absl::StatusOr<SqlObfuscationResult> result =
      ObfuscateSql("SELECT * from [db_users] where [id] = @1", options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->query, "SELECT * from db_users where id = @1");
  EXPECT_EQ(result->tables_csv, "db_users");
  EXPECT_EQ(Obfuscated("MERGE INTO Employees AS target USING EmployeeUpdates AS source ON "
                       "(target.EmployeeID = source.EmployeeID) WHEN NOT MATCHED BY SOURCE THEN "
                       "DELETE OUTPUT $action, inserted.*, deleted.*;",
                       options),
            "MERGE INTO Employees USING EmployeeUpdates ON ( target.EmployeeID = "
            "source.EmployeeID ) WHEN NOT MATCHED BY SOURCE THEN DELETE OUTPUT $action, "
            "inserted.*, deleted.*");
  // In the generic dialect '#' starts a MySQL comment.
  EXPECT_EQ(Obfuscated("SELECT * FROM users # WHERE id = 1"), "SELECT * FROM users");
}

TEST(SqlObfuscatorTest, HugeInputStaysLinear) {
  std::string query = "SELECT * FROM t WHERE id IN (";
  for (int i = 0; i < 50000; ++i) {
    query += "123, 'abc', ";
  }
  query += "1) AND name FROM a FROM b";
  for (int i = 0; i < 20000; ++i) {
    query += " JOIN t" + std::to_string(i);
  }
  SqlOptions options;
  options.table_names = true;
  absl::StatusOr<SqlObfuscationResult> result = ObfuscateSql(query, options);
  ASSERT_THAT(result, IsOk());
  EXPECT_TRUE(result->query.starts_with("SELECT * FROM t WHERE id IN ( ? ) AND name FROM a"));
}

}  // namespace
}  // namespace sidecar::apm
