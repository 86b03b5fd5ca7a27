// apm-load: a trace-intake load generator. Sends keep-alive HTTP/1.1 PUTs of one pre-encoded
// msgpack body (v0.4 by default) from N connections, one thread each, at a target span rate for a
// fixed duration, waiting for each response before the next request on that connection (as
// tracers do), then prints one JSON line with what it sent and how it was answered. Pacing is per
// 1 ms slice; --rate 0 sends as fast as the receiver answers.
//
// The default body is built here: T traces x S spans of a Node.js web service (express root span
// with a 128-bit _dd.p.tid, then middleware, pg.query with inline SQL, outgoing HTTP and Redis
// children; 8-12 meta entries and 3-5 metrics each), the shape of
// tests/apm/trace_pipeline_benchmark.cc. --body replays a recorded body instead.
//
//   apm-load --port 8126 --rate 200000 --seconds 5 --connections 4 [--traces 10 --spans 20]
//   apm-load --port 8126 --body traces.msgpack --body-spans 13 --body-traces 2 [--path
//   /v0.4/traces]
//
// With --null-server it is instead the baseline receiver: it reads each request (headers and body)
// and answers 200 with an empty rate_by_service, nothing else. It prints `listening on <port>`
// first, then on SIGTERM/SIGINT one JSON line with what it received.
//
//   apm-load --null-server --port 0 [--decode]
//
// --decode makes the null server a decode-only baseline: it also walks every msgpack object of
// each body (zero-copy, strings skipped by length) and counts the spans it found, answering 400
// on a malformed body.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Flags {
  int port = 8126;
  double rate = 100000;  // spans/s over all connections; 0 = unpaced
  double seconds = 5;
  int connections = 4;
  int traces = 10;
  int spans = 20;
  std::string body_file;
  int body_spans = 0;
  int body_traces = 0;
  std::string path = "/v0.4/traces";
  bool null_server = false;
  bool decode = false;
};

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--null-server") {
      flags.null_server = true;
      continue;
    }
    if (name == "--decode") {
      flags.decode = true;
      continue;
    }
    if (i + 1 >= argc) break;
    const char* value = argv[i + 1];
    if (name == "--port")
      flags.port = std::atoi(value), ++i;
    else if (name == "--rate")
      flags.rate = std::atof(value), ++i;
    else if (name == "--seconds")
      flags.seconds = std::atof(value), ++i;
    else if (name == "--connections")
      flags.connections = std::max(1, std::atoi(value)), ++i;
    else if (name == "--traces")
      flags.traces = std::max(1, std::atoi(value)), ++i;
    else if (name == "--spans")
      flags.spans = std::max(1, std::atoi(value)), ++i;
    else if (name == "--body")
      flags.body_file = value, ++i;
    else if (name == "--body-spans")
      flags.body_spans = std::atoi(value), ++i;
    else if (name == "--body-traces")
      flags.body_traces = std::atoi(value), ++i;
    else if (name == "--path")
      flags.path = value, ++i;
  }
  return flags;
}

// ---------------------------------------------------------------------------------------------
// A minimal msgpack writer: just what the span maps need.

class Packer {
 public:
  void Array(uint32_t n) { Header(n, 0x90, 0xdc, 0xdd); }
  void Map(uint32_t n) { Header(n, 0x80, 0xde, 0xdf); }
  void Str(const std::string& s) {
    const auto n = static_cast<uint32_t>(s.size());
    if (n < 32) {
      Byte(static_cast<uint8_t>(0xa0 | n));
    } else if (n < 256) {
      Byte(0xd9), Byte(static_cast<uint8_t>(n));
    } else if (n < 65536) {
      Byte(0xda), BigEndian(n, 2);
    } else {
      Byte(0xdb), BigEndian(n, 4);
    }
    out_ += s;
  }
  void Uint(uint64_t v) {
    if (v < 128) {
      Byte(static_cast<uint8_t>(v));
    } else if (v <= 0xffffffffULL) {
      Byte(0xce), BigEndian(v, 4);
    } else {
      Byte(0xcf), BigEndian(v, 8);
    }
  }
  void Int(int64_t v) {
    if (v >= 0) {
      Uint(static_cast<uint64_t>(v));
    } else {
      Byte(0xd3), BigEndian(static_cast<uint64_t>(v), 8);
    }
  }
  void Double(double v) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(bits));
    Byte(0xcb), BigEndian(bits, 8);
  }
  const std::string& data() const { return out_; }

 private:
  void Header(uint32_t n, uint8_t fix, uint8_t b16, uint8_t b32) {
    if (n < 16) {
      Byte(static_cast<uint8_t>(fix | n));
    } else if (n < 65536) {
      Byte(b16), BigEndian(n, 2);
    } else {
      Byte(b32), BigEndian(n, 4);
    }
  }
  void Byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void BigEndian(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) Byte(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::string out_;
};

