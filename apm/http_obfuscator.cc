#include "apm/http_obfuscator.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sidecar::apm {
namespace {

struct UrlParts {
  std::string_view scheme;     // without ':'
  bool has_authority = false;  // "//" followed
  std::string_view host;       // authority without userinfo
  std::string_view path;       // or the opaque part when !has_authority and no leading '/'
  bool opaque = false;
  bool has_query = false;  // a '?' was present
  std::string_view query;
  bool has_fragment = false;
  std::string_view fragment;
};

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

int HexValue(char c) {
  if (IsDigit(c)) {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return c - 'A' + 10;
}

// Whether every ASCII byte is alphanumeric or in `extra`; non-ASCII bytes are allowed.
bool AllAllowed(std::string_view text, std::string_view extra) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x80 && !IsAlpha(c) && !IsDigit(c) &&
        extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool ValidPercentEscapes(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size() || !IsHex(text[i + 1]) || !IsHex(text[i + 2])) {
        return false;
      }
      i += 2;
    }
  }
  return true;
}

// Splits `url` like Go's url.Parse; nullopt where Go reports an error.
std::optional<UrlParts> SplitUrl(std::string_view url) {
  for (const char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return std::nullopt;  // control characters
    }
  }
  UrlParts parts;
  std::string_view rest = url;
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) {
    parts.has_fragment = true;
    parts.fragment = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
    if (!ValidPercentEscapes(parts.fragment)) {
      return std::nullopt;
    }
  }
  // Scheme: a letter, then letters, digits, '+', '-', '.', up to ':'.
  for (size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (IsAlpha(c)) {
      continue;
    }
    if (IsDigit(c) || c == '+' || c == '-' || c == '.') {
      if (i == 0) {
        break;
      }
      continue;
    }
    if (c == ':') {
      if (i == 0) {
        return std::nullopt;  // missing protocol scheme
      }
      parts.scheme = rest.substr(0, i);
      rest.remove_prefix(i + 1);
    }
    break;
  }
  if (const size_t question = rest.find('?'); question != std::string_view::npos) {
    parts.has_query = true;
    parts.query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  if (!rest.starts_with('/')) {
    if (!parts.scheme.empty()) {
      parts.opaque = true;
      parts.path = rest;
      return parts;
    }
    const size_t slash = rest.find('/');
    if (rest.substr(0, slash).find(':') != std::string_view::npos) {
      return std::nullopt;  // first path segment in URL cannot contain colon
    }
  }
  if (rest.starts_with("//") && (!parts.scheme.empty() || !rest.starts_with("///"))) {
    rest.remove_prefix(2);
    const size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    rest.remove_prefix(slash == std::string_view::npos ? rest.size() : slash);
    if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
      if (!AllAllowed(authority.substr(0, at), "-._:~!$&'()*+,;=%@")) {
        return std::nullopt;  // invalid userinfo
      }
      authority.remove_prefix(at + 1);
    }
    if (!AllAllowed(authority, "-._~!$&'()*+,;=:[]<>\"%")) {
      return std::nullopt;  // invalid character in host name
    }
    // A port must be numeric; IPv6 literals sit in brackets.
    const size_t bracket = authority.rfind(']');
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
      for (const char c : authority.substr(colon + 1)) {
        if (!IsDigit(c)) {
          return std::nullopt;
        }
      }
    }
    if (!ValidPercentEscapes(authority)) {
      return std::nullopt;
    }
    parts.has_authority = true;
    parts.host = authority;
  }
  if (!ValidPercentEscapes(rest)) {
    return std::nullopt;
  }
  parts.path = rest;
  return parts;
}

// Whether a raw path segment holds a digit once percent-escapes are decoded.
bool SegmentHasDigit(std::string_view segment) {
  for (size_t i = 0; i < segment.size(); ++i) {
    char c = segment[i];
    if (c == '%' && i + 2 < segment.size()) {
      c = static_cast<char>(HexValue(segment[i + 1]) * 16 + HexValue(segment[i + 2]));
      i += 2;
    }
    if (IsDigit(c)) {
      return true;
    }
  }
  return false;
}

void AppendPathWithoutDigits(std::string_view path, std::string* out) {
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    const std::string_view segment = path.substr(start, slash - start);
    if (SegmentHasDigit(segment)) {
      out->push_back('?');
    } else {
      out->append(segment);
    }
    if (slash == std::string_view::npos) {
      return;
    }
    out->push_back('/');
    start = slash + 1;
  }
}

}  // namespace

std::string ObfuscateUrl(std::string_view url, bool remove_query, bool remove_path_digits) {
  const std::optional<UrlParts> parts = SplitUrl(url);
  if (!parts.has_value()) {
    return remove_query || remove_path_digits ? std::string("?") : std::string(url);
  }
  std::string out;
  out.reserve(url.size());
  if (!parts->scheme.empty()) {
    out.append(parts->scheme);
    out.push_back(':');
  }
  if (parts->opaque) {
    out.append(parts->path);
  } else {
    if (parts->has_authority) {
      out.append("//");
      out.append(parts->host);
    }
    if (remove_path_digits) {
      AppendPathWithoutDigits(parts->path, &out);
    } else {
      out.append(parts->path);
    }
  }
  if (parts->has_query) {
    out.push_back('?');
    if (!remove_query) {
      out.append(parts->query);
    }
  }
  if (parts->has_fragment && !parts->fragment.empty()) {  // Go drops a bare '#'

    out.push_back('#');
    out.append(parts->fragment);
  }
  return out;
}

}  // namespace sidecar::apm
