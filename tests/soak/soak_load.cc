#include "tests/soak/soak_load.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <msgpack.hpp>

#include "fmt/format.h"
#include "tests/soak/soak_ledger.h"
#include "tests/testing/http_test_client.h"

namespace sidecar::soak {
namespace {

using Clock = std::chrono::steady_clock;

// The allowance never runs further ahead than this (see the header).
constexpr double kMaxBacklogSeconds = 2.0;

double SecondsSince(SteadyTime start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void SetTimeouts(int fd, std::chrono::milliseconds send, std::chrono::milliseconds receive) {
  const auto to_timeval = [](std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>(ms.count() % 1000 * 1000);
    return tv;
  };
  const timeval send_tv = to_timeval(send);
  const timeval receive_tv = to_timeval(receive);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_tv, sizeof(send_tv));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &receive_tv, sizeof(receive_tv));
}

int ConnectUnix(int type, const std::string& path) {
  const int fd = socket(AF_UNIX, type, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int ConnectLoopback(int type, uint16_t port) {
  const int fd = socket(AF_INET, type, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Writes everything unless the peer goes away, a send times out, or `stop` is set.
bool WriteAll(int fd, const std::string& data, const std::atomic<bool>& stop) {
  size_t offset = 0;
  while (offset < data.size()) {
    const ssize_t n = send(fd, data.data() + offset, data.size() - offset, MSG_NOSIGNAL);
    if (n > 0) {
      offset += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (stop.load()) {
        return false;
      }
    } else {
      return false;
    }
  }
  return true;
}

// Waits for `{"ack": chunk}`; false on EOF, error, a wrong ack, `timeout` or `stop`.
bool ReadAck(int fd, const std::string& chunk, std::chrono::seconds timeout,
             const std::atomic<bool>& stop, bool& timed_out) {
  timed_out = false;
  msgpack::unpacker unpacker;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    unpacker.reserve_buffer(256);
    const ssize_t n = recv(fd, unpacker.buffer(), unpacker.buffer_capacity(), 0);
    if (n == 0) {
      return false;
    }
    if (n < 0) {
      if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
        return false;
      }
      if (Clock::now() >= deadline || stop.load()) {
        timed_out = Clock::now() >= deadline;
        return false;
      }
      continue;
    }
    unpacker.buffer_consumed(static_cast<size_t>(n));
    try {
      msgpack::object_handle handle;
      if (!unpacker.next(handle)) {
        continue;
      }
      const msgpack::object& object = handle.get();
      if (object.type != msgpack::type::MAP || object.via.map.size < 1) {
        return false;
      }
      const msgpack::object_kv& kv = object.via.map.ptr[0];
      return kv.key.type == msgpack::type::STR && kv.key.as<std::string>() == "ack" &&
             kv.val.type == msgpack::type::STR && kv.val.as<std::string>() == chunk;
    } catch (const std::exception&) {
      return false;
    }
  }
}

}  // namespace

bool IdBook::Allocate(size_t n, size_t& first) {
  first = next.fetch_add(n);
  return first + n <= state.size();
}

bool Pacer::Wait(uint64_t units, const std::atomic<bool>& stop) {
  if (rate_ <= 0) {
    return !stop.load();
  }
  while (!stop.load()) {
    const double elapsed = SecondsSince(start_);
    const double allowed = rate_ * elapsed;
    if (allowed - sent_ > rate_ * kMaxBacklogSeconds) {
      sent_ = allowed - rate_ * kMaxBacklogSeconds;  // Forget what could not be sent in time.
    }
    if (sent_ + static_cast<double>(units) <= allowed) {
      sent_ += static_cast<double>(units);
      return true;
    }
    const double wait_s = (sent_ + static_cast<double>(units) - allowed) / rate_;
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait_s, 0.05)));
  }
  return false;
}

LoadThread::~LoadThread() = default;

void LoadThread::Start(SteadyTime start) {
  thread_ = std::thread([this, start] { Run(start); });
}

void LoadThread::Stop() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

// --- DogStatsD --------------------------------------------------------------------------------

DogstatsdSender::Accepted DogstatsdSender::AcceptedAfter(double since_s) const {
  std::lock_guard<std::mutex> lock(mu_);
  Accepted total;
  for (size_t tenth = 0; tenth < by_tenth_.size(); ++tenth) {
    if (static_cast<double>(tenth + 1) / 10 > since_s) {
      total.lines += by_tenth_[tenth].lines;
      total.value += by_tenth_[tenth].value;
    }
  }
  return total;
}

