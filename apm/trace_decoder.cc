#include "apm/trace_decoder.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apm/json_trace_decoder.h"
#include "apm/msgpack_trace_decoder.h"

namespace sidecar::apm {
namespace {

// Content-Type (Go's mime.ParseMediaType, as the Agent's getMediaType uses it).

bool IsTokenChar(char c) {
  if (c <= ' ' || c >= 0x7f) {
    return false;
  }
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view ConsumeToken(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && IsTokenChar(s[n])) {
    ++n;
  }
  const std::string_view token = s.substr(0, n);
  s.remove_prefix(n);
  return token;
}

// Returns the lower-cased media type, or nullopt when Go's parser would fail.
std::optional<std::string> ParseMediaType(std::string_view header) {
  const size_t semicolon = header.find(';');
  std::string media(TrimSpace(header.substr(0, semicolon)));
  for (char& c : media) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  std::string_view rest = media;
  if (ConsumeToken(rest).empty()) {
    return std::nullopt;  // "mime: no media type"
  }
  if (!rest.empty()) {
    if (rest.front() != '/') {
      return std::nullopt;
    }
    rest.remove_prefix(1);
    if (ConsumeToken(rest).empty() || !rest.empty()) {
      return std::nullopt;
    }
  }
  // Parameters: `; key=value` with a token key and a token or quoted-string value.
  std::string_view params =
      semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon);
  std::vector<std::string> seen;
  while (true) {
    params = TrimSpace(params);
    if (params.empty()) {
      break;
    }
    if (TrimSpace(params) == ";") {
      break;  // a trailing semicolon is tolerated
    }
    if (params.front() != ';') {
      return std::nullopt;
    }
    params.remove_prefix(1);
    params = TrimSpace(params);
    std::string key(ConsumeToken(params));
    if (key.empty()) {
      return std::nullopt;
    }
    params = TrimSpace(params);
    if (params.empty() || params.front() != '=') {
      return std::nullopt;
    }
    params.remove_prefix(1);
    params = TrimSpace(params);
    if (!params.empty() && params.front() == '"') {
      size_t i = 1;
      bool closed = false;
      while (i < params.size()) {
        if (params[i] == '\\' && i + 1 < params.size()) {
          i += 2;
          continue;
        }
        if (params[i] == '"') {
          closed = true;
          break;
        }
        ++i;
      }
      if (!closed) {
        return std::nullopt;
      }
      params.remove_prefix(i + 1);
    } else if (ConsumeToken(params).empty()) {
      return std::nullopt;
    }
    for (char& c : key) {
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      }
    }
    for (const std::string& previous : seen) {
      if (previous == key) {
        return std::nullopt;  // "mime: duplicate parameter name"
      }
    }
    seen.push_back(std::move(key));
  }
  return media;
}

absl::Status DecodeV04Style(BodyEncoding encoding, std::string_view body, TracerPayload& out,
                            const DecodeLimits& limits) {
  switch (encoding) {
    case BodyEncoding::kMsgpack:
      return internal::DecodeMsgpackV04(body, out, limits);
    case BodyEncoding::kJson:
      return internal::DecodeJsonTraces(body, out);
    case BodyEncoding::kJsonOrMsgpack: {
      const int chunks_before = out.chunks_size();
      if (internal::DecodeJsonTraces(body, out).ok()) {
        return absl::OkStatus();
      }
      out.mutable_chunks()->DeleteSubrange(chunks_before, out.chunks_size() - chunks_before);
      return internal::DecodeMsgpackV04(body, out, limits);
    }
  }
  return absl::InternalError("unknown body encoding");
}

}  // namespace

BodyEncoding EncodingForContentType(std::string_view content_type) {
  const std::optional<std::string> media = ParseMediaType(content_type);
  if (!media) {
    return BodyEncoding::kJson;
  }
  if (*media == "application/msgpack") {
    return BodyEncoding::kMsgpack;
  }
  if (*media == "application/json" || *media == "text/json") {
    return BodyEncoding::kJson;
  }
  return BodyEncoding::kJsonOrMsgpack;
}

absl::Status DecodeTraces(TraceApiVersion version, BodyEncoding encoding, std::string_view body,
                          TracerPayload& out, const DecodeLimits& limits) {
  switch (version) {
    case TraceApiVersion::kV02:
      if (encoding == BodyEncoding::kMsgpack) {
        return absl::UnimplementedError("unsupported media type: \"application/msgpack\"");
      }
      return DecodeV04Style(encoding, body, out, limits);
    case TraceApiVersion::kV03:
    case TraceApiVersion::kV04:
      return DecodeV04Style(encoding, body, out, limits);
    case TraceApiVersion::kV05:
      return internal::DecodeMsgpackV05(body, out, limits);
    case TraceApiVersion::kV07:
      return internal::DecodeMsgpackV07(body, out, limits);
  }
  return absl::InvalidArgumentError("unknown trace API version");
}

}  // namespace sidecar::apm
