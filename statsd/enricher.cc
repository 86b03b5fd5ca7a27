#include "statsd/enricher.h"

#include <algorithm>
#include <utility>

namespace sidecar::statsd {
namespace {

constexpr std::string_view kHostPrefix = "host:";
constexpr std::string_view kInternalPrefix = "dd.internal.";
constexpr std::string_view kEntityIdPrefix = "dd.internal.entity_id:";
constexpr std::string_view kCardinalityPrefix = "dd.internal.card:";
constexpr std::string_view kJmxCheckNamePrefix = "dd.internal.jmx_check_name:";

// The unified service tag keys, as bits of a mask.
constexpr std::array<std::string_view, 3> kUstKeys = {"env", "service", "version"};

// Index into kUstKeys of the tag's key, or -1.
int UstKeyIndex(std::string_view tag) {
  if (tag.empty()) {
    return -1;
  }
  switch (tag[0]) {
    case 'e':
      return tag.starts_with("env:") ? 0 : -1;
    case 's':
      return tag.starts_with("service:") ? 1 : -1;
    case 'v':
      return tag.starts_with("version:") ? 2 : -1;
    default:
      return -1;
  }
}

// Parser enums (what the line said) -> record enums (what goes upstream), by enumerator name.
RecordPriority ToRecord(EventPriority priority) {
  return priority == EventPriority::kLow ? RecordPriority::kLow : RecordPriority::kNormal;
}

RecordAlertType ToRecord(EventAlertType alert_type) {
  switch (alert_type) {
    case EventAlertType::kError:
      return RecordAlertType::kError;
    case EventAlertType::kWarning:
      return RecordAlertType::kWarning;
    case EventAlertType::kSuccess:
      return RecordAlertType::kSuccess;
    case EventAlertType::kInfo:
      break;
  }
  return RecordAlertType::kInfo;
}

}  // namespace

std::vector<std::string> DefaultNamespaceBlocklist() {
  return {"datadog.agent",
          "datadog.dogstatsd",
          "datadog.process",
          "datadog.trace_agent",
          "datadog.tracer",
          "activemq",
          "activemq_58",
          "airflow",
          "cassandra",
          "confluent",
          "hazelcast",
          "hive",
          "ignite",
          "jboss",
          "jvm",
          "kafka",
          "presto",
          "sidekiq",
          "solr",
          "tomcat",
          "runtime"};
}

// ---------------------------------------------------------------------------------------------
// StaticOriginTags

StaticOriginTags::StaticOriginTags(std::vector<std::string> task_tags) {
  SetTaskTags(std::move(task_tags));
}

void StaticOriginTags::SetTaskTags(std::vector<std::string> tags) {
  task_tags_ = std::make_shared<const std::vector<std::string>>(std::move(tags));
}

void StaticOriginTags::SetContainerTags(std::string container_id, std::vector<std::string> tags) {
  container_tags_[std::move(container_id)] =
      std::make_shared<const std::vector<std::string>>(std::move(tags));
}

std::shared_ptr<const std::vector<std::string>> StaticOriginTags::TagsFor(
    std::string_view container_id) {
  if (!container_id.empty()) {
    if (const auto it = container_tags_.find(container_id); it != container_tags_.end()) {
      return it->second;
    }
  }
  return task_tags_;
}

// ---------------------------------------------------------------------------------------------
// Enricher

Enricher::Enricher(EnricherConfig config, OriginTags* origin_tags, StatsdStats& stats)
    : config_(std::move(config)), origin_tags_(origin_tags), stats_(stats) {
  if (!config_.namespace_prefix.empty() && !config_.namespace_prefix.ends_with('.')) {
    config_.namespace_prefix += '.';
  }
  const std::array<const std::string*, 3> ust_values = {&config_.env, &config_.service,
                                                        &config_.version};
  for (size_t i = 0; i < kUstKeys.size(); ++i) {
    if (!ust_values[i]->empty()) {
      ust_tags_.push_back(std::string(kUstKeys[i]) + ":" + *ust_values[i]);
    }
  }
  name_blocklist_.insert(config_.name_blocklist.begin(), config_.name_blocklist.end());
  if (config_.mapper_profiles != nullptr && !config_.mapper_profiles->empty()) {
    mapper_ = std::make_unique<Mapper>(config_.mapper_profiles, config_.mapper_cache_size);
  }
  tags_.reserve(64);
  section_cache_.resize(kSectionCacheSize);
}

unsigned Enricher::ExtractTags(TagList tags, std::span<const std::string> mapped,
                               std::string_view& host, std::string_view& origin_id,
                               std::string_view& cardinality) {
  // Spec §5 (Agent extractTagsMetadata): host: (last wins), dd.internal.entity_id: and
  // dd.internal.jmx_check_name: are always removed; dd.internal.card: only while no cardinality
  // is known (a `card:` field keeps the tag in place, E11).
  unsigned ust_mask = 0;
  tags_.clear();
  const auto extract = [&](std::string_view tag) {
    if (!tag.empty()) {
      switch (tag[0]) {
        case 'h':
          if (tag.starts_with(kHostPrefix)) {
            host = tag.substr(kHostPrefix.size());
            return;
          }
          break;
        case 'd':
          if (tag.starts_with(kInternalPrefix)) {
            if (tag.starts_with(kEntityIdPrefix)) {
              origin_id = tag.substr(kEntityIdPrefix.size());
              return;
            }
            if (tag.starts_with(kCardinalityPrefix) && cardinality.empty()) {
              cardinality = tag.substr(kCardinalityPrefix.size());
              return;
            }
            if (tag.starts_with(kJmxCheckNamePrefix)) {
              return;
            }
          }
          break;
        case 'e':
        case 's':
        case 'v':
          if (const int key = UstKeyIndex(tag); key >= 0) {
            ust_mask |= 1u << key;
          }
          break;
        default:
          break;
      }
    }
    tags_.push_back(tag);
  };
  for (const std::string_view tag : tags) {
    extract(tag);
  }
  for (const std::string& tag : mapped) {
    extract(tag);
  }
  return ust_mask;
}

bool Enricher::NamespaceExcluded(std::string_view name) const {
  for (const std::string& prefix : config_.namespace_blocklist) {
    if (name.starts_with(prefix)) {
      return true;
    }
  }
  return false;
}

bool Enricher::Blocked(std::string_view name) const {
  if (config_.name_blocklist.empty()) {
    return false;
  }
  if (!config_.name_blocklist_match_prefix) {
    return name_blocklist_.contains(name);
  }
  for (const std::string& prefix : config_.name_blocklist) {
    if (name.starts_with(prefix)) {
      return true;
    }
  }
  return false;
}

std::shared_ptr<const ExtraTags> Enricher::BuildExtra(const std::vector<std::string>* origin_tags,
                                                      unsigned ust_mask) const {
  // Sources in precedence order for the unified service tag keys.
  const std::array<const std::vector<std::string>*, 4> sources = {
      origin_tags, &ust_tags_, &config_.dogstatsd_tags, &config_.static_tags};
  // The source that provides each UST key, or sources.size() when the client has it or none does.
  std::array<size_t, 3> winner = {sources.size(), sources.size(), sources.size()};
  for (size_t s = 0; s < sources.size(); ++s) {
    if (sources[s] == nullptr) {
      continue;
    }
    for (const std::string& tag : *sources[s]) {
      const int key = UstKeyIndex(tag);
      if (key >= 0 && (ust_mask & (1u << key)) == 0 && winner[static_cast<size_t>(key)] > s) {
        winner[static_cast<size_t>(key)] = s;
      }
    }
  }
  std::vector<std::string> tags;
  for (size_t s = 0; s < sources.size(); ++s) {
    if (sources[s] == nullptr) {
      continue;
    }
    for (const std::string& tag : *sources[s]) {
      const int key = UstKeyIndex(tag);
      if (key < 0 || winner[static_cast<size_t>(key)] == s) {
        tags.push_back(tag);
      }
    }
  }
  return std::make_shared<const ExtraTags>(std::move(tags));
}

const ExtraTags& Enricher::ExtraFor(std::string_view container_id, unsigned ust_mask) {
  Origin* origin;
  if (container_id.empty()) {
    origin = &no_origin_;
    if (!no_origin_loaded_) {
      no_origin_.tags = origin_tags_ != nullptr ? origin_tags_->TagsFor({}) : nullptr;
      no_origin_loaded_ = true;
    }
  } else if (const auto it = origins_.find(container_id); it != origins_.end()) {
    origin = &it->second;
  } else {
    if (origins_.size() >= kMaxCachedOrigins) {
      origins_.clear();  // Bounded; a task has a handful of containers.
      ++section_generation_;
    }
    origin = &origins_[container_id];
    origin->tags = origin_tags_ != nullptr ? origin_tags_->TagsFor(container_id) : nullptr;
  }
  std::shared_ptr<const ExtraTags>& extra = origin->extra[ust_mask];
  if (extra == nullptr) {
    extra = BuildExtra(origin->tags.get(), ust_mask);
  }
  return *extra;
}

void Enricher::RefreshOrigins() {
  if (origin_tags_ == nullptr) {
    return;
  }
  const auto refresh = [this](Origin& origin, std::string_view container_id) {
    auto tags = origin_tags_->TagsFor(container_id);
    if (tags != origin.tags) {
      origin.tags = std::move(tags);
      origin.extra = {};
      ++section_generation_;
    }
  };
  if (no_origin_loaded_) {
    refresh(no_origin_, {});
  }
  if (origins_.size() > kMaxCachedOrigins) {
    origins_.clear();
    ++section_generation_;
  }
  for (auto& [container_id, origin] : origins_) {
    refresh(origin, container_id);
  }
}

const Enricher::SectionEntry& Enricher::CachedSection(const MetricSample& sample) {
  const std::string_view section = sample.tags.raw();
  const std::string_view container_id = sample.container_id;
  const bool card_field = !sample.cardinality.empty();
  uint64_t hash = internal::HashBytes(section, card_field ? 0x63617264u : 0x74616773u);
  if (!container_id.empty()) {
    hash ^= internal::HashBytes(container_id, hash);
  }
  SectionEntry& entry = section_cache_[hash & (kSectionCacheSize - 1)];
  if (entry.generation == section_generation_ && entry.hash == hash &&
      entry.card_field == card_field && entry.section == section &&
      entry.container_id == container_id) {
    tags_.clear();
    for (const Piece& tag : entry.tags) {
      tags_.emplace_back(section.data() + tag.offset, tag.size);
    }
    return entry;
  }

  // Miss: extract as usual, noting where each view lies in the section. Views that stay null (or
  // keep pointing outside the section) were not found there.
  std::string_view host;
  std::string_view origin_id;
  std::string_view cardinality = sample.cardinality;
  const unsigned ust_mask = ExtractTags(sample.tags, {}, host, origin_id, cardinality);
  const auto piece = [section](std::string_view view) {
    const auto begin = reinterpret_cast<uintptr_t>(section.data());
    const auto at = reinterpret_cast<uintptr_t>(view.data());
    if (view.data() == nullptr || at < begin || at + view.size() > begin + section.size()) {
      return Piece{};
    }
    return Piece{static_cast<uint32_t>(at - begin), static_cast<uint32_t>(view.size())};
  };
  entry.extra = &ExtraFor(container_id, ust_mask);  // May bump section_generation_.
  entry.generation = section_generation_;
  entry.hash = hash;
  entry.card_field = card_field;
  entry.section.assign(section);
  entry.container_id.assign(container_id);
  entry.tags.clear();
  for (const std::string_view tag : tags_) {
    entry.tags.push_back(piece(tag));
  }
  entry.host = piece(host);
  entry.origin_id = piece(origin_id);
  entry.cardinality = card_field ? Piece{} : piece(cardinality);
  entry.key = ComputeTagSetKey(tags_, *entry.extra, key_scratch_);
  return entry;
}

std::span<const EnrichedSample> Enricher::Enrich(const MetricSample& sample) {
  stats_.metric_type_count(sample.type).Add();

  std::string_view host = config_.default_host;
  std::string_view origin_id;
  std::string_view cardinality = sample.cardinality;
  std::string_view name = sample.name;
  std::span<const std::string> mapped_tags;
  if (mapper_ != nullptr) {
    // E09: before everything else, as the Agent maps in parseMetricMessage.
    if (const MapResult* mapped = mapper_->Map(name); mapped != nullptr) {
      name = mapped->name;
      mapped_tags = mapped->tags;
    }
  }
  const ExtraTags* extra = nullptr;
  const TagSetKey* tag_key = nullptr;
  unsigned ust_mask = 0;
  if (mapped_tags.empty() && sample.tags.raw().size() <= kMaxCachedSectionBytes) {
    const SectionEntry& entry = CachedSection(sample);
    const std::string_view section = sample.tags.raw();
    const auto view = [section](Piece piece) {
      return std::string_view(section.data() + piece.offset, piece.size);
    };
    if (entry.host.offset != Piece::kAbsent) {
      host = view(entry.host);
    }
    if (entry.origin_id.offset != Piece::kAbsent) {
      origin_id = view(entry.origin_id);
    }
    if (entry.cardinality.offset != Piece::kAbsent) {
      cardinality = view(entry.cardinality);
    }
    extra = entry.extra;
    tag_key = &entry.key;
  } else {
    ust_mask = ExtractTags(sample.tags, mapped_tags, host, origin_id, cardinality);
  }

  if (!config_.namespace_prefix.empty() && !NamespaceExcluded(name)) {
    name_.assign(config_.namespace_prefix);
    name_.append(name);
    name = name_;
  }
  if (Blocked(name)) {
    stats_.dropped_filtered().Add();
    return {};
  }

  EnrichedSample& out = out_[0];
  out.name = name;
  out.host = host;
  out.type = sample.type;
  out.values = sample.values;
  out.set_value = sample.set_value;
  out.sample_rate = sample.sample_rate;
  out.timestamp = sample.timestamp;
  out.tags = tags_;
  out.extra_tags = extra != nullptr ? extra : &ExtraFor(sample.container_id, ust_mask);
  out.tag_key = tag_key;
  out.origin_id = origin_id;
  out.container_id = sample.container_id;
  out.cardinality = cardinality;

  if (config_.histogram_copy_to_distribution &&
      (sample.type == MetricType::kHistogram || sample.type == MetricType::kTiming)) {
    dist_name_.assign(config_.histogram_copy_to_distribution_prefix);
    dist_name_.append(name);
    out_[1] = out;
    out_[1].name = dist_name_;
    out_[1].type = MetricType::kDistribution;
    return {out_.data(), 2};
  }
  return {out_.data(), 1};
}

std::vector<std::string> Enricher::SortedTags(const ExtraTags& extra) const {
  std::vector<std::string> tags;
  tags.reserve(tags_.size() + extra.tags().size());
  for (const std::string_view tag : tags_) {
    tags.emplace_back(tag);
  }
  tags.insert(tags.end(), extra.tags().begin(), extra.tags().end());
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

EventRecord Enricher::EnrichEvent(const Event& event) {
  std::string_view host = config_.default_host;
  std::string_view origin_id;
  std::string_view cardinality = event.cardinality;
  const unsigned ust_mask = ExtractTags(event.tags, {}, host, origin_id, cardinality);
  if (!event.hostname.empty()) {
    host = event.hostname;
  }
  EventRecord record;
  record.title = event.UnescapedTitle();
  record.text = event.UnescapedText();
  record.timestamp = event.timestamp.value_or(0);
  record.host = std::string(host);
  record.aggregation_key = std::string(event.aggregation_key);
  record.source_type_name = std::string(event.source_type);
  record.priority = ToRecord(event.priority);
  record.alert_type = ToRecord(event.alert_type);
  record.tags = SortedTags(ExtraFor(event.container_id, ust_mask));
  return record;
}

ServiceCheckRecord Enricher::EnrichServiceCheck(const ServiceCheck& check) {
  std::string_view host = config_.default_host;
  std::string_view origin_id;
  std::string_view cardinality = check.cardinality;
  const unsigned ust_mask = ExtractTags(check.tags, {}, host, origin_id, cardinality);
  if (!check.hostname.empty()) {
    host = check.hostname;
  }
  ServiceCheckRecord record;
  record.name = std::string(check.name);
  record.host = std::string(host);
  record.timestamp = check.timestamp.value_or(0);
  record.status = static_cast<int>(check.status);
  record.message = std::string(check.message);
  record.tags = SortedTags(ExtraFor(check.container_id, ust_mask));
  return record;
}

}  // namespace sidecar::statsd
