// File: statsd/go_number.h
//
// Number grammars of the Datadog Agent's DogStatsD parser, which is written in Go: values and
// sample rates go through strconv.ParseFloat(s, 64); `T`, `d:` and event lengths through
// strconv.ParseInt(s, 10, 64) (Atoi is the same grammar). Reproducing those grammars byte for byte
// is what makes us accept and reject exactly the lines the Agent does (spec §2.1 step 5).
//
//   ParseGoFloat("+5")      -> 5          ParseGoFloat("0x1p-2")  -> 0.25
//   ParseGoFloat("1_000.5") -> 1000.5     ParseGoFloat("-Inf")    -> -inf
//   ParseGoFloat("-nan")    -> nullopt    ParseGoFloat("1e400")   -> nullopt (Go: range error)
//   ParseGoInt64("+12")     -> 12         ParseGoInt64("1_2")     -> nullopt
//
// Pure, allocation-free except for decimal literals longer than 128 bytes that contain `_`.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sidecar::statsd::internal {

// Returns the value Go's strconv.ParseFloat(text, 64) returns, or nullopt where Go returns an
// error:
// - optional sign `+`/`-`; decimal digits with at most one `.` and at least one digit;
//   optional exponent `e`/`E` [sign] digits;
// - hexadecimal `0x`/`0X` mantissa (hex digits, optional `.`) with a mandatory `p`/`P` exponent;
// - `_` only between digits (or right after the `0x` prefix), as in Go literals;
// - `inf`, `infinity` with optional sign and `nan` without sign, case-insensitively;
// - magnitudes that round above the largest double are errors; tiny ones round to (signed) zero.
std::optional<double> ParseGoFloat(std::string_view text);

// Returns the value Go's strconv.ParseInt(text, 10, 64) returns, or nullopt on error: optional
// sign, one or more ASCII digits, no `_`, within int64 range.
std::optional<int64_t> ParseGoInt64(std::string_view text);

}  // namespace sidecar::statsd::internal
