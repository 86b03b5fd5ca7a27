// File: apm/redis_obfuscator.h
//
// Redis/Valkey obfuscation (apm.md §5, conformance O4, O5):
//   - QuantizeRedis turns a span resource into its command names (`SET EXPIRE`), for resources
//     and APM stats groups;
//   - ObfuscateRedisRawCommand hides the value arguments of `redis.raw_command` per command
//     (`SET k ?`, `AUTH ?`), or every argument with remove_all_args (`SET ?`).
// Pure functions; linear in the input.
#pragma once

#include <string>
#include <string_view>

namespace sidecar::apm {

// Command names of up to three commands (one per line, upper-cased, two words for CLIENT,
// CLUSTER, COMMAND, CONFIG, DEBUG, SCRIPT), then ` ...` if more follow or the last was truncated
// by the tracer (a `...` suffix). O4.
std::string QuantizeRedis(std::string_view command);

// Replaces value arguments by `?` in every line of a raw command; double-quoted arguments may
// hold spaces and newlines. With remove_all_args everything after the command becomes one `?`
// (`CONFIG`/`BITFIELD` keep their sub-commands). O5.
std::string ObfuscateRedisRawCommand(std::string_view cmd, bool remove_all_args);

}  // namespace sidecar::apm