using Pairs = std::vector<std::pair<std::string, std::string>>;
using Metrics = std::vector<std::pair<std::string, double>>;

std::string Hex16(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
  return text;
}

void PackSpan(Packer& p, uint64_t trace_id, uint64_t span_id, uint64_t parent_id,
              const std::string& service, const std::string& name, const std::string& resource,
              const std::string& type, int64_t start, int64_t duration, int error,
              const Pairs& meta, const Metrics& metrics) {
  p.Map(12);
  p.Str("trace_id"), p.Uint(trace_id);
  p.Str("span_id"), p.Uint(span_id);
  p.Str("parent_id"), p.Uint(parent_id);
  p.Str("service"), p.Str(service);
  p.Str("name"), p.Str(name);
  p.Str("resource"), p.Str(resource);
  p.Str("type"), p.Str(type);
  p.Str("start"), p.Int(start);
  p.Str("duration"), p.Int(duration);
  p.Str("error"), p.Int(error);
  p.Str("meta"), p.Map(static_cast<uint32_t>(meta.size()));
  for (const auto& [k, v] : meta) p.Str(k), p.Str(v);
  p.Str("metrics"), p.Map(static_cast<uint32_t>(metrics.size()));
  for (const auto& [k, v] : metrics) p.Str(k), p.Double(v);
}

