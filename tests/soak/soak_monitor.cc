#include "tests/soak/soak_monitor.h"

#include <string>

#include "agent/app/local_client.h"

namespace sidecar::soak {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool TagsMatch(const nlohmann::json& tags, const std::string& key, const std::string& value) {
  return tags.is_object() && tags.contains(key) && tags[key].is_string() &&
         tags[key].get_ref<const std::string&>() == value;
}

}  // namespace

void SoakMonitor::Start(std::chrono::steady_clock::time_point start) {
  start_ = start;
  thread_ = std::thread([this] { Run(); });
}

void SoakMonitor::Stop() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool SoakMonitor::SampleStatusNow() {
  const auto reply = app::GetLocal(options_.health_port, "/status", std::chrono::seconds(2));
  if (!reply.ok() || reply->status != 200) {
    return false;
  }
  nlohmann::json document = nlohmann::json::parse(reply->body, nullptr, false);
  if (document.is_discarded() || !document.contains("metrics")) {
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  statuses_.push_back({SecondsSince(start_), std::move(document["metrics"])});
  return true;
}

void SoakMonitor::Run() {
  auto next_status = std::chrono::steady_clock::now() + options_.status_every;
  while (!stop_.load()) {
    const auto rss = ReadRssKib(options_.pid);
    const auto cpu = ReadCpuSeconds(options_.pid);
    const auto udp = options_.udp_port != 0 ? ReadUdpCounters(options_.udp_port) : std::nullopt;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (rss.has_value() && cpu.has_value()) {
        processes_.push_back({SecondsSince(start_), *rss, *cpu});
      }
      if (udp.has_value()) {
        udp_.drops = std::max(udp_.drops, udp->drops);
        udp_.rx_queue = udp->rx_queue;
      }
    }
    intake_.ClearRequests();
    if (std::chrono::steady_clock::now() >= next_status) {
      SampleStatusNow();
      next_status += options_.status_every;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

std::vector<ProcessSample> SoakMonitor::Processes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return processes_;
}

std::vector<StatusSample> SoakMonitor::Statuses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return statuses_;
}

UdpSocketCounters SoakMonitor::Udp() const {
  std::lock_guard<std::mutex> lock(mu_);
  return udp_;
}

double SumMetric(const nlohmann::json& metrics, const std::string& name,
                 const std::vector<std::pair<std::string, std::string>>& with,
                 const std::vector<std::pair<std::string, std::string>>& without) {
  double total = 0;
  if (!metrics.is_array()) {
    return total;
  }
  for (const auto& metric : metrics) {
    if (metric.value("name", "") != name || !metric.contains("value") ||
        !metric["value"].is_number()) {
      continue;
    }
    const nlohmann::json tags = metric.value("tags", nlohmann::json::object());
    bool match = true;
    for (const auto& [key, value] : with) {
      match = match && TagsMatch(tags, key, value);
    }
    for (const auto& [key, value] : without) {
      match = match && !TagsMatch(tags, key, value);
    }
    if (match) {
      total += metric["value"].get<double>();
    }
  }
  return total;
}

std::vector<std::pair<std::string, double>> LossCounters(const nlohmann::json& metrics) {
  std::vector<std::pair<std::string, double>> out;
  if (!metrics.is_array()) {
    return out;
  }
  for (const auto& metric : metrics) {
    const std::string name = metric.value("name", "");
    if (metric.value("kind", "") != "counter" || !metric.contains("value") ||
        !metric["value"].is_number() || metric["value"].get<double>() == 0) {
      continue;
    }
    bool lossy = false;
    for (const char* word : {"drop", "refus", "reject", "error", "exhausted", "malformed"}) {
      lossy = lossy || name.find(word) != std::string::npos;
    }
    if (!lossy) {
      continue;
    }
    std::string label = name;
    const nlohmann::json tags = metric.value("tags", nlohmann::json::object());
    if (tags.is_object() && !tags.empty()) {
      label += "{";
      bool first = true;
      for (const auto& [key, value] : tags.items()) {
        label += (first ? "" : ",") + key + ":" +
                 (value.is_string() ? value.get<std::string>() : value.dump());
        first = false;
      }
      label += "}";
    }
    out.emplace_back(label, metric["value"].get<double>());
  }
  return out;
}

}  // namespace sidecar::soak
