#include "tests/integration/agent_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "agent/app/local_client.h"

namespace sidecar::integration {

std::string AgentBinary() { return SIDECAR_AGENT_BINARY; }

AgentProcess::AgentProcess(std::vector<std::string> args,
                           std::map<std::string, std::string> environment) {
  char path_template[] = "/tmp/sidecar-agent-test-XXXXXX";
  const int fd = mkstemp(path_template);
  output_path_ = path_template;
  // Tests run in parallel: fixed default ports (APM 8126) stay off unless a test asks for them.
  environment.emplace("DD_APM_RECEIVER_PORT", "0");
  environment.emplace("DD_APM_RECEIVER_SOCKET", "");
  // The Agent heartbeat series and check runs would add payloads to every test's intake; the
  // tests of those payloads turn them back on.
  environment.emplace("DD_SIDECAR_SELF_METRICS_ENABLED", "false");
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : environment) {
    env_strings.push_back(key + "=" + value);
  }
  args.insert(args.begin(), AgentBinary());
  std::vector<char*> argv;
  for (auto& arg : args) {
    argv.push_back(arg.data());
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& entry : env_strings) {
    envp.push_back(entry.data());
  }
  envp.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(fd);
}

AgentProcess::~AgentProcess() {
  if (!exit_code_.has_value() && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  unlink(output_path_.c_str());
}

void AgentProcess::Signal(int signal_number) const { kill(pid_, signal_number); }

std::optional<int> AgentProcess::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_.has_value()) {
    return exit_code_;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

std::string AgentProcess::Output() const {
  std::ifstream file(output_path_);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Ports below the kernel's ephemeral range (32768+), so the outgoing connections of tests running
// in parallel cannot take a port between this check and the sidecar binding it.
uint16_t FreePort(int type) {
  static std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 32000);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto port = static_cast<uint16_t>(pick(random));
    const int fd = socket(AF_INET, type, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (free) {
      return port;
    }
  }
  return 0;
}

uint16_t FreePort() { return FreePort(SOCK_STREAM); }

bool WaitForHttpStatus(uint16_t port, const std::string& path, int status,
                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = app::GetLocal(port, path, std::chrono::milliseconds(200));
    if (reply.ok() && reply->status == status) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace sidecar::integration
