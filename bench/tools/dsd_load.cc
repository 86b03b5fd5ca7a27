// dsd-load: a DogStatsD UDP load generator. Sends 1432-byte datagrams of `name:value|type|#tags`
// lines over a fixed set of contexts with sendmmsg, at a target line rate, for a fixed duration,
// then prints one JSON line with what it sent. Pacing is per 1 ms slice, so rates up to several
// million lines/s are reachable from one core.
//
//   dsd-load --port 8125 --rate 1000000 --seconds 5 --contexts 10000 --tags 5 [--mix]
//            [--types c,g,h,ms] [--unique-values]
// --tags 0 sends plain StatsD lines (no `|#` section) for receivers that do not speak DogStatsD;
// --types picks the metric types that --mix cycles over (default c,g,h,d).
// --unique-values gives every line sent a value never sent before (a running counter written into
// a fixed-width value field of each datagram at send time), so histogram and set contexts cannot
// merge equal samples: the receiver's memory per bucket grows with the rate (the worst flood).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

// With --unique-values every value field is this wide. Values count up from 10^11, so they keep
// the width (and the datagrams their size) for 9 * 10^11 lines, days at any rate we can send.
constexpr size_t kUniqueValueWidth = 12;
constexpr uint64_t kFirstUniqueValue = 100'000'000'000;

struct Flags {
  int port = 8125;
  double rate = 100000;
  double seconds = 5;
  int contexts = 10000;
  int tags = 5;
  bool mix = false;
  bool unique_values = false;
  std::vector<std::string> types = {"c", "g", "h", "d"};
  size_t datagram_size = 1432;
};

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i + 1 < argc; ++i) {
    const std::string name = argv[i];
    const char* value = argv[i + 1];
    if (name == "--port")
      flags.port = std::atoi(value), ++i;
    else if (name == "--rate")
      flags.rate = std::atof(value), ++i;
    else if (name == "--seconds")
      flags.seconds = std::atof(value), ++i;
    else if (name == "--contexts")
      flags.contexts = std::atoi(value), ++i;
    else if (name == "--tags")
      flags.tags = std::atoi(value), ++i;
    else if (name == "--types") {
      flags.types.clear();
      std::string list = value;
      for (size_t start = 0; start <= list.size();) {
        const size_t comma = std::min(list.find(',', start), list.size());
        if (comma > start) flags.types.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
      if (flags.types.empty()) flags.types.push_back("c");
      ++i;
    } else if (name == "--datagram-size")
      flags.datagram_size = static_cast<size_t>(std::atoi(value)), ++i;
  }
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--mix") flags.mix = true;
    if (std::string(argv[i]) == "--unique-values") flags.unique_values = true;
  }
  return flags;
}

