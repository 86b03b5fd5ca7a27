// File: apm/json_obfuscator.h
//
// The JSON obfuscator of apm.md §5, for the MongoDB (`mongodb.query`) and Elasticsearch /
// OpenSearch (`elasticsearch.body`, `opensearch.body`) rules of the per-span Obfuscator
// (apm/obfuscator.h), which holds the keep-key sets from DD_APM_OBFUSCATION_*_KEEP_VALUES:
//
//   std::string body = ObfuscateJson(R"({"query": {"match": {"user": "kim"}}})", {});
//   // => {"query":{"match":{"user":"?"}}}
//
// The input is untrusted span text: a byte-at-a-time scanner validates it (RFC 8259 grammar,
// several top-level values in a row as in NDJSON bulk bodies) without recursion, so deep nesting
// costs a little heap per level and never the stack.
//
// Pure and thread-safe: no I/O, globals or exceptions.
#pragma once

#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"

namespace sidecar::apm {

// Replaces every JSON scalar by `"?"`, except inside the value of a key in keep_keys; whitespace
// between tokens is dropped except after a top-level value. Several top-level values may follow
// each other. Invalid JSON is obfuscated up to the error, then `...` is appended.
std::string ObfuscateJson(std::string_view json, const absl::flat_hash_set<std::string>& keep_keys);

}  // namespace sidecar::apm
