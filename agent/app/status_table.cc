#include "agent/app/status_table.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <regex>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "fmt/format.h"

namespace sidecar::app {
namespace {

using Json = nlohmann::json;

struct Metric {
  std::string name;
  std::vector<std::pair<std::string, std::string>> tags;  // Sorted by key, as in the JSON.
  bool counter = true;
  double value = 0;

  std::string Tag(std::string_view key) const {
    for (const auto& [tag_key, tag_value] : tags) {
      if (tag_key == key) {
        return tag_value;
      }
    }
    return "";
  }
};

struct Signal {
  std::string_view label;
  std::string_view metric;
  bool bytes;
};

// The page's throughput cards, in the same order (agent/status/status_page.html).
constexpr std::array<Signal, 4> kSignals = {{
    {"DogStatsD lines", "dogstatsd.lines_received", false},
    {"Trace spans", "datadog.trace_agent.receiver.spans_received", false},
    {"Log records", "logs.records_received", false},
    {"Upstream bytes", "forwarder.bytes_sent", true},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kGroups = {{
    {"dogstatsd.", "DogStatsD"},
    {"aggregator.", "DogStatsD"},
    {"datadog.trace_agent.", "APM"},
    {"logs.", "Logs"},
    {"forwarder.", "Forwarder"},
    {"ecs_metadata.", "ECS metadata"},
}};

const Json& Field(const Json& object, std::string_view key) {
  static const Json kNull;
  if (!object.is_object()) {
    return kNull;
  }
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string Str(const Json& object, std::string_view key, std::string_view fallback = "") {
  const Json& field = Field(object, key);
  return field.is_string() ? field.get<std::string>() : std::string(fallback);
}

double Num(const Json& object, std::string_view key) {
  const Json& field = Field(object, key);
  return field.is_number() ? field.get<double>() : 0;
}

std::string Count(double value) {
  return std::abs(value) < 1e15 ? fmt::format("{}", static_cast<int64_t>(std::round(value)))
                                : fmt::format("{:.0f}", value);
}

std::string Bytes(double value) {
  constexpr std::array<std::string_view, 4> kUnits = {"B", "KiB", "MiB", "GiB"};
  size_t unit = 0;
  double scaled = value;
  while (std::abs(scaled) >= 1024 && unit + 1 < kUnits.size()) {
    scaled /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", Count(value))
                   : fmt::format("{:.1f} {}", scaled, kUnits[unit]);
}

std::string Duration(double seconds) {
  const auto total = static_cast<int64_t>(std::clamp(seconds, 0.0, 1e12));
  const int64_t days = total / 86400;
  const int64_t hours = total % 86400 / 3600;
  const int64_t minutes = total % 3600 / 60;
  std::string text;
  if (days > 0) {
    text += fmt::format("{}d ", days);
  }
  if (days > 0 || hours > 0) {
    text += fmt::format("{}h ", hours);
  }
  if (days > 0 || hours > 0 || minutes > 0) {
    text += fmt::format("{}m ", minutes);
  }
  return text + fmt::format("{}s", total % 60);
}

std::string TagsText(const Metric& metric) {
  std::string text;
  for (const auto& [key, value] : metric.tags) {
    text += fmt::format("{}{}:{}", text.empty() ? "" : ",", key, value);
  }
  return text;
}

std::string Label(const Metric& metric) {
  const std::string tags = TagsText(metric);
  return tags.empty() ? metric.name : fmt::format("{}{{{}}}", metric.name, tags);
}

std::vector<Metric> ParseMetrics(const Json& status) {
  std::vector<Metric> metrics;
  const Json& list = Field(status, "metrics");
  if (!list.is_array()) {
    return metrics;
  }
  for (const Json& entry : list) {
    Metric metric;
    metric.name = Str(entry, "name");
    if (metric.name.empty()) {
      continue;
    }
    const Json& tags = Field(entry, "tags");
    if (tags.is_object()) {
      for (const auto& [key, value] : tags.items()) {
        metric.tags.emplace_back(
            key, value.is_string() ? value.get<std::string>()
                                   : value.dump(-1, ' ', false, Json::error_handler_t::replace));
      }
    }
    metric.counter = Str(entry, "kind", "counter") == "counter";
    metric.value = Num(entry, "value");
    metrics.push_back(std::move(metric));
  }
  return metrics;
}

double Sum(const std::vector<Metric>& metrics, std::string_view name) {
  double total = 0;
  for (const auto& metric : metrics) {
    if (metric.name == name) {
      total += metric.value;
    }
  }
  return total;
}

std::string_view GroupOf(std::string_view name) {
  for (const auto& [prefix, group] : kGroups) {
    if (name.substr(0, prefix.size()) == prefix) {
      return group;
    }
  }
  return name.substr(0, name.find('.'));
}

void RenderTask(const Json& status, std::string& out) {
  const Json& details = Field(status, "details");
  const Json& task = Field(details, "task");
  const Json& metadata = Field(details, "ecs_metadata");
  std::string metadata_text = Str(metadata, "state", Str(metadata, "endpoint", "-"));
  if (const std::string error = Str(metadata, "last_error"); !error.empty()) {
    metadata_text += fmt::format(" ({})", error);
  }
  const auto dash = [](std::string text) { return text.empty() ? std::string("-") : text; };
  std::string tags;
  if (const Json& list = Field(task, "task_tags"); list.is_array()) {
    for (const Json& tag : list) {
      if (tag.is_string()) {
        tags += fmt::format("{}{}", tags.empty() ? "" : " ", tag.get<std::string>());
      }
    }
  }
  const std::vector<std::pair<std::string_view, std::string>> rows = {
      {"Task ARN", dash(Str(task, "task_arn"))},
      {"Family:revision", dash(Str(task, "family_revision"))},
      {"Cluster", dash(Str(task, "cluster"))},
      {"Availability zone", dash(Str(task, "availability_zone"))},
      {"Launch type", dash(Str(task, "launch_type"))},
      {"Task tags", dash(tags)},
      {"ECS metadata", metadata_text},
      {"Site", dash(Str(details, "site"))},
      {"env/service/version",
       fmt::format("{} / {} / {}", dash(Str(details, "env")), dash(Str(details, "service")),
                   dash(Str(details, "version")))},
      {"Tag cardinality", dash(Str(details, "dogstatsd_tag_cardinality"))},
  };
  out += "Task\n";
  for (const auto& [key, value] : rows) {
    out += fmt::format("  {:<20} {}\n", key, value);
  }
}

// One snapshot has no deltas: the rate is the average since the sidecar started.
void RenderThroughput(const std::vector<Metric>& metrics, double uptime, std::string& out) {
  out += fmt::format("\nThroughput per signal\n  {:<20} {:>16} {:>14}\n", "", "total", "avg/s");
  for (const auto& signal : kSignals) {
    const double total = Sum(metrics, signal.metric);
    std::string rate = "-";
    if (uptime > 0) {
      rate = signal.bytes ? Bytes(total / uptime) : fmt::format("{:.1f}", total / uptime);
    }
    out += fmt::format("  {:<20} {:>16} {:>14}\n", signal.label,
                       signal.bytes ? Bytes(total) : Count(total), rate);
  }
}

void RenderDrops(const std::vector<Metric>& metrics, std::string& out) {
  static const std::regex kDropName("dropped|error|refus|reject|truncat|fail|malformed");
  std::vector<const Metric*> drops;
  for (const auto& metric : metrics) {
    if (metric.counter && std::regex_search(metric.name, kDropName)) {
      drops.push_back(&metric);
    }
  }
  std::stable_sort(drops.begin(), drops.end(), [](const Metric* a, const Metric* b) {
    if ((a->value > 0) != (b->value > 0)) {
      return a->value > 0;
    }
    return std::tie(a->name, a->tags) < std::tie(b->name, b->tags);
  });
  // Groups appear in order of their first row, so a group with nonzero drops comes first.
  std::vector<std::pair<std::string_view, std::vector<const Metric*>>> groups;
  size_t width = 10;
  for (const Metric* metric : drops) {
    const std::string_view group = GroupOf(metric->name);
    auto it = std::find_if(groups.begin(), groups.end(),
                           [group](const auto& entry) { return entry.first == group; });
    if (it == groups.end()) {
      it = groups.insert(groups.end(), {group, {}});
    }
    it->second.push_back(metric);
    width = std::max(width, Label(*metric).size());
  }
  out += "\nDrops and errors by reason (nonzero first)\n";
  if (groups.empty()) {
    out += "  none counted yet\n";
  }
  for (const auto& [group, rows] : groups) {
    out += fmt::format("  {}\n", group);
    for (const Metric* metric : rows) {
      out += fmt::format("    {:<{}} {:>12}\n", Label(*metric), width, Count(metric->value));
    }
  }
}

struct EndpointTotals {
  double success = 0;
  double dropped = 0;
  double bytes = 0;
  std::map<std::string, double> errors;  // By status or transport error type.
};

void RenderUpstream(const Json& status, const std::vector<Metric>& metrics, std::string& out) {
  std::map<std::string, EndpointTotals> endpoints;
  if (const Json& configured = Field(Field(status, "details"), "endpoints");
      configured.is_object()) {
    for (const auto& [intake, hosts] : configured.items()) {
      if (!hosts.is_array()) {
        continue;
      }
      for (const Json& host : hosts) {
        if (host.is_string()) {
          endpoints[host.get<std::string>()];
        }
      }
    }
  }
  for (const auto& metric : metrics) {
    const std::string host = metric.Tag("endpoint");
    if (host.empty() || metric.name.rfind("forwarder.", 0) != 0) {
      continue;
    }
    EndpointTotals& totals = endpoints[host];
    if (metric.name == "forwarder.transactions_success") {
      totals.success += metric.value;
    } else if (metric.name == "forwarder.transactions_dropped") {
      totals.dropped += metric.value;
    } else if (metric.name == "forwarder.bytes_sent") {
      totals.bytes += metric.value;
    } else if (metric.name == "forwarder.http_errors") {
      std::string key = metric.Tag("status");
      if (key.empty()) {
        key = metric.Tag("error_type");
      }
      totals.errors[key.empty() ? "other" : key] += metric.value;
    }
  }
  size_t width = 10;
  for (const auto& [host, totals] : endpoints) {
    width = std::max(width, host.size());
  }
  out += fmt::format("\nUpstream per endpoint\n  {:<{}} {:>10} {:>10} {:>12}  {}\n", "endpoint",
                     width, "successes", "dropped", "bytes sent", "errors");
  if (endpoints.empty()) {
    out += "  none yet\n";
  }
  for (const auto& [host, totals] : endpoints) {
    std::string errors;
    for (const auto& [key, count] : totals.errors) {
      errors += fmt::format("{}{}: {}", errors.empty() ? "" : ", ", key, Count(count));
    }
    out += fmt::format("  {:<{}} {:>10} {:>10} {:>12}  {}\n", host, width, Count(totals.success),
                       Count(totals.dropped), Bytes(totals.bytes), errors.empty() ? "0" : errors);
  }
}

void RenderComponents(const Json& status, std::string& out) {
  out += "\nComponents\n";
  const Json& components = Field(status, "components");
  if (!components.is_array()) {
    return;
  }
  for (const Json& component : components) {
    const std::string name = Str(component, "component");
    const std::string state = Str(component, "state");
    const std::string detail = Str(component, "detail");
    out += detail.empty() ? fmt::format("  {:<24} {}\n", name, state)
                          : fmt::format("  {:<24} {:<10} {}\n", name, state, detail);
  }
}

// The limit, the resident size and the pool every buffer draws from, share by share.
void RenderMemory(const std::vector<Metric>& metrics, std::string& out) {
  const double limit = Sum(metrics, "memory.limit_bytes");
  out += "\nMemory\n";
  out += fmt::format("  {:<24} {}\n", "Limit", limit > 0 ? Bytes(limit) : "none");
  out += fmt::format("  {:<24} {} (peak {})\n", "Resident", Bytes(Sum(metrics, "memory.rss_bytes")),
                     Bytes(Sum(metrics, "memory.peak_rss_bytes")));
  const double capacity = Sum(metrics, "memory.pool.capacity_bytes");
  out += fmt::format(
      "  {:<24} {} of {} (peak {})\n", "Buffer pool", Bytes(Sum(metrics, "memory.pool.used_bytes")),
      capacity > 0 ? Bytes(capacity) : "no limit", Bytes(Sum(metrics, "memory.pool.peak_bytes")));
  for (const Metric& metric : metrics) {
    if (metric.name != "memory.pool.share_bytes") {
      continue;
    }
    const std::string share = metric.Tag("share");
    double cap = 0;
    double refusals = 0;
    for (const Metric& other : metrics) {
      if (other.Tag("share") == share && other.name == "memory.pool.share_cap_bytes") {
        cap = other.value;
      } else if (other.Tag("share") == share && other.name == "memory.pool.refusals") {
        refusals = other.value;
      }
    }
    out += fmt::format("    {:<22} {} of {}, {} refused\n", share, Bytes(metric.value),
                       cap > 0 ? Bytes(cap) : "no cap", Count(refusals));
  }
}

void RenderAllMetrics(const std::vector<Metric>& metrics, std::string& out) {
  size_t width = 10;
  for (const auto& metric : metrics) {
    width = std::max(width, Label(metric).size());
  }
  out += "\nAll counters and gauges\n";
  for (const auto& metric : metrics) {
    out += fmt::format("  {:<{}} {:>14}\n", Label(metric), width + 2, Count(metric.value));
  }
}

}  // namespace

std::string RenderStatusTable(const Json& status) {
  const std::vector<Metric> metrics = ParseMetrics(status);
  const double uptime = Num(Field(status, "details"), "uptime_seconds");
  const Json& healthy = Field(status, "healthy");
  const Json& stopping = Field(status, "stopping");
  std::string out;
  out += fmt::format("sidecar-agent {} (Datadog Agent {} compatible)\n",
                     Str(status, "version", "?"), Str(status, "agent_version", "?"));
  out += fmt::format("Health: {}   Uptime: {}\n\n",
                     healthy.is_boolean() && healthy.get<bool>()     ? "healthy"
                     : stopping.is_boolean() && stopping.get<bool>() ? "STOPPING"
                                                                     : "NOT HEALTHY",
                     uptime > 0 ? Duration(uptime) : "?");
  RenderTask(status, out);
  RenderThroughput(metrics, uptime, out);
  RenderDrops(metrics, out);
  RenderUpstream(status, metrics, out);
  out += fmt::format("\nRetry queue\n  {:<20} {}\n  {:<20} {}\n", "Retry queue bytes",
                     Bytes(Sum(metrics, "forwarder.retry_queue_bytes")), "In flight",
                     Count(Sum(metrics, "forwarder.in_flight")));
  RenderMemory(metrics, out);
  RenderComponents(status, out);
  RenderAllMetrics(metrics, out);
  return out;
}

}  // namespace sidecar::app