// v0.4 body: traces x spans, timestamps around now so the concentrator sees current buckets.
std::string BuildBody(int traces, int spans) {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  Packer p;
  p.Array(static_cast<uint32_t>(traces));
  for (int t = 0; t < traces; ++t) {
    p.Array(static_cast<uint32_t>(spans));
    const uint64_t trace_id = 0x5b8e1f2a3c4d0000ULL + static_cast<uint64_t>(t);
    const uint64_t root_id = 0x1000ULL * static_cast<uint64_t>(t + 1);
    const int64_t root_start = now - 30'000'000 + t * 1'000'000;
    const std::string order = std::to_string(4217 + t * 13);
    const Pairs common = {{"env", "prod"},
                          {"version", "2.14.1"},
                          {"runtime-id", "8f2c1d4e-7a6b-4c3d-9e8f-0a1b2c3d4e5f"},
                          {"language", "javascript"}};
    for (int s = 0; s < spans; ++s) {
      Pairs meta = common;
      Metrics metrics = {{"process_id", 4242}};
      const uint64_t id = root_id + static_cast<uint64_t>(s);
      if (s == 0) {
        const int error = t % 5 == 0 ? 1 : 0;
        meta.insert(meta.end(),
                    {{"component", "express"},
                     {"span.kind", "server"},
                     {"http.method", "GET"},
                     {"http.url", "https://shop.example.com/api/orders/" + order +
                                      "?expand=items&utm_source=mail"},
                     {"http.route", "/api/orders/:id"},
                     {"http.status_code", error ? "500" : "200"},
                     {"_dd.p.dm", "-1"},
                     {"_dd.p.tid", Hex16(0x65543a1000000000ULL + static_cast<uint64_t>(t))}});
        metrics.insert(metrics.end(),
                       {{"_sampling_priority_v1", 1}, {"_dd.agent_psr", 1}, {"_dd.top_level", 1}});
        PackSpan(p, trace_id, id, 0, "checkout-api", "express.request", "GET /api/orders/:id",
                 "web", root_start, 25'000'000, error, meta, metrics);
        continue;
      }
      const uint64_t parent = s % 3 == 0 ? id - 1 : root_id;
      const int64_t start = root_start + s * 1'000'000;
      const int64_t duration = 800'000 + s * 10'000;
      switch (s % 4) {
        case 0:
          meta.insert(meta.end(), {{"component", "express"},
                                   {"span.kind", "internal"},
                                   {"express.middleware", "jsonParser"},
                                   {"http.route", "/api/orders/:id"}});
          metrics.insert(metrics.end(), {{"_dd.measured", 0}, {"express.depth", 2}});
          PackSpan(p, trace_id, id, parent, "checkout-api", "express.middleware", "jsonParser",
                   "web", start, duration, 0, meta, metrics);
          break;
        case 1:
          meta.insert(meta.end(), {{"component", "pg"},
                                   {"span.kind", "client"},
                                   {"db.type", "postgres"},
                                   {"db.name", "shop"},
                                   {"db.user", "checkout"},
                                   {"out.host", "10.0.3.17"},
                                   {"network.destination.port", "5432"}});
          metrics.insert(metrics.end(), {{"_dd.measured", 1}, {"db.row_count", 3}});
          PackSpan(p, trace_id, id, parent, "checkout-api-postgres", "pg.query",
                   "SELECT o.id, o.total, c.email FROM orders o JOIN customers c ON c.id = "
                   "o.customer_id WHERE o.id = " +
                       order + " AND o.status IN ('paid', 'shipped') LIMIT " + std::to_string(s),
                   "sql", start, duration, 0, meta, metrics);
          break;
        case 2:
          meta.insert(meta.end(), {{"component", "http"},
                                   {"span.kind", "client"},
                                   {"http.method", "GET"},
                                   {"http.url", "http://inventory.internal:8080/v1/items/" + order +
                                                    "?warehouse=eu-west-1&fields=stock,price"},
                                   {"http.status_code", "200"},
                                   {"out.host", "inventory.internal"}});
          metrics.insert(metrics.end(), {{"_dd.measured", 1}, {"network.destination.port", 8080}});
          PackSpan(p, trace_id, id, parent, "checkout-api-http-client", "http.request", "GET",
                   "http", start, duration, 0, meta, metrics);
          break;
        default:
          meta.insert(meta.end(), {{"component", "redis"},
                                   {"span.kind", "client"},
                                   {"db.type", "redis"},
                                   {"redis.raw_command", "GET session:" + order},
                                   {"out.host", "cache.internal"}});
          metrics.insert(metrics.end(), {{"_dd.measured", 1}, {"db.redis.index", 0}});
          PackSpan(p, trace_id, id, parent, "checkout-api-redis", "redis.command", "GET", "redis",
                   start, duration, 0, meta, metrics);
          break;
      }
    }
  }
  return p.data();
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 over blocking sockets.

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<uint16_t>(port));
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof(target)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& head, const std::string& body) {
  size_t done = 0;
  const size_t total = head.size() + body.size();
  while (done < total) {
    iovec parts[2];
    int count = 0;
    if (done < head.size()) {
      parts[count++] = {const_cast<char*>(head.data()) + done, head.size() - done};
      parts[count++] = {const_cast<char*>(body.data()), body.size()};
    } else {
      parts[count++] = {const_cast<char*>(body.data()) + (done - head.size()), total - done};
    }
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = static_cast<size_t>(count);
    const ssize_t sent = sendmsg(fd, &message, MSG_NOSIGNAL);
    if (sent <= 0) return false;
    done += static_cast<size_t>(sent);
  }
  return true;
}

// Case-insensitive header lookup in a raw header block; -1 when absent.
long long HeaderNumber(const std::string& head, const char* name) {
  const size_t length = std::strlen(name);
  size_t line = head.find("\r\n");
  while (line != std::string::npos && line + 2 < head.size()) {
    const size_t start = line + 2;
    if (strncasecmp(head.c_str() + start, name, length) == 0 && head[start + length] == ':') {
      return std::atoll(head.c_str() + start + length + 1);
    }
    line = head.find("\r\n", start);
  }
  return -1;
}

bool HeaderHas(const std::string& head, const char* text) {
  return strcasestr(head.c_str(), text) != nullptr;
}

// Reads one HTTP message from fd; `buffer` keeps bytes past it. Returns the header block ("" on
// error). The body is only counted unless `body` is given, which then receives it.
std::string ReadMessage(int fd, std::string& buffer, size_t& body_bytes,
                        std::string* body = nullptr) {
  char chunk[65536];
  size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t got = recv(fd, chunk, sizeof(chunk), 0);
    if (got <= 0) return "";
    buffer.append(chunk, static_cast<size_t>(got));
  }
  std::string head = buffer.substr(0, end + 2);
  const long long length = std::max(0LL, HeaderNumber(head, "content-length"));
  size_t need = static_cast<size_t>(length);
  const size_t have = std::min(need, buffer.size() - (end + 4));
  if (body != nullptr) body->assign(buffer, end + 4, have);
  buffer.erase(0, end + 4 + have);
  need -= have;
  while (need > 0) {
    const ssize_t got = recv(fd, chunk, std::min(sizeof(chunk), need), 0);
    if (got <= 0) return "";
    if (body != nullptr) body->append(chunk, static_cast<size_t>(got));
    need -= static_cast<size_t>(got);
  }
  body_bytes = static_cast<size_t>(length);
  return head;
}

