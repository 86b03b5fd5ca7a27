// Paced load for the soak run, one thread per sender. Every sender counts what the sidecar
// *accepted* by the strongest signal its protocol offers: a UDS datagram the kernel took (the
// socket is reliable and blocking), a UDP datagram handed to the kernel (may still be dropped in
// the receive queue), a v0.4 trace request answered 200, a Fluent Forward message whose `chunk`
// was acked. A sender that falls far behind its rate (the sidecar applied backpressure) does not
// burst to catch up: like a client with a bounded buffer, it forgets the backlog.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sidecar::soak {

using SteadyTime = std::chrono::steady_clock::time_point;

// Per-id outcome on the client side, for traces and log records (dense indexes).
enum IdState : uint8_t { kUnsent = 0, kSentUnacked = 1, kAcked = 2 };

struct IdBook {
  std::vector<uint8_t> state;     // IdState per index.
  std::vector<float> sent_at;     // Seconds since the run started.
  std::atomic<uint64_t> next{0};  // Next free index (shared by the senders of one signal).

  explicit IdBook(size_t capacity) : state(capacity, kUnsent), sent_at(capacity, 0) {}
  // Reserves `n` consecutive indexes; false when the book is full.
  bool Allocate(size_t n, size_t& first);
};

// Sleeps until `units` more may be sent at `rate` per second since `start`, without letting the
// allowance run more than `max_backlog` ahead of what was sent.
class Pacer {
 public:
  Pacer(double rate, SteadyTime start) : rate_(rate), start_(start) {}
  // False when `stop` became true while waiting.
  bool Wait(uint64_t units, const std::atomic<bool>& stop);

 private:
  double rate_;
  SteadyTime start_;
  double sent_ = 0;
};

class LoadThread {
 public:
  virtual ~LoadThread();
  void Start(SteadyTime start);
  // Asks the thread to finish and joins it. Idempotent.
  void Stop();

 protected:
  virtual void Run(SteadyTime start) = 0;
  std::atomic<bool> stop_{false};

 private:
  std::thread thread_;
};

// DogStatsD counters `<metric>:<inc>|c|#ctx:<k>` with inc = k % 5 + 1 over `contexts` contexts.
class DogstatsdSender : public LoadThread {
 public:
  struct Options {
    std::string unix_path;  // Set: UDS datagrams; empty: UDP to 127.0.0.1:udp_port.
    uint16_t udp_port = 0;
    std::string metric;
    double lines_per_second = 1000;
    int lines_per_datagram = 20;
    int contexts = 50;
  };
  explicit DogstatsdSender(Options options) : options_(std::move(options)) {}
  ~DogstatsdSender() override { Stop(); }

  uint64_t lines_accepted() const { return lines_accepted_.load(); }
  uint64_t value_accepted() const { return value_accepted_.load(); }
  uint64_t datagrams_accepted() const { return datagrams_accepted_.load(); }
  uint64_t send_failures() const { return send_failures_.load(); }
  // Seconds since start of the last accepted datagram.
  double last_accept_s() const { return last_accept_ms_.load() / 1000.0; }
  struct Accepted {
    uint64_t lines = 0;
    uint64_t value = 0;
  };
  // What was accepted from `since_s` seconds after start on (0.1 s resolution): the shutdown
  // window, where the sidecar may close its socket with datagrams still queued.
  Accepted AcceptedAfter(double since_s) const;

 protected:
  void Run(SteadyTime start) override;

 private:
  Options options_;
  std::atomic<uint64_t> lines_accepted_{0};
  std::atomic<uint64_t> value_accepted_{0};
  std::atomic<uint64_t> datagrams_accepted_{0};
  std::atomic<uint64_t> send_failures_{0};
  std::atomic<int64_t> last_accept_ms_{0};
  mutable std::mutex mu_;
  std::vector<Accepted> by_tenth_;  // Accepted per 0.1 s since start.
};

// v0.4 msgpack traces of `spans_per_trace` spans, sampling priority 2 (user keep), POSTed
// `traces_per_request` at a time, one connection per request.
class TraceSender : public LoadThread {
 public:
  struct Options {
    uint16_t port = 0;
    double spans_per_second = 100;
    int spans_per_trace = 4;
    int traces_per_request = 25;
  };
  TraceSender(Options options, IdBook& book) : options_(options), book_(book) {}
  ~TraceSender() override { Stop(); }

  std::map<int, uint64_t> RequestsByStatus() const;  // 0 = transport error.

 protected:
  void Run(SteadyTime start) override;

 private:
  Options options_;
  IdBook& book_;
  mutable std::mutex mu_;
  std::map<int, uint64_t> by_status_;
};

// Fluent Forward PackedForward messages with a `chunk` option over TCP or a Unix socket; a record
// counts as accepted only once its message's ack arrived.
class ForwardSender : public LoadThread {
 public:
  struct Options {
    std::string unix_path;  // Set: Unix socket; empty: TCP 127.0.0.1:tcp_port.
    uint16_t tcp_port = 0;
    double records_per_second = 100;
    int records_per_message = 50;
    std::chrono::seconds ack_timeout{60};
  };
  ForwardSender(Options options, IdBook& book) : options_(std::move(options)), book_(book) {}
  ~ForwardSender() override { Stop(); }

  uint64_t messages_acked() const { return messages_acked_.load(); }
  uint64_t ack_timeouts() const { return ack_timeouts_.load(); }
  uint64_t connection_failures() const { return connection_failures_.load(); }

 protected:
  void Run(SteadyTime start) override;

 private:
  int Connect() const;

  Options options_;
  IdBook& book_;
  std::atomic<uint64_t> messages_acked_{0};
  std::atomic<uint64_t> ack_timeouts_{0};
  std::atomic<uint64_t> connection_failures_{0};
};

}  // namespace sidecar::soak
