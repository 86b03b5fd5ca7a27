// dsd-null-receiver: the physical baseline for DogStatsD load tests. Reads UDP datagrams with
// recvmmsg into 8 KiB buffers and counts lines by touching every byte, nothing else. Prints
// `listening on <port>` first, then on SIGTERM/SIGINT one JSON line with what it received.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int rcvbuf = 0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--port") port = std::atoi(argv[i + 1]);
    if (std::string(argv[i]) == "--rcvbuf") rcvbuf = std::atoi(argv[i + 1]);
  }
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  timeval timeout{0, 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    std::perror("bind");
    return 1;
  }
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  std::printf("listening on %d\n", ntohs(address.sin_port));
  std::fflush(stdout);

  constexpr size_t kBatch = 32;
  constexpr size_t kBuffer = 8192;
  std::vector<char> storage(kBatch * kBuffer);
  std::vector<mmsghdr> headers(kBatch);
  std::vector<iovec> iovecs(kBatch);
  uint64_t datagrams = 0;
  uint64_t lines = 0;
  uint64_t bytes = 0;
  while (!g_stop) {
    for (size_t i = 0; i < kBatch; ++i) {
      iovecs[i] = {storage.data() + i * kBuffer, kBuffer};
      std::memset(&headers[i], 0, sizeof(headers[i]));
      headers[i].msg_hdr.msg_iov = &iovecs[i];
      headers[i].msg_hdr.msg_iovlen = 1;
    }
    const int received = recvmmsg(fd, headers.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (received <= 0) continue;
    for (int i = 0; i < received; ++i) {
      const char* data = storage.data() + static_cast<size_t>(i) * kBuffer;
      const size_t size = headers[static_cast<size_t>(i)].msg_len;
      uint64_t newlines = 0;
      for (size_t b = 0; b < size; ++b) newlines += data[b] == '\n';
      lines += newlines + (size > 0 && data[size - 1] != '\n' ? 1 : 0);
      bytes += size;
    }
    datagrams += static_cast<uint64_t>(received);
  }
  std::printf("{\"received_lines\":%llu,\"received_datagrams\":%llu,\"received_bytes\":%llu}\n",
              static_cast<unsigned long long>(lines), static_cast<unsigned long long>(datagrams),
              static_cast<unsigned long long>(bytes));
  return 0;
}