// ---------------------------------------------------------------------------------------------
// Generator.

struct Totals {
  uint64_t requests = 0, ok = 0, too_many = 0, other_status = 0, errors = 0, reconnects = 0;
  std::vector<float> latencies_ms;
};

void RunConnection(const Flags& flags, const std::string& head, const std::string& body,
                   double requests_per_ms, std::chrono::steady_clock::time_point start,
                   std::chrono::steady_clock::time_point end, Totals& totals) {
  int fd = Connect(flags.port);
  std::string buffer;
  double owed = 0;
  auto slice = start;
  while (std::chrono::steady_clock::now() < end) {
    owed = flags.rate > 0 ? owed + requests_per_ms : 1;
    while (owed >= 1 && std::chrono::steady_clock::now() < end) {
      if (fd < 0) {
        ++totals.reconnects;
        fd = Connect(flags.port);
        if (fd < 0) {
          ++totals.errors;
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          break;
        }
        buffer.clear();
      }
      const auto sent_at = std::chrono::steady_clock::now();
      size_t response_body = 0;
      std::string response;
      if (SendAll(fd, head, body)) response = ReadMessage(fd, buffer, response_body);
      if (response.empty()) {
        ++totals.errors;
        close(fd);
        fd = -1;
        continue;
      }
      totals.latencies_ms.push_back(
          std::chrono::duration<float, std::milli>(std::chrono::steady_clock::now() - sent_at)
              .count());
      ++totals.requests;
      const int status = response.size() > 12 ? std::atoi(response.c_str() + 9) : 0;
      if (status == 200) {
        ++totals.ok;
      } else if (status == 429) {
        ++totals.too_many;
      } else {
        ++totals.other_status;
      }
      if (HeaderHas(response, "connection: close")) {
        close(fd);
        fd = -1;
      }
      owed -= 1;
    }
    if (flags.rate > 0) {
      slice += std::chrono::milliseconds(1);
      std::this_thread::sleep_until(slice);
    }
  }
  if (fd >= 0) close(fd);
}

int RunGenerator(const Flags& flags) {
  std::string body;
  int spans_per_request = flags.traces * flags.spans;
  int traces_per_request = flags.traces;
  if (!flags.body_file.empty()) {
    std::ifstream file(flags.body_file, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "cannot read %s\n", flags.body_file.c_str());
      return 1;
    }
    std::ostringstream content;
    content << file.rdbuf();
    body = content.str();
    spans_per_request = flags.body_spans;
    traces_per_request = flags.body_traces;
  } else {
    body = BuildBody(flags.traces, flags.spans);
  }
  const std::string head =
      "PUT " + flags.path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(flags.port) +
      "\r\nContent-Type: application/msgpack\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nX-Datadog-Trace-Count: " + std::to_string(traces_per_request) +
      "\r\nDatadog-Meta-Lang: nodejs\r\nDatadog-Meta-Lang-Version: v20.20.2"
      "\r\nDatadog-Meta-Lang-Interpreter: v8\r\nDatadog-Meta-Tracer-Version: 5.132.0"
      // Refusals as 429 rather than the Agent's default 200, so they can be counted here.
      "\r\nDatadog-Send-Real-Http-Status: true\r\nConnection: keep-alive\r\n\r\n";

  const double requests_per_ms = spans_per_request > 0 ? flags.rate / spans_per_request / 1000.0 /
                                                             static_cast<double>(flags.connections)
                                                       : 0;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(flags.seconds));
  std::vector<Totals> totals(static_cast<size_t>(flags.connections));
  std::vector<std::thread> threads;
  for (int c = 0; c < flags.connections; ++c) {
    threads.emplace_back(RunConnection, std::cref(flags), std::cref(head), std::cref(body),
                         requests_per_ms, start, end, std::ref(totals[static_cast<size_t>(c)]));
  }
  for (auto& thread : threads) thread.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  Totals all;
  for (const Totals& t : totals) {
    all.requests += t.requests, all.ok += t.ok, all.too_many += t.too_many;
    all.other_status += t.other_status, all.errors += t.errors, all.reconnects += t.reconnects;
    all.latencies_ms.insert(all.latencies_ms.end(), t.latencies_ms.begin(), t.latencies_ms.end());
  }
  std::sort(all.latencies_ms.begin(), all.latencies_ms.end());
  auto percentile = [&all](double p) -> double {
    if (all.latencies_ms.empty()) return 0;
    return all
        .latencies_ms[static_cast<size_t>(p * static_cast<double>(all.latencies_ms.size() - 1))];
  };
  const uint64_t sent_spans = all.requests * static_cast<uint64_t>(std::max(0, spans_per_request));
  std::printf(
      "{\"sent_spans\":%llu,\"sent_requests\":%llu,\"seconds\":%.3f,\"spans_per_second\":%.0f,"
      "\"requests_per_second\":%.1f,\"spans_per_request\":%d,\"body_bytes\":%zu,"
      "\"status_200\":%llu,\"status_429\":%llu,\"status_other\":%llu,\"errors\":%llu,"
      "\"reconnects\":%llu,\"latency_p50_ms\":%.3f,\"latency_p99_ms\":%.3f}\n",
      static_cast<unsigned long long>(sent_spans), static_cast<unsigned long long>(all.requests),
      elapsed, static_cast<double>(sent_spans) / elapsed,
      static_cast<double>(all.requests) / elapsed, spans_per_request, body.size(),
      static_cast<unsigned long long>(all.ok), static_cast<unsigned long long>(all.too_many),
      static_cast<unsigned long long>(all.other_status),
      static_cast<unsigned long long>(all.errors), static_cast<unsigned long long>(all.reconnects),
      percentile(0.5), percentile(0.99));
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Null server.

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

