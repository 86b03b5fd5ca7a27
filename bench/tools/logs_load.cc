// logs-load: a log load generator for the logs receivers, and the null server they are compared
// with. Load mode opens N connections and writes, for a fixed duration at a target line rate,
// either Fluent Forward PackedForward messages (what FireLens / Fluent Bit sends: entries
// [EventTime, {"log", "source", "container_name", "container_id"}], 100-1000 entries per message)
// or raw newline-terminated lines. Messages are precomputed, so the generator costs little more
// than the writes. A message counts as sent only once the kernel took all of it; when the
// receiver stops reading (backpressure) the writes stall and the achieved rate falls below the
// target. Prints one JSON line with what it sent.
//
//   logs-load --port 24224 --rate 200000 --seconds 5 [--connections 4] [--mode forward|lines]
//             [--unix /path.sock] [--entries-min 100] [--entries-max 1000] [--line-bytes 150]
//
// --rate 0 writes as fast as the receiver reads.
//
// Null-server mode, the physical baseline: accepts TCP (and optionally Unix) connections on one
// epoll thread, reads 64 KiB at a time (the sidecar's read size) and counts bytes and newlines,
// nothing else. Prints `listening on <port>` first, then on SIGTERM/SIGINT one JSON line.
//
//   logs-load --null-server --port 0 [--unix /path.sock]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  int port = 24224;
  std::string unix_path;
  double rate = 100000;
  double seconds = 5;
  int connections = 4;
  bool lines_mode = false;
  int entries_min = 100;
  int entries_max = 1000;
  size_t line_bytes = 150;
  bool null_server = false;
};

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--null-server") {
      flags.null_server = true;
      continue;
    }
    if (i + 1 >= argc) break;
    const char* value = argv[i + 1];
    if (name == "--port")
      flags.port = std::atoi(value), ++i;
    else if (name == "--unix")
      flags.unix_path = value, ++i;
    else if (name == "--rate")
      flags.rate = std::atof(value), ++i;
    else if (name == "--seconds")
      flags.seconds = std::atof(value), ++i;
    else if (name == "--connections")
      flags.connections = std::max(1, std::atoi(value)), ++i;
    else if (name == "--mode")
      flags.lines_mode = std::string(value) == "lines", ++i;
    else if (name == "--entries-min")
      flags.entries_min = std::max(1, std::atoi(value)), ++i;
    else if (name == "--entries-max")
      flags.entries_max = std::max(1, std::atoi(value)), ++i;
    else if (name == "--line-bytes")
      flags.line_bytes = static_cast<size_t>(std::max(40, std::atoi(value))), ++i;
  }
  flags.entries_max = std::max(flags.entries_min, flags.entries_max);
  return flags;
}

// Just the msgpack the Forward protocol needs, big-endian as the format requires.
class Packer {
 public:
  std::string& bytes() { return bytes_; }

  void Array(uint32_t n) { Header(n, 0x90, 16, 0xdc, 0xdd); }
  void Map(uint32_t n) { Header(n, 0x80, 16, 0xde, 0xdf); }
  void Str(const std::string& s) {
    const auto n = static_cast<uint32_t>(s.size());
    if (n < 32) {
      Byte(0xa0 | n);
    } else if (n < 256) {
      Byte(0xd9), Byte(n);
    } else if (n < 65536) {
      Byte(0xda), Be16(n);
    } else {
      Byte(0xdb), Be32(n);
    }
    bytes_ += s;
  }
  void Bin(const std::string& s) {
    const auto n = static_cast<uint32_t>(s.size());
    if (n < 256) {
      Byte(0xc4), Byte(n);
    } else if (n < 65536) {
      Byte(0xc5), Be16(n);
    } else {
      Byte(0xc6), Be32(n);
    }
    bytes_ += s;
  }
  void Uint(uint32_t v) {
    if (v < 128) {
      Byte(v);
    } else {
      Byte(0xce), Be32(v);
    }
  }
  // Fluent's EventTime: ext type 0, seconds and nanoseconds (what Fluent Bit sends).
  void EventTime(uint32_t seconds, uint32_t nanoseconds) {
    Byte(0xd7), Byte(0x00), Be32(seconds), Be32(nanoseconds);
  }

 private:
  void Byte(uint32_t b) { bytes_.push_back(static_cast<char>(b & 0xff)); }
  void Be16(uint32_t v) { Byte(v >> 8), Byte(v); }
  void Be32(uint32_t v) { Byte(v >> 24), Byte(v >> 16), Byte(v >> 8), Byte(v); }
  void Header(uint32_t n, uint32_t fix, uint32_t fix_limit, uint32_t b16, uint32_t b32) {
    if (n < fix_limit) {
      Byte(fix | n);
    } else if (n < 65536) {
      Byte(b16), Be16(n);
    } else {
      Byte(b32), Be32(n);
    }
  }

