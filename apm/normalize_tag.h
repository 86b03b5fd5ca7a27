// File: apm/normalize_tag.h
//
// The trace-agent's string normalizers (apm.md §3, AGT:pkg/trace/traceutil/normalize): tags, tag
// values, services, peer services, operation names, and UTF-8-safe truncation. They reproduce the
// Agent's output byte for byte, including which inputs count as already normal (the ASCII fast
// path), so the backend sees the same strings from us as from an Agent.
//
//   std::string tag = NormalizeTag("Env:Prod!");            // "env:prod"
//   std::string svc = NormalizeService("", "java");          // "unnamed-java-service"
//   std::string op = NormalizeName("trace-api.request");     // "trace_api.request"
//
// Hot path: the span normalizer calls the *InPlace variants, which leave a string that is already
// normal untouched (no allocation, no write) and report why they changed it (for counters).
//
// Output is always valid UTF-8, whatever the input: tags and services drop or replace (by '_')
// invalid byte sequences; names keep only ASCII letters, digits, '.' and '_'.
// Letter/digit/upper-case classification uses generated Unicode 14 tables (the Agent's Go runtime
// carries Unicode 15; the difference is letters added in Unicode 15, mostly rare scripts).
//
// Pure functions: no globals, no I/O; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sidecar::apm {

// Limits from AGT:pkg/trace/traceutil/normalize/normalize.go.
inline constexpr size_t kMaxTagLength = 200;   // characters kept by NormalizeTag(Value)
inline constexpr size_t kMaxServiceLen = 100;  // bytes, before tag-value normalization
inline constexpr size_t kMaxNameLen = 100;     // bytes, before the metric-name parser
inline constexpr std::string_view kDefaultSpanName = "unnamed_operation";
inline constexpr std::string_view kDefaultServiceName = "unnamed-service";

// Why a normalizer changed its input; the Agent's ErrEmpty / ErrTooLong / ErrInvalid. kTooLong
// wins over "characters were replaced" (the Agent reports only the truncation then).
enum class NormalizeResult { kOk, kEmpty, kTooLong, kInvalid };

// The longest prefix of `s` of at most `max_bytes` bytes that does not split a UTF-8 sequence.
std::string_view TruncateUtf8(std::string_view s, size_t max_bytes);

// True when NormalizeTag (tag_mode) / NormalizeTagValue (!tag_mode) would return `s` unchanged
// through the Agent's ASCII fast path.
bool IsNormalizedAsciiTag(std::string_view s, bool tag_mode);

// `key:value` tag normalization (N15): lowercase, Unicode letters kept, leading non-letters (other
// than ':') trimmed, digits and `:._/-` kept, every run of other characters becomes one '_',
// trailing run removed, at most 200 characters.
std::string NormalizeTag(std::string_view tag);
// Same for a bare value: digits and the other valid characters may come first (N16).
std::string NormalizeTagValue(std::string_view value);
void NormalizeTagValueInPlace(std::string& value);

// `unnamed-<lang>-service`, or `unnamed-service` when lang is empty.
std::string FallbackServiceName(std::string_view lang);

// Service (N1, N2, N10, N16): empty ⇒ fallback (kEmpty); longer than 100 bytes ⇒ truncated
// (kTooLong); then NormalizeTagValue; nothing left ⇒ fallback (kInvalid).
NormalizeResult NormalizeServiceInPlace(std::string& service, std::string_view lang);
std::string NormalizeService(std::string_view service, std::string_view lang);

// `peer.service` / `_dd.base_service`: like a service, but empty stays empty (kOk) and a value
// that normalizes to nothing becomes "" (kInvalid).
NormalizeResult NormalizePeerServiceInPlace(std::string& service);
std::string NormalizePeerService(std::string_view service);

// Operation name (N3, N4): empty ⇒ `unnamed_operation` (kEmpty); longer than 100 bytes ⇒
// truncated (kTooLong); then the metric-name parser (case preserved); no ASCII letter ⇒
// `unnamed_operation` (kInvalid).
NormalizeResult NormalizeNameInPlace(std::string& name);
std::string NormalizeName(std::string_view name);

}  // namespace sidecar::apm
