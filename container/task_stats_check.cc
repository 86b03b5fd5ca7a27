#include "container/task_stats_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "agent/common/absl_fmt.h"
#include "agent/common/strings.h"

namespace sidecar::container {
namespace {

using nlohmann::json;

constexpr int kServiceCheckOk = 0;
constexpr int kServiceCheckWarning = 1;
constexpr int kServiceCheckCritical = 2;

// memory_stats.stats keys reported as gauges / as rates (A3 rows "ecs.fargate.mem.{...}").
constexpr std::string_view kMemoryStatGauges[] = {
    "cache",       "mapped_file", "rss",           "hierarchical_memory_limit",
    "active_anon", "active_file", "inactive_file", "hierarchical_memsw_limit"};
constexpr std::string_view kMemoryStatRates[] = {"pgpgin", "pgpgout", "pgmajfault", "pgfault"};

const json* Find(const json& object, std::string_view key) {
  if (!object.is_object()) {
    return nullptr;
  }
  const auto it = object.find(std::string(key));
  return it == object.end() ? nullptr : &*it;
}

std::optional<double> AsDouble(const json* value) {
  if (value == nullptr || !value->is_number()) {
    return std::nullopt;
  }
  const double number = value->get<double>();
  return std::isfinite(number) ? std::optional<double>(number) : std::nullopt;
}

// Non-negative integer counters (Docker emits uint64).
std::optional<uint64_t> AsU64(const json* value) {
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_number_unsigned()) {
    return value->get<uint64_t>();
  }
  if (value->is_number_integer()) {
    const int64_t number = value->get<int64_t>();
    return number >= 0 ? std::optional<uint64_t>(static_cast<uint64_t>(number)) : std::nullopt;
  }
  if (value->is_number_float()) {
    const double number = value->get<double>();
    if (std::isfinite(number) && number >= 0 && number < 1.8e19) {
      return static_cast<uint64_t>(number);
    }
  }
  return std::nullopt;
}

std::optional<std::string> AsString(const json* value) {
  if (value == nullptr || !value->is_string()) {
    return std::nullopt;
  }
  return value->get<std::string>();
}

// Σ value over the rows of a blkio list whose op is `op` (case-insensitive: cgroup v1 "Read",
// v2 "read"). nullopt when the list is missing or not an array (Windows: "None").
std::optional<uint64_t> SumBlkio(const json* list, std::string_view op) {
  if (list == nullptr || !list->is_array()) {
    return std::nullopt;
  }
  uint64_t sum = 0;
  for (const json& row : *list) {
    const std::optional<std::string> row_op = AsString(Find(row, "op"));
    if (row_op.has_value() && common::AsciiToLower(*row_op) == op) {
      sum += AsU64(Find(row, "value")).value_or(0);
    }
  }
  return sum;
}

void AppendAll(std::vector<std::string>& to, const std::vector<std::string>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

struct ContainerInfo {
  std::string type;  // "" when the document has no Type.
  std::optional<double> cpu_limit;
};

}  // namespace

namespace internal {

std::optional<std::chrono::nanoseconds> ParseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)
  auto digits = [&](size_t pos, size_t count) -> std::optional<int> {
    if (pos + count > text.size()) {
      return std::nullopt;
    }
    int value = 0;
    for (size_t i = pos; i < pos + count; ++i) {
      if (text[i] < '0' || text[i] > '9') {
        return std::nullopt;
      }
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  auto is = [&](size_t pos, char c) { return pos < text.size() && text[pos] == c; };
  const std::optional<int> year = digits(0, 4), month = digits(5, 2), day = digits(8, 2),
                           hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || !is(4, '-') || !is(7, '-') ||
      !(is(10, 'T') || is(10, 't') || is(10, ' ')) || !is(13, ':') || !is(16, ':') || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year),
                                         std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (is(pos, '.')) {
    ++pos;
    int64_t scale = 100'000'000;
    const size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      nanos += (text[pos] - '0') * scale;  // Digits past nanoseconds add 0.
      scale /= 10;
      ++pos;
    }
    if (pos == start) {
      return std::nullopt;
    }
  }
  int offset_seconds = 0;
  if (is(pos, 'Z') || is(pos, 'z')) {
    ++pos;
  } else if (is(pos, '+') || is(pos, '-')) {
    const std::optional<int> off_hour = digits(pos + 1, 2), off_minute = digits(pos + 4, 2);
    if (!off_hour || !off_minute || !is(pos + 3, ':')) {
      return std::nullopt;
    }
    offset_seconds = (*off_hour * 3600 + *off_minute * 60) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) {
    return std::nullopt;
  }
  const int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  const int64_t seconds = days * 86400 + *hour * 3600 + *minute * 60 + *second - offset_seconds;
  if (seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos);
}