  std::string bytes_;
};

// An application-looking line of exactly `size` bytes; `n` varies every field.
std::string MakeLine(uint64_t n, size_t size) {
  char text[512];
  std::snprintf(text, sizeof(text),
                "2026-11-23T06:%02u:%02u.%03uZ INFO [worker-%u] GET /api/v1/orders/%06u "
                "status=%u duration_ms=%u request_id=%016llx user_agent=bench-client/1.0 ",
                static_cast<unsigned>(n / 60000 % 60), static_cast<unsigned>(n / 1000 % 60),
                static_cast<unsigned>(n % 1000), static_cast<unsigned>(n % 8),
                static_cast<unsigned>(n * 7919 % 1000000), n % 50 == 0 ? 500u : 200u,
                static_cast<unsigned>(n * 31 % 900 + 1),
                static_cast<unsigned long long>(n * 0x9e3779b97f4a7c15ULL));
  std::string line = text;
  while (line.size() < size) line += static_cast<char>('a' + line.size() % 26);
  line.resize(size);
  return line;
}

struct Message {
  std::string bytes;
  uint64_t lines = 0;
};

// A few distinct messages per connection, sizes spread over [entries_min, entries_max].
std::vector<Message> BuildMessages(const Flags& flags, int connection) {
  constexpr int kMessages = 8;
  const std::string container_id = [&] {
    std::string id;
    for (int i = 0; i < 64; ++i) id += "0123456789abcdef"[(connection * 7 + i * 13) % 16];
    return id;
  }();
  std::vector<Message> messages;
  uint64_t n = static_cast<uint64_t>(connection) * 1000003;
  for (int m = 0; m < kMessages; ++m) {
    const int span = flags.entries_max - flags.entries_min;
    const int entries = flags.entries_min + (kMessages > 1 ? span * m / (kMessages - 1) : 0);
    Message message;
    message.lines = static_cast<uint64_t>(entries);
    if (flags.lines_mode) {
      for (int e = 0; e < entries; ++e) {
        message.bytes += MakeLine(n++, flags.line_bytes);
        message.bytes += '\n';
      }
    } else {
      Packer entries_packer;
      for (int e = 0; e < entries; ++e) {
        entries_packer.Array(2);
        entries_packer.EventTime(1795500000u + static_cast<uint32_t>(n / 1000),
                                 static_cast<uint32_t>(n % 1000) * 1000000u);
        entries_packer.Map(4);
        entries_packer.Str("log");
        entries_packer.Str(MakeLine(n++, flags.line_bytes));
        entries_packer.Str("source");
        entries_packer.Str("stdout");
        entries_packer.Str("container_name");
        entries_packer.Str("/app");
        entries_packer.Str("container_id");
        entries_packer.Str(container_id);
      }
      Packer packer;
      packer.Array(3);
      packer.Str("app-firelens-0123456789abcdef");
      packer.Bin(entries_packer.bytes());
      packer.Map(1);
      packer.Str("size");
      packer.Uint(static_cast<uint32_t>(entries));
      message.bytes = std::move(packer.bytes());
    }
    messages.push_back(std::move(message));
  }
  return messages;
}

int Connect(const Flags& flags) {
  int fd = -1;
  if (!flags.unix_path.empty()) {
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", flags.unix_path.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      close(fd);
      return -1;
    }
  } else {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(flags.port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      close(fd);
      return -1;
    }
  }
  // A short send timeout lets a stalled writer notice the end of the run.
  timeval timeout{0, 50000};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  return fd;
}

struct Sent {
  uint64_t lines = 0;
  uint64_t messages = 0;
  uint64_t bytes = 0;          // Of complete messages.
  uint64_t bytes_written = 0;  // Including the unfinished one at the end.
  uint64_t stalls = 0;         // Send timeouts (50 ms each): the receiver was not reading.
  bool connect_failed = false;
  bool write_failed = false;
};

// Writes all of `data` unless the run ends first or the connection fails.
bool WriteAll(int fd, const std::string& data, Clock::time_point end, Sent& sent) {
  size_t offset = 0;
  while (offset < data.size()) {
    const ssize_t n = send(fd, data.data() + offset, data.size() - offset, MSG_NOSIGNAL);
    if (n > 0) {
      offset += static_cast<size_t>(n);
      sent.bytes_written += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (errno != EINTR) ++sent.stalls;
      if (Clock::now() >= end) return false;
      continue;
    }
    sent.write_failed = true;
    return false;
  }
  return true;
}