void DogstatsdSender::Run(SteadyTime start) {
  const bool uds = !options_.unix_path.empty();
  // Datagrams cycle through the contexts; precomputed since the content never changes.
  std::vector<std::string> datagrams;
  std::vector<uint64_t> datagram_values;
  int context = 0;
  for (int d = 0; d < options_.contexts; ++d) {
    std::string datagram;
    uint64_t value = 0;
    for (int l = 0; l < options_.lines_per_datagram; ++l) {
      const int increment = context % 5 + 1;
      datagram +=
          fmt::format("{}{}:{}|c|#ctx:{}", l == 0 ? "" : "\n", options_.metric, increment, context);
      value += static_cast<uint64_t>(increment);
      context = (context + 1) % options_.contexts;
    }
    datagrams.push_back(std::move(datagram));
    datagram_values.push_back(value);
  }
  Pacer pacer(options_.lines_per_second, start);
  int fd = -1;
  size_t next = 0;
  while (pacer.Wait(static_cast<uint64_t>(options_.lines_per_datagram), stop_)) {
    if (fd < 0) {
      fd = uds ? ConnectUnix(SOCK_DGRAM, options_.unix_path)
               : ConnectLoopback(SOCK_DGRAM, options_.udp_port);
      if (fd < 0) {
        send_failures_ += 1;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      SetTimeouts(fd, std::chrono::seconds(1), std::chrono::seconds(1));
    }
    const std::string& datagram = datagrams[next];
    const ssize_t n = send(fd, datagram.data(), datagram.size(), MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(datagram.size())) {
      send_failures_ += 1;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        close(fd);  // ECONNREFUSED after the sidecar closed its socket: reconnect later.
        fd = -1;
      }
      continue;
    }
    const double now_s = SecondsSince(start);
    lines_accepted_ += static_cast<uint64_t>(options_.lines_per_datagram);
    value_accepted_ += datagram_values[next];
    datagrams_accepted_ += 1;
    last_accept_ms_ = static_cast<int64_t>(now_s * 1000);
    {
      std::lock_guard<std::mutex> lock(mu_);
      const auto tenth = static_cast<size_t>(now_s * 10);
      if (by_tenth_.size() <= tenth) {
        by_tenth_.resize(tenth + 1);
      }
      by_tenth_[tenth].lines += static_cast<uint64_t>(options_.lines_per_datagram);
      by_tenth_[tenth].value += datagram_values[next];
    }
    next = (next + 1) % datagrams.size();
  }
  if (fd >= 0) {
    close(fd);
  }
}

// --- Traces -----------------------------------------------------------------------------------

std::map<int, uint64_t> TraceSender::RequestsByStatus() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_status_;
}