std::vector<std::string> CompatibilityTags(const std::vector<std::string>& tags) {
  static constexpr std::pair<std::string_view, std::string_view> kCopies[] = {
      {"task_family:", "ecs_task_family:"},
      {"task_version:", "ecs_task_version:"},
      {"cluster_name:", "ecs_cluster:"},
      {"container_name:", "docker_name:"}};
  std::vector<std::string> copies;
  for (const std::string& tag : tags) {
    for (const auto& [from, to] : kCopies) {
      std::string_view rest = tag;
      if (common::ConsumePrefix(rest, from)) {
        copies.push_back(fmt::format("{}{}", to, rest));
      }
    }
  }
  return copies;
}

}  // namespace internal

struct TaskStatsCheck::State {
  struct Task {
    bool usable = false;  // Has Cluster and a Containers array (the check's WARNING condition).
    std::optional<double> cpu_vcpu;
    std::optional<double> memory_mib;
    std::optional<double> ephemeral_utilized_mib;
    std::optional<double> ephemeral_reserved_mib;
    std::map<std::string, ContainerInfo> containers;  // By DockerId.
  };
  struct Sample {
    std::chrono::nanoseconds time{0};          // Unix time of `read` (or of the fetch).
    std::map<std::string, uint64_t> counters;  // "<metric>|<interface>" -> value.
  };

  std::optional<Task> task;
  std::map<std::string, Sample> previous;  // By DockerId.
};

namespace {

// Accumulates the output of one run.
class Emitter {
 public:
  Emitter(TaskStatsCheckResult& result, int64_t interval) : result_(result), interval_(interval) {}

  void Gauge(std::string_view name, double value, std::vector<std::string> tags,
             int64_t timestamp) {
    std::sort(tags.begin(), tags.end());
    tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    statsd::Serie serie;
    serie.name = std::string(name);
    serie.tags = std::move(tags);
    serie.type = statsd::SeriesType::kGauge;
    serie.points.push_back(statsd::Point{timestamp, value});
    serie.interval = interval_;
    result_.series.push_back(std::move(serie));
  }

 private:
  TaskStatsCheckResult& result_;
  int64_t interval_;
};

std::vector<std::string> WithInterface(std::vector<std::string> tags, std::string_view name) {
  tags.push_back(fmt::format("interface:{}", name));
  return tags;
}

}  // namespace

TaskStatsCheck::TaskStatsCheck(TaskStatsCheckOptions options, ContainerTagsFn container_tags,
                               TaskTagsFn task_tags)
    : options_(std::move(options)),
      container_tags_(std::move(container_tags)),
      task_tags_(std::move(task_tags)),
      state_(std::make_unique<State>()) {}

TaskStatsCheck::~TaskStatsCheck() = default;
TaskStatsCheck::TaskStatsCheck(TaskStatsCheck&&) noexcept = default;
TaskStatsCheck& TaskStatsCheck::operator=(TaskStatsCheck&&) noexcept = default;

absl::Status TaskStatsCheck::SetTaskDocument(std::string_view task_json) {
  const json document = json::parse(task_json, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return absl::InvalidArgumentError("The ECS task document is not a JSON object.");
  }
  State::Task task;
  const json* containers = Find(document, "Containers");
  task.usable =
      Find(document, "Cluster") != nullptr && containers != nullptr && containers->is_array();
  const json* limits = Find(document, "Limits");
  task.cpu_vcpu = AsDouble(Find(limits != nullptr ? *limits : json(), "CPU"));
  task.memory_mib = AsDouble(Find(limits != nullptr ? *limits : json(), "Memory"));
  if (const json* storage = Find(document, "EphemeralStorageMetrics"); storage != nullptr) {
    task.ephemeral_utilized_mib = AsDouble(Find(*storage, "Utilized"));
    task.ephemeral_reserved_mib = AsDouble(Find(*storage, "Reserved"));
  }
  if (containers != nullptr && containers->is_array()) {
    for (const json& container : *containers) {
      const std::optional<std::string> id = AsString(Find(container, "DockerId"));
      if (!id.has_value() || id->empty()) {
        continue;  // Not created yet (A1.2): nothing to key stats by.
      }
      ContainerInfo info;
      info.type = AsString(Find(container, "Type")).value_or("");
      if (const json* container_limits = Find(container, "Limits"); container_limits != nullptr) {
        info.cpu_limit = AsDouble(Find(*container_limits, "CPU"));
      }
      task.containers[*id] = std::move(info);
    }
  }
  state_->task = std::move(task);
  return absl::OkStatus();
}

