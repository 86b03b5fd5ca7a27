// ChildProcess: runs a binary (the sidecar under soak) with an explicit environment, its stdout
// and stderr going to a file, so the runner can signal it, wait for it with a deadline and quote
// its log in the report. AgentProcess (tests/integration) is tied to the binary CMake built
// beside it; the soak takes the binary path on its command line instead.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sidecar::soak {

class ChildProcess {
 public:
  ChildProcess(const std::string& binary, std::vector<std::string> args,
               const std::map<std::string, std::string>& environment,
               const std::string& output_path);
  ~ChildProcess();  // Kills the child if it is still running.
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  void Signal(int signal_number) const;
  // Exit code (128 + signal when killed), or nullopt if still running after `timeout`.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // The last `max_bytes` of what the child wrote.
  std::string OutputTail(size_t max_bytes) const;

 private:
  pid_t pid_ = -1;
  std::string output_path_;
  std::optional<int> exit_code_;
};

}  // namespace sidecar::soak
