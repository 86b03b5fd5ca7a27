// File: apm/utf8_repair.h
//
// UTF-8 validation and repair with Go's rules, shared by the msgpack and JSON trace decoders: the
// Agent hands every decoded string to repairUTF8, so a string that is not valid UTF-8 has each bad
// byte replaced by U+FFFD (apm.md §2.1). The common case (valid input) costs one scan and no
// allocation:
//
//   if (!internal::IsValidUtf8(key)) { internal::AssignRepairedUtf8(key, repaired); ... }
//
// Internal to the decoders (namespace internal); pure, no allocation beyond `out`.
#pragma once

#include <string>
#include <string_view>

namespace sidecar::apm::internal {

// True when every byte of `text` belongs to a valid UTF-8 sequence (Go's rules: no overlongs,
// surrogates or code points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Replaces `out` with `text`, every byte that does not start a valid sequence replaced by U+FFFD.
// Also declared in apm/trace_decoder.h, where the tests and fuzzers reach it.
void AssignRepairedUtf8(std::string_view text, std::string& out);

}  // namespace sidecar::apm::internal