struct ServerCounters {
  std::atomic<uint64_t> requests{0}, bytes{0}, connections{0}, spans{0}, malformed{0};
};

// Walks one msgpack object at data[pos] and everything inside it, advancing pos past it; false
// when it is truncated, malformed or nested deeper than any trace payload.
bool SkipObject(const std::string& data, size_t& pos, int depth) {
  if (depth > 32 || pos >= data.size()) return false;
  const auto tag = static_cast<uint8_t>(data[pos++]);
  const auto fits = [&](uint64_t n) { return data.size() - pos >= n; };
  const auto big_endian = [&](size_t n) {
    uint64_t value = 0;
    for (size_t i = 0; i < n; ++i) value = value << 8 | static_cast<uint8_t>(data[pos + i]);
    pos += n;
    return value;
  };
  const auto length = [&](size_t n, uint64_t& out) {
    if (!fits(n)) return false;
    out = big_endian(n);
    return true;
  };
  uint64_t items = 0;
  uint64_t skip = 0;
  if (tag <= 0x7f || tag >= 0xe0) return true;
  if ((tag & 0xf0) == 0x80) {
    items = (tag & 0x0fu) * 2u;
  } else if ((tag & 0xf0) == 0x90) {
    items = tag & 0x0fu;
  } else if ((tag & 0xe0) == 0xa0) {
    skip = tag & 0x1fu;
  } else {
    bool ok = true;
    switch (tag) {
      case 0xc0:
      case 0xc2:
      case 0xc3:
        return true;
      case 0xcc:
      case 0xd0:
        skip = 1;
        break;
      case 0xcd:
      case 0xd1:
        skip = 2;
        break;
      case 0xca:
      case 0xce:
      case 0xd2:
        skip = 4;
        break;
      case 0xcb:
      case 0xcf:
      case 0xd3:
        skip = 8;
        break;
      case 0xd4:
        skip = 2;
        break;
      case 0xd5:
        skip = 3;
        break;
      case 0xd6:
        skip = 5;
        break;
      case 0xd7:
        skip = 9;
        break;
      case 0xd8:
        skip = 17;
        break;
      case 0xc4:
      case 0xd9:
        ok = length(1, skip);
        break;
      case 0xc5:
      case 0xda:
        ok = length(2, skip);
        break;
      case 0xc6:
      case 0xdb:
        ok = length(4, skip);
        break;
      case 0xc7:
        ok = length(1, skip), ++skip;
        break;
      case 0xc8:
        ok = length(2, skip), ++skip;
        break;
      case 0xc9:
        ok = length(4, skip), ++skip;
        break;
      case 0xdc:
        ok = length(2, items);
        break;
      case 0xdd:
        ok = length(4, items);
        break;
      case 0xde:
        ok = length(2, items), items *= 2;
        break;
      case 0xdf:
        ok = length(4, items), items *= 2;
        break;
      default:
        return false;
    }
    if (!ok) return false;
  }
  if (!fits(skip)) return false;
  pos += skip;
  // Every element takes at least one byte: a count past the end is malformed, not a long loop.
  if (items > data.size() - pos) return false;
  for (uint64_t i = 0; i < items; ++i) {
    if (!SkipObject(data, pos, depth + 1)) return false;
  }
  return true;
}