// Paced against elapsed time, so a stall is caught up afterwards, as a client with a buffer does.
void RunConnection(const Flags& flags, int index, Clock::time_point start, Sent& sent) {
  const std::vector<Message> messages = BuildMessages(flags, index);
  const int fd = Connect(flags);
  if (fd < 0) {
    sent.connect_failed = true;
    return;
  }
  const double rate = flags.rate / flags.connections;
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(flags.seconds));
  size_t next = 0;
  auto now = Clock::now();
  while (now < end && !sent.write_failed) {
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const Message& message = messages[next];
    if (rate > 0 && static_cast<double>(sent.lines + message.lines) > rate * elapsed) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } else if (WriteAll(fd, message.bytes, end, sent)) {
      sent.lines += message.lines;
      sent.bytes += message.bytes.size();
      ++sent.messages;
      next = (next + 1) % messages.size();
    }
    now = Clock::now();
  }
  shutdown(fd, SHUT_WR);
  close(fd);
}

int RunLoad(const Flags& flags) {
  std::vector<Sent> sent(static_cast<size_t>(flags.connections));
  std::vector<std::thread> threads;
  const auto start = Clock::now() + std::chrono::milliseconds(200);  // Messages built by then.
  for (int i = 0; i < flags.connections; ++i) {
    threads.emplace_back([&flags, &sent, i, start] {
      RunConnection(flags, i, start, sent[static_cast<size_t>(i)]);
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  Sent total;
  int connect_failures = 0;
  int write_failures = 0;
  for (const Sent& s : sent) {
    total.lines += s.lines;
    total.messages += s.messages;
    total.bytes += s.bytes;
    total.bytes_written += s.bytes_written;
    total.stalls += s.stalls;
    connect_failures += s.connect_failed ? 1 : 0;
    write_failures += s.write_failed ? 1 : 0;
  }
  std::printf(
      "{\"mode\":\"%s\",\"connections\":%d,\"sent_lines\":%llu,\"sent_messages\":%llu,"
      "\"sent_bytes\":%llu,\"bytes_written\":%llu,\"seconds\":%.3f,\"lines_per_second\":%.0f,"
      "\"lines_per_message\":%.1f,\"stall_seconds\":%.2f,\"connect_failures\":%d,"
      "\"write_failures\":%d}\n",
      flags.lines_mode ? "lines" : "forward", flags.connections,
      static_cast<unsigned long long>(total.lines), static_cast<unsigned long long>(total.messages),
      static_cast<unsigned long long>(total.bytes),
      static_cast<unsigned long long>(total.bytes_written), elapsed,
      static_cast<double>(total.lines) / elapsed,
      total.messages > 0 ? static_cast<double>(total.lines) / static_cast<double>(total.messages)
                         : 0.0,
      static_cast<double>(total.stalls) * 0.05, connect_failures, write_failures);
  return connect_failures == flags.connections ? 1 : 0;
}

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

int Listen(const Flags& flags, uint16_t& bound_port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(flags.port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 128) != 0) {
    std::perror("bind");
    return -1;
  }
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  bound_port = ntohs(address.sin_port);
  return fd;
}

int ListenUnix(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
  unlink(path.c_str());
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 128) != 0) {
    std::perror("bind unix");
    return -1;
  }
  return fd;
}

int RunNullServer(const Flags& flags) {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  uint16_t port = 0;
  const int tcp = Listen(flags, port);
  if (tcp < 0) return 1;
  const int local = flags.unix_path.empty() ? -1 : ListenUnix(flags.unix_path);
  const int epoll = epoll_create1(0);
  for (const int fd : {tcp, local}) {
    if (fd < 0) continue;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
  }
  std::printf("listening on %d\n", port);
  std::fflush(stdout);

  std::vector<char> buffer(64 * 1024);
  std::vector<epoll_event> events(64);
  uint64_t bytes = 0;
  uint64_t newlines = 0;
  uint64_t connections = 0;
  uint64_t reads = 0;
  while (!g_stop) {
    const int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < ready; ++i) {
      const int fd = events[static_cast<size_t>(i)].data.fd;
      if (fd == tcp || fd == local) {
        for (int client; (client = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
          epoll_event event{};
          event.events = EPOLLIN;
          event.data.fd = client;
          epoll_ctl(epoll, EPOLL_CTL_ADD, client, &event);
          ++connections;
        }
        continue;
      }
      // One read per readiness, as an event loop serving many connections does.
      const ssize_t n = read(fd, buffer.data(), buffer.size());
      if (n > 0) {
        ++reads;
        bytes += static_cast<uint64_t>(n);
        // Touch every byte, the least a receiver must do.
        newlines += static_cast<uint64_t>(std::count(buffer.data(), buffer.data() + n, '\n'));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
      }
    }
  }
  if (!flags.unix_path.empty()) unlink(flags.unix_path.c_str());
  std::printf(
      "{\"received_bytes\":%llu,\"received_newlines\":%llu,\"connections\":%llu,"
      "\"reads\":%llu}\n",
      static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(newlines),
      static_cast<unsigned long long>(connections), static_cast<unsigned long long>(reads));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  return flags.null_server ? RunNullServer(flags) : RunLoad(flags);
}
