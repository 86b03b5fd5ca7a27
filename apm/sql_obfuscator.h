// File: apm/sql_obfuscator.h
//
// SQL obfuscation for `sql`/`cassandra` span resources (apm.md §5, conformance O1-O3, O6). One
// tokenizer pass over the query feeds a short chain of per-token decisions, the same chain the
// Agent's legacy obfuscator uses (`sql_obfuscation_mode` ""):
//   - discard: comments, `;`, `AS alias` (unless keep_alias), bracketed MSSQL aliases;
//   - replace: string/number/boolean/NULL literals, bind variables (`?`, `$1`, `%s`, `%(name)s`),
//     `{fn ...}` escapes and dollar-quoted strings become `?`;
//   - group: consecutive replaced values and value groups collapse to one `?` / `( ? )`, so
//     `IN (1, 2, 3)` and `VALUES (..), (..)` become `IN ( ? )` and `VALUES ( ? )`.
// Kept tokens are joined by single spaces with `,` glued to the left.
//
// Pure and stateless: no globals, no I/O; safe to call from any thread. Linear in the input (one
// nested pass at most, for a `$func$` body when dollar_quoted_func is on).
//
// Deliberate differences from the Agent:
// - The Agent flips a process-wide "backslashes are literal" flag after a query only parses with
//   literal backslashes; here every query tries backslash escapes first and retries with literal
//   backslashes, so the result does not depend on earlier queries.
// - Non-ASCII code points are identifier characters unless they are Unicode spaces (the Agent
//   rejects non-letter symbols such as emoji outside strings).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace sidecar::apm {

// Dialect switches of the tokenizer (the Agent's `DBMS`).
enum class SqlDbms {
  kGeneric,
  kPostgres,   // `@`, `?`, `#` are operators; JSON operators (`->>`, `#>`, `@>`, `?|` ...).
  kSqlServer,  // `#temp` is an identifier.
};

struct SqlOptions {
  // Keep `AS alias` (feature `keep_sql_alias`).
  bool keep_alias = false;
  // Obfuscate the body of `$func$...$func$` as SQL instead of replacing it by `?` (feature
  // `dollar_quoted_func`).
  bool dollar_quoted_func = false;
  // Collect the table names after FROM/JOIN/UPDATE/INTO (feature `table_names`).
  bool table_names = false;
  // Replace digit runs in identifiers and table names by `?` (`quantize_sql_tables` /
  // `replace_sql_digits`).
  bool replace_digits = false;
  SqlDbms dbms = SqlDbms::kGeneric;
};

struct SqlObfuscationResult {
  std::string query;
  // Comma-separated unique table names in order of appearance; only with options.table_names.
  std::string tables_csv;
};

// Returns InvalidArgument for unterminated strings/comments/escapes, invalid UTF-8, stray bytes,
// or a query that obfuscates to nothing; the caller then reports `Non-parsable SQL query` (O6).
absl::StatusOr<SqlObfuscationResult> ObfuscateSql(std::string_view query,
                                                  const SqlOptions& options);

// Maps the span's `db.type` meta to a dialect ("postgresql", "mssql"/"sqlserver"; else generic).
SqlDbms SqlDbmsFromDbType(std::string_view db_type);

}  // namespace sidecar::apm