void TraceSender::Run(SteadyTime start) {
  const int spans = std::max(1, options_.spans_per_trace);
  const int traces = std::max(1, options_.traces_per_request);
  Pacer pacer(options_.spans_per_second, start);
  while (pacer.Wait(static_cast<uint64_t>(spans * traces), stop_)) {
    size_t first = 0;
    if (!book_.Allocate(static_cast<size_t>(traces), first)) {
      return;  // The id space is sized for the run with headroom; stop rather than overflow.
    }
    const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> packer(buffer);
    packer.pack_array(static_cast<uint32_t>(traces));
    for (int t = 0; t < traces; ++t) {
      const uint64_t trace_id = kTraceIdBase + first + static_cast<uint64_t>(t);
      packer.pack_array(static_cast<uint32_t>(spans));
      for (int s = 0; s < spans; ++s) {
        const uint64_t span_id = trace_id * 16 + static_cast<uint64_t>(s) + 1;
        const bool root = s == 0;
        packer.pack_map(12);
        packer.pack(std::string("trace_id"));
        packer.pack(trace_id);
        packer.pack(std::string("span_id"));
        packer.pack(span_id);
        packer.pack(std::string("parent_id"));
        packer.pack(root ? uint64_t{0} : trace_id * 16 + 1);
        packer.pack(std::string("name"));
        packer.pack(std::string(root ? "soak.request" : "soak.child"));
        packer.pack(std::string("resource"));
        packer.pack(fmt::format("GET /soak/{}", s));
        packer.pack(std::string("service"));
        packer.pack(std::string("soak-svc"));
        packer.pack(std::string("type"));
        packer.pack(std::string("web"));
        packer.pack(std::string("start"));
        packer.pack(now_ns + s * 1000);
        packer.pack(std::string("duration"));
        packer.pack(int64_t{1'000'000} - s * 1000);
        packer.pack(std::string("error"));
        packer.pack(int32_t{0});
        packer.pack(std::string("meta"));
        packer.pack_map(1);
        packer.pack(std::string("soak.run"));
        packer.pack(std::string("1"));
        packer.pack(std::string("metrics"));
        if (root) {
          packer.pack_map(1);
          packer.pack(std::string("_sampling_priority_v1"));
          packer.pack(2.0);
        } else {
          packer.pack_map(0);
        }
      }
    }
    testing::HttpTestRequest request;
    request.method = "POST";
    request.target = "/v0.4/traces";
    request.headers = {{"Content-Type", "application/msgpack"},
                       {"X-Datadog-Trace-Count", std::to_string(traces)},
                       {"Datadog-Meta-Lang", "cpp"},
                       {"Datadog-Meta-Lang-Version", "20"},
                       {"Datadog-Meta-Tracer-Version", "0.0.1-soak"}};
    request.body.assign(buffer.data(), buffer.size());
    const auto sent_at = static_cast<float>(SecondsSince(start));
    for (int t = 0; t < traces; ++t) {
      book_.state[first + static_cast<size_t>(t)] = kSentUnacked;
      book_.sent_at[first + static_cast<size_t>(t)] = sent_at;
    }
    const auto reply = testing::SendHttp(options_.port, request, std::chrono::seconds(10));
    const int status = reply.ok() ? reply->status : 0;
    if (status == 200) {
      for (int t = 0; t < traces; ++t) {
        book_.state[first + static_cast<size_t>(t)] = kAcked;
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++by_status_[status];
  }
}

// --- Fluent Forward ---------------------------------------------------------------------------

int ForwardSender::Connect() const {
  const int fd = options_.unix_path.empty() ? ConnectLoopback(SOCK_STREAM, options_.tcp_port)
                                            : ConnectUnix(SOCK_STREAM, options_.unix_path);
  if (fd >= 0) {
    SetTimeouts(fd, std::chrono::seconds(1), std::chrono::seconds(1));
  }
  return fd;
}

void ForwardSender::Run(SteadyTime start) {
  const int per_message = std::max(1, options_.records_per_message);
  const std::string padding(80, 'x');  // Log lines of a realistic ~100 bytes.
  Pacer pacer(options_.records_per_second, start);
  int fd = -1;
  uint64_t message_number = 0;
  while (pacer.Wait(static_cast<uint64_t>(per_message), stop_)) {
    if (fd < 0) {
      fd = Connect();
      if (fd < 0) {
        connection_failures_ += 1;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
    }
    size_t first = 0;
    if (!book_.Allocate(static_cast<size_t>(per_message), first)) {
      break;
    }
    const auto epoch_s =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
    msgpack::sbuffer entries;
    msgpack::packer<msgpack::sbuffer> entry_packer(entries);
    for (int r = 0; r < per_message; ++r) {
      entry_packer.pack_array(2);
      entry_packer.pack(epoch_s);
      entry_packer.pack_map(3);
      entry_packer.pack(std::string("log"));
      entry_packer.pack(
          fmt::format("{}{} {}", kLogPrefix, first + static_cast<size_t>(r), padding));
      entry_packer.pack(std::string("source"));
      entry_packer.pack(std::string("stdout"));
      entry_packer.pack(std::string("container_name"));
      entry_packer.pack(std::string("/soak-app"));
    }
    const std::string chunk = fmt::format("soak-{}-{}", first, ++message_number);
    msgpack::sbuffer message;
    msgpack::packer<msgpack::sbuffer> packer(message);
    packer.pack_array(3);
    packer.pack(std::string("soak.app"));
    packer.pack_bin(static_cast<uint32_t>(entries.size()));
    packer.pack_bin_body(entries.data(), static_cast<uint32_t>(entries.size()));
    packer.pack_map(2);
    packer.pack(std::string("size"));
    packer.pack(per_message);
    packer.pack(std::string("chunk"));
    packer.pack(chunk);

    const auto sent_at = static_cast<float>(SecondsSince(start));
    for (int r = 0; r < per_message; ++r) {
      book_.state[first + static_cast<size_t>(r)] = kSentUnacked;
      book_.sent_at[first + static_cast<size_t>(r)] = sent_at;
    }
    bool timed_out = false;
    const bool acked = WriteAll(fd, std::string(message.data(), message.size()), stop_) &&
                       ReadAck(fd, chunk, options_.ack_timeout, stop_, timed_out);
    if (acked) {
      for (int r = 0; r < per_message; ++r) {
        book_.state[first + static_cast<size_t>(r)] = kAcked;
      }
      messages_acked_ += 1;
    } else {
      ack_timeouts_ += timed_out ? 1 : 0;
      close(fd);  // The connection's state is unknown now; start clean.
      fd = -1;
    }
  }
  if (fd >= 0) {
    close(fd);
  }
}

}  // namespace sidecar::soak
