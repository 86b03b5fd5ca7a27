// SoakMonitor: samples the sidecar while the soak runs — RSS and CPU every second, its UDP socket's
// kernel counters, and its /status document every 10 s — and trims the fake intake's request list
// (the ledger has already tallied each request) so the runner's own memory stays flat.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "tests/soak/proc_stats.h"
#include "tests/testing/fake_intake.h"

namespace sidecar::soak {

struct ProcessSample {
  double t = 0;  // Seconds since the run started.
  uint64_t rss_kib = 0;
  double cpu_s = 0;
};

struct StatusSample {
  double t = 0;
  nlohmann::json metrics;  // The "metrics" array of /status.
};

class SoakMonitor {
 public:
  struct Options {
    pid_t pid = 0;
    uint16_t health_port = 0;
    uint16_t udp_port = 0;
    std::chrono::seconds status_every{10};
  };
  SoakMonitor(Options options, testing::FakeIntake& intake) : options_(options), intake_(intake) {}
  ~SoakMonitor() { Stop(); }

  void Start(std::chrono::steady_clock::time_point start);
  void Stop();
  // Fetches /status now and records it; false if the sidecar did not answer.
  bool SampleStatusNow();

  std::vector<ProcessSample> Processes() const;
  std::vector<StatusSample> Statuses() const;
  // Highest UDP counters seen (they only grow while the socket lives).
  UdpSocketCounters Udp() const;

 private:
  void Run();

  Options options_;
  testing::FakeIntake& intake_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<ProcessSample> processes_;
  std::vector<StatusSample> statuses_;
  UdpSocketCounters udp_;
};

// Sum of the /status values named `name` whose tags include every `with` pair and no tag equal to
// any `without` pair.
double SumMetric(const nlohmann::json& metrics, const std::string& name,
                 const std::vector<std::pair<std::string, std::string>>& with = {},
                 const std::vector<std::pair<std::string, std::string>>& without = {});

// Every non-zero counter whose name speaks of loss ("drop", "refus", "reject", "error",
// "exhausted"), as "name{k:v,...}" -> value.
std::vector<std::pair<std::string, double>> LossCounters(const nlohmann::json& metrics);

}  // namespace sidecar::soak
