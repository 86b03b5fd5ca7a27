// File: apm/http_obfuscator.h
//
// `http.url` obfuscation for `web`/`http` spans (apm.md §5, conformance O8). Always strips the
// userinfo (`http://u:p@h/` ⇒ `http://h/`); optionally drops the query string (keeping a bare
// `?`) and replaces every path segment containing a digit by `?`.
//
// The URL is split the way Go's net/url reads it (scheme, `//authority`, path, query, fragment)
// and reassembled from the original text, so the rest of the URL is left byte for byte. Parse
// failures (control characters, bad percent-escapes, a non-numeric port, a colon in the first
// segment of a relative URL) leave the URL unchanged when no option is on, and give `?` when one
// is (better to lose the URL than leak it). Unlike Go, non-ASCII path bytes are not re-escaped.
#pragma once

#include <string>
#include <string_view>

namespace sidecar::apm {

std::string ObfuscateUrl(std::string_view url, bool remove_query, bool remove_path_digits);

}  // namespace sidecar::apm
