// AgentProcess: runs the real sidecar-agent binary as a child with a given environment, captures
// its stderr to a file, and stops it with a signal. For integration tests only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sidecar::integration {

class AgentProcess {
 public:
  AgentProcess(std::vector<std::string> args, std::map<std::string, std::string> environment);
  ~AgentProcess();
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal_number) const;
  // The exit code, or nullopt when it did not exit within `timeout` (it is then killed).
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // Everything the process wrote to stdout and stderr so far.
  std::string Output() const;

 private:
  pid_t pid_ = -1;
  std::string output_path_;
  std::optional<int> exit_code_;
};

// The path of the binary under test (set by CMake).
std::string AgentBinary();
// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t FreePort();
// The same for `type` (SOCK_STREAM or SOCK_DGRAM).
uint16_t FreePort(int type);
// Polls GET http://127.0.0.1:<port><path> until it answers `status` or `timeout` passes.
bool WaitForHttpStatus(uint16_t port, const std::string& path, int status,
                       std::chrono::milliseconds timeout);

}  // namespace sidecar::integration