// One line per context, precomputed: counters by default; with --mix an equal share of each of
// --types (counters, gauges, histograms and distributions unless told otherwise).
std::vector<std::string> BuildLines(const Flags& flags) {
  std::vector<std::string> lines;
  lines.reserve(static_cast<size_t>(flags.contexts));
  for (int c = 0; c < flags.contexts; ++c) {
    // Without tags the context number moves into the name, so plain lines keep N contexts.
    const int name = flags.tags > 0 ? c % 500 : c;
    std::string line =
        "bench.metric." + std::to_string(name) + ":" +
        (flags.unique_values ? std::to_string(kFirstUniqueValue) : std::to_string(1 + c % 97));
    line += "|";
    line += flags.mix ? flags.types[static_cast<size_t>(c) % flags.types.size()] : "c";
    if (flags.tags > 0) line += "|#";
    for (int t = 0; t < flags.tags; ++t) {
      if (t > 0) line += ",";
      line += "tag" + std::to_string(t) + ":value" + std::to_string((c / 500 + t) % 20 + t * 20);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

// Packs lines into datagrams of at most datagram_size bytes, cycling over the contexts.
std::vector<std::string> BuildDatagrams(const std::vector<std::string>& lines, size_t size,
                                        std::vector<int>& lines_per_datagram) {
  std::vector<std::string> datagrams;
  std::string current;
  int count = 0;
  for (const auto& line : lines) {
    if (!current.empty() && current.size() + 1 + line.size() > size) {
      datagrams.push_back(current);
      lines_per_datagram.push_back(count);
      current.clear();
      count = 0;
    }
    if (!current.empty()) current += "\n";
    current += line;
    ++count;
  }
  if (!current.empty()) {
    datagrams.push_back(current);
    lines_per_datagram.push_back(count);
  }
  return datagrams;
}

// Where each line's value field starts in each datagram: after the first ':' of the line (names
// have none; tag colons come later).
std::vector<std::vector<uint32_t>> ValueOffsets(const std::vector<std::string>& datagrams) {
  std::vector<std::vector<uint32_t>> offsets(datagrams.size());
  for (size_t d = 0; d < datagrams.size(); ++d) {
    const std::string& datagram = datagrams[d];
    for (size_t line = 0; line < datagram.size();) {
      const size_t end = std::min(datagram.find('\n', line), datagram.size());
      const size_t colon = datagram.find(':', line);
      if (colon < end) offsets[d].push_back(static_cast<uint32_t>(colon + 1));
      line = end + 1;
    }
  }
  return offsets;
}

// Copies `datagram` into `out` and overwrites its value fields with the next unique values.
void StampUniqueValues(const std::string& datagram, const std::vector<uint32_t>& offsets,
                       uint64_t& next_value, std::string& out) {
  out.assign(datagram);
  for (const uint32_t offset : offsets) {
    uint64_t value = next_value++;
    for (size_t k = kUniqueValueWidth; k > 0; --k) {
      out[offset + k - 1] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  const auto lines = BuildLines(flags);
  std::vector<int> lines_per_datagram;
  const auto datagrams = BuildDatagrams(lines, flags.datagram_size, lines_per_datagram);
  const auto value_offsets =
      flags.unique_values ? ValueOffsets(datagrams) : std::vector<std::vector<uint32_t>>();
  double average_lines = 0;
  for (int n : lines_per_datagram) average_lines += n;
  average_lines /= static_cast<double>(lines_per_datagram.size());

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int sndbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<uint16_t>(flags.port));
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof(target));

  constexpr size_t kBurst = 64;
  std::vector<mmsghdr> headers(kBurst);
  std::vector<iovec> iovecs(kBurst);
  // A burst may hold the same datagram twice (few contexts), so each stamped copy has its own
  // buffer; values of datagrams the kernel did not take are simply never sent.
  std::vector<std::string> stamped(flags.unique_values ? kBurst : 0);
  uint64_t next_value = kFirstUniqueValue;
  const double datagrams_per_ms = flags.rate / average_lines / 1000.0;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(flags.seconds);
  uint64_t sent_datagrams = 0;
  uint64_t sent_lines = 0;
  uint64_t send_errors = 0;
  size_t next = 0;
  double owed = 0;
  auto slice = start;
  while (std::chrono::steady_clock::now() < end) {
    owed += datagrams_per_ms;
    while (owed >= 1) {
      const size_t burst = std::min<size_t>(kBurst, static_cast<size_t>(owed));
      for (size_t i = 0; i < burst; ++i) {
        const size_t index = (next + i) % datagrams.size();
        const std::string* datagram = &datagrams[index];
        if (flags.unique_values) {
          StampUniqueValues(*datagram, value_offsets[index], next_value, stamped[i]);
          datagram = &stamped[i];
        }
        iovecs[i] = {const_cast<char*>(datagram->data()), datagram->size()};
        std::memset(&headers[i], 0, sizeof(headers[i]));
        headers[i].msg_hdr.msg_iov = &iovecs[i];
        headers[i].msg_hdr.msg_iovlen = 1;
      }
      const int sent = sendmmsg(fd, headers.data(), static_cast<unsigned>(burst), 0);
      if (sent <= 0) {
        ++send_errors;
        break;
      }
      for (int i = 0; i < sent; ++i) {
        sent_lines += static_cast<uint64_t>(
            lines_per_datagram[(next + static_cast<size_t>(i)) % datagrams.size()]);
      }
      next = (next + static_cast<size_t>(sent)) % datagrams.size();
      sent_datagrams += static_cast<uint64_t>(sent);
      owed -= sent;
    }
    slice += std::chrono::milliseconds(1);
    std::this_thread::sleep_until(slice);
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"sent_lines\":%llu,\"sent_datagrams\":%llu,\"seconds\":%.3f,\"lines_per_second\":%.0f,"
      "\"lines_per_datagram\":%.1f,\"send_errors\":%llu}\n",
      static_cast<unsigned long long>(sent_lines), static_cast<unsigned long long>(sent_datagrams),
      elapsed, static_cast<double>(sent_lines) / elapsed, average_lines,
      static_cast<unsigned long long>(send_errors));
  close(fd);
  return 0;
}