TaskStatsCheckResult TaskStatsCheck::RunFailed(const absl::Status& error,
                                               std::chrono::system_clock::time_point now) const {
  TaskStatsCheckResult result;
  statsd::ServiceCheckRecord check;
  check.name = std::string(kFargateServiceCheck);
  check.timestamp = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  check.status = kServiceCheckCritical;
  check.message = fmt::format("Could not read the ECS task stats: {}", error.message());
  check.tags = options_.instance_tags;
  std::sort(check.tags.begin(), check.tags.end());
  check.tags.erase(std::unique(check.tags.begin(), check.tags.end()), check.tags.end());
  result.service_checks.push_back(std::move(check));
  return result;
}

TaskStatsCheckResult TaskStatsCheck::Run(std::string_view stats_json,
                                         std::chrono::system_clock::time_point now) {
  TaskStatsCheckResult result;
  Emitter emit(result, options_.series_interval);
  const auto now_nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
  const auto now_timestamp = std::chrono::floor<std::chrono::seconds>(now_nanos).count();

  auto tags_for = [&](std::vector<std::string> tags) {
    AppendAll(tags, internal::CompatibilityTags(tags));
    AppendAll(tags, options_.instance_tags);
    return tags;
  };
  auto container_tags = [&](const std::string& id) {
    return tags_for(container_tags_ ? container_tags_(id) : std::vector<std::string>());
  };
  const bool is_normal_known = state_->task.has_value();
  auto excluded = [&](const std::string& id) {
    if (!is_normal_known) {
      return false;
    }
    const auto it = state_->task->containers.find(id);
    return it != state_->task->containers.end() && !it->second.type.empty() &&
           it->second.type != "NORMAL";
  };

  // --- Task level and task-document container metrics (A3 rows *.task.limit, cpu.limit,
  // ephemeral_storage.*).
  if (state_->task.has_value()) {
    const State::Task& task = *state_->task;
    const std::vector<std::string> task_tags =
        tags_for(task_tags_ ? task_tags_() : std::vector<std::string>());
    if (task.cpu_vcpu.has_value()) {
      emit.Gauge("ecs.fargate.cpu.task.limit", *task.cpu_vcpu * 1e9, task_tags, now_timestamp);
    }
    if (task.memory_mib.has_value()) {
      emit.Gauge("ecs.fargate.mem.task.limit", *task.memory_mib * 1024 * 1024, task_tags,
                 now_timestamp);
    }
    if (task.ephemeral_utilized_mib.has_value()) {
      emit.Gauge("ecs.fargate.ephemeral_storage.utilized", *task.ephemeral_utilized_mib, task_tags,
                 now_timestamp);
    }
    if (task.ephemeral_reserved_mib.has_value()) {
      emit.Gauge("ecs.fargate.ephemeral_storage.reserved", *task.ephemeral_reserved_mib, task_tags,
                 now_timestamp);
    }
    for (const auto& [id, info] : task.containers) {
      if (!excluded(id) && info.cpu_limit.has_value() && *info.cpu_limit > 0) {
        emit.Gauge("ecs.fargate.cpu.limit", *info.cpu_limit, container_tags(id), now_timestamp);
      }
    }
  }

  const json stats = json::parse(stats_json, nullptr, false);
  statsd::ServiceCheckRecord check;
  check.name = std::string(kFargateServiceCheck);
  check.timestamp = now_timestamp;
  check.tags = options_.instance_tags;
  std::sort(check.tags.begin(), check.tags.end());
  check.tags.erase(std::unique(check.tags.begin(), check.tags.end()), check.tags.end());
  if (stats.is_discarded() || !stats.is_object()) {
    check.status = kServiceCheckWarning;
    check.message = "The ECS task stats document is not a JSON object.";
    result.service_checks.push_back(std::move(check));
    return result;
  }

  std::map<std::string, State::Sample> current_samples;
  for (const auto& [id, entry] : stats.items()) {
    if (entry.is_null()) {
      ++result.null_stats;  // Container not running (A1-2, A3-4).
      continue;
    }
    if (!entry.is_object() || excluded(id)) {
      ++result.skipped;
      continue;
    }
    ++result.containers_reported;
    const std::vector<std::string> tags = container_tags(id);
    const std::optional<std::string> read_text = AsString(Find(entry, "read"));
    // Plain values rather than optionals: GCC 12 -O2 reports a false maybe-uninitialized here.
    bool has_read = false;
    std::chrono::nanoseconds time = now_nanos;
    if (read_text.has_value()) {
      if (std::optional<std::chrono::nanoseconds> parsed = internal::ParseRfc3339(*read_text)) {
        has_read = true;
        time = *parsed;
      }
    }
    const auto timestamp = std::chrono::floor<std::chrono::seconds>(time).count();

    State::Sample sample;
    sample.time = time;
    // Counters whose derivative is reported, with the tags of their serie.
    std::vector<std::pair<std::string, std::vector<std::string>>> rate_tags;
    auto counter = [&](std::string_view name, std::string_view interface,
                       std::optional<uint64_t> value, std::vector<std::string> serie_tags) {
      if (value.has_value()) {
        std::string key = fmt::format("{}|{}", name, interface);
        sample.counters[key] = *value;
        rate_tags.emplace_back(std::move(key), std::move(serie_tags));
      }
    };

    // CPU (A3 rows cpu.usage/user/system, cpu.percent).
    const json* cpu_stats = Find(entry, "cpu_stats");
    const json* cpu_usage = cpu_stats != nullptr ? Find(*cpu_stats, "cpu_usage") : nullptr;
    if (cpu_usage != nullptr) {
      counter("ecs.fargate.cpu.usage", "", AsU64(Find(*cpu_usage, "total_usage")), tags);
      counter("ecs.fargate.cpu.user", "", AsU64(Find(*cpu_usage, "usage_in_usermode")), tags);
      counter("ecs.fargate.cpu.system", "", AsU64(Find(*cpu_usage, "usage_in_kernelmode")), tags);
    }
    const json* precpu_stats = Find(entry, "precpu_stats");
    const json* precpu_usage = precpu_stats != nullptr ? Find(*precpu_stats, "cpu_usage") : nullptr;
    if (cpu_usage != nullptr && precpu_usage != nullptr) {
      const std::optional<double> total = AsDouble(Find(*cpu_usage, "total_usage"));
      const std::optional<double> pre_total = AsDouble(Find(*precpu_usage, "total_usage"));
      const std::optional<double> system = AsDouble(Find(*cpu_stats, "system_cpu_usage"));
      const std::optional<double> pre_system = AsDouble(Find(*precpu_stats, "system_cpu_usage"));
      const double online = AsDouble(Find(*cpu_stats, "online_cpus")).value_or(0);
      if (total && pre_total && system && pre_system) {
        const double delta_total = *total - *pre_total;
        const double delta_system = *system - *pre_system;
        if (delta_total > 0 && delta_system > 0 && online > 0) {
          std::optional<double> percent;
          if (delta_total < delta_system) {
            percent = delta_total / delta_system * online * 100;
          } else {
            // The check's fallback for hosts where system usage lags: whole seconds between
            // preread and read.
            const std::optional<std::string> preread_text = AsString(Find(entry, "preread"));
            const std::optional<std::chrono::nanoseconds> preread =
                preread_text ? internal::ParseRfc3339(*preread_text) : std::nullopt;
            if (has_read && preread.has_value()) {
              const auto whole_seconds = static_cast<double>(
                  std::chrono::floor<std::chrono::seconds>(time - *preread).count());
              if (whole_seconds > 0) {
                percent = delta_total / (whole_seconds * 1e9) * 100;
              }
            }
          }
          if (percent.has_value()) {
            emit.Gauge("ecs.fargate.cpu.percent", std::round(*percent * 100) / 100, tags,
                       timestamp);
          }
        }
      }
    }

    // Memory (A3 rows mem.*).
    if (const json* memory = Find(entry, "memory_stats"); memory != nullptr) {
      if (std::optional<double> usage = AsDouble(Find(*memory, "usage"))) {
        emit.Gauge("ecs.fargate.mem.usage", *usage, tags, timestamp);
      }
      if (std::optional<double> max_usage = AsDouble(Find(*memory, "max_usage"))) {
        emit.Gauge("ecs.fargate.mem.max_usage", *max_usage, tags, timestamp);
      }
      if (std::optional<uint64_t> limit = AsU64(Find(*memory, "limit"));
          limit.has_value() && *limit < kUnsetMemoryLimit) {
        emit.Gauge("ecs.fargate.mem.limit", static_cast<double>(*limit), tags, timestamp);
      }
      if (const json* memory_stats = Find(*memory, "stats"); memory_stats != nullptr) {
        for (std::string_view key : kMemoryStatGauges) {
          if (std::optional<uint64_t> value = AsU64(Find(*memory_stats, key));
              value.has_value() && *value < kUnsetMemoryLimit) {
            emit.Gauge(fmt::format("ecs.fargate.mem.{}", key), static_cast<double>(*value), tags,
                       timestamp);
          }
        }
        for (std::string_view key : kMemoryStatRates) {
          counter(fmt::format("ecs.fargate.mem.{}", key), "", AsU64(Find(*memory_stats, key)),
                  tags);
        }
      }
    }

    // Block I/O (A3 rows io.bytes.*, io.ops.*).
    if (const json* blkio = Find(entry, "blkio_stats"); blkio != nullptr) {
      const json* bytes = Find(*blkio, "io_service_bytes_recursive");
      const json* ops = Find(*blkio, "io_serviced_recursive");
      counter("ecs.fargate.io.bytes.read", "", SumBlkio(bytes, "read"), tags);
      counter("ecs.fargate.io.bytes.write", "", SumBlkio(bytes, "write"), tags);
      counter("ecs.fargate.io.ops.read", "", SumBlkio(ops, "read"), tags);
      counter("ecs.fargate.io.ops.write", "", SumBlkio(ops, "write"), tags);
    }

    // Network, per interface (A3 rows net.*, A3-5).
    if (const json* networks = Find(entry, "networks");
        networks != nullptr && networks->is_object()) {
      for (const auto& [interface, counters] : networks->items()) {
        const std::vector<std::string> net_tags = WithInterface(tags, interface);
        counter("ecs.fargate.net.bytes_rcvd", interface, AsU64(Find(counters, "rx_bytes")),
                net_tags);
        counter("ecs.fargate.net.bytes_sent", interface, AsU64(Find(counters, "tx_bytes")),
                net_tags);
        constexpr std::pair<std::string_view, std::string_view> kNetGauges[] = {
            {"rx_errors", "ecs.fargate.net.rcvd_errors"},
            {"tx_errors", "ecs.fargate.net.sent_errors"},
            {"rx_dropped", "ecs.fargate.net.packet.in_dropped"},
            {"tx_dropped", "ecs.fargate.net.packet.out_dropped"}};
        for (const auto& [field, name] : kNetGauges) {
          if (std::optional<double> value = AsDouble(Find(counters, field))) {
            emit.Gauge(name, *value, net_tags, timestamp);
          }
        }
      }
    }

    // Rates against the previous document of this container (A3-1, A3-2).
    const auto previous = state_->previous.find(id);
    if (previous != state_->previous.end() && sample.time <= previous->second.time) {
      current_samples[id] = previous->second;  // Not refreshed yet: keep the older sample.
      continue;
    }
    if (previous != state_->previous.end()) {
      const double elapsed =
          std::chrono::duration<double>(sample.time - previous->second.time).count();
      for (auto& [key, serie_tags] : rate_tags) {
        const auto old = previous->second.counters.find(key);
        const uint64_t value = sample.counters[key];
        if (old == previous->second.counters.end() || value < old->second) {
          continue;  // New counter, or a reset.
        }
        const std::string name = key.substr(0, key.find('|'));
        emit.Gauge(name, static_cast<double>(value - old->second) / elapsed, std::move(serie_tags),
                   timestamp);
      }
    }
    current_samples[id] = std::move(sample);
  }
  // Containers absent from this document are forgotten.
  state_->previous = std::move(current_samples);

  if (!state_->task.has_value() || !state_->task->usable) {
    check.status = kServiceCheckWarning;
    check.message = "No usable ECS task document (Cluster, Containers) yet.";
  } else {
    check.status = kServiceCheckOk;
  }
  result.service_checks.push_back(std::move(check));
  return result;
}

}  // namespace sidecar::container