// Reads an array header at data[pos]; false if there is none.
bool ArrayHeader(const std::string& data, size_t& pos, uint64_t& count) {
  if (pos >= data.size()) return false;
  const auto tag = static_cast<uint8_t>(data[pos]);
  size_t width = 0;
  if ((tag & 0xf0) == 0x90) {
    count = tag & 0x0fu;
  } else if (tag == 0xdc || tag == 0xdd) {
    width = tag == 0xdc ? 2 : 4;
    if (data.size() - pos - 1 < width) return false;
    count = 0;
    for (size_t i = 0; i < width; ++i) count = count << 8 | static_cast<uint8_t>(data[pos + 1 + i]);
  } else {
    return false;
  }
  pos += 1 + width;
  return true;
}

// A v0.4 body is an array of traces, each an array of span maps: returns the spans, -1 if the
// body is not that.
int64_t DecodeSpans(const std::string& body) {
  size_t pos = 0;
  uint64_t traces = 0;
  if (!ArrayHeader(body, pos, traces)) return -1;
  int64_t spans = 0;
  for (uint64_t t = 0; t < traces; ++t) {
    uint64_t count = 0;
    if (!ArrayHeader(body, pos, count)) return -1;
    for (uint64_t s = 0; s < count; ++s) {
      if (!SkipObject(body, pos, 0)) return -1;
    }
    spans += static_cast<int64_t>(count);
  }
  return pos == body.size() ? spans : -1;
}

void ServeConnection(int fd, bool decode, ServerCounters& counters) {
  static const std::string kResponse =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n"
      "{\"rate_by_service\":{}}";
  static const std::string kMalformed = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  std::string buffer;
  std::string body;
  size_t body_bytes = 0;
  while (true) {
    const std::string head = ReadMessage(fd, buffer, body_bytes, decode ? &body : nullptr);
    if (head.empty()) break;
    counters.requests.fetch_add(1, std::memory_order_relaxed);
    counters.bytes.fetch_add(head.size() + 2 + body_bytes, std::memory_order_relaxed);
    const std::string* response = &kResponse;
    if (decode) {
      const int64_t spans = DecodeSpans(body);
      if (spans < 0) {
        counters.malformed.fetch_add(1, std::memory_order_relaxed);
        response = &kMalformed;
      } else {
        counters.spans.fetch_add(static_cast<uint64_t>(spans), std::memory_order_relaxed);
      }
    }
    if (send(fd, response->data(), response->size(), MSG_NOSIGNAL) <= 0) break;
  }
  close(fd);
}

int RunNullServer(const Flags& flags) {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(flags.port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(listener, 128) != 0) {
    std::perror("bind");
    return 1;
  }
  socklen_t length = sizeof(address);
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::printf("listening on %d\n", ntohs(address.sin_port));
  std::fflush(stdout);

  ServerCounters counters;
  while (!g_stop) {
    pollfd ready{listener, POLLIN, 0};
    if (poll(&ready, 1, 100) <= 0) continue;
    const int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    counters.connections.fetch_add(1);
    // Connection threads are detached: the process exits with them once the counters are out.
    std::thread(ServeConnection, fd, flags.decode, std::ref(counters)).detach();
  }
  std::printf(
      "{\"received_requests\":%llu,\"received_bytes\":%llu,\"connections\":%llu,"
      "\"decoded_spans\":%llu,\"malformed_bodies\":%llu}\n",
      static_cast<unsigned long long>(counters.requests.load()),
      static_cast<unsigned long long>(counters.bytes.load()),
      static_cast<unsigned long long>(counters.connections.load()),
      static_cast<unsigned long long>(counters.spans.load()),
      static_cast<unsigned long long>(counters.malformed.load()));
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  return flags.null_server ? RunNullServer(flags) : RunGenerator(flags);
}
