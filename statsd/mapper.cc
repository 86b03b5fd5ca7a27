#include "statsd/mapper.h"

#include <re2/re2.h>

#include <algorithm>
#include <map>

#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace sidecar::statsd {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kMatchTypeWildcard = "wildcard";
constexpr std::string_view kMatchTypeRegex = "regex";

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The Agent's allowedWildcardMatchPattern: ^[a-zA-Z0-9\-_*.]+$.
bool IsAllowedWildcard(std::string_view match) {
  if (match.empty()) {
    return false;
  }
  for (const char c : match) {
    if (!IsNameChar(c) && c != '-' && c != '*' && c != '.') {
      return false;
    }
  }
  return true;
}

std::string WildcardToRegex(std::string_view match) {
  std::string regex;
  for (const char c : match) {
    if (c == '.') {
      regex.append("\\.");
    } else if (c == '*') {
      regex.append("([^.]*)");
    } else {
      regex.push_back(c);
    }
  }
  return regex;
}

absl::StatusOr<std::string> StringField(const Json& object, const char* field,
                                        const std::string& where) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(fmt::format("{}: \"{}\" must be a string", where, field));
  }
  return it->get<std::string>();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// JSON

absl::StatusOr<std::vector<MapperProfileConfig>> ParseMapperProfilesJson(std::string_view json) {
  const Json root = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return absl::InvalidArgumentError("not valid JSON");
  }
  if (!root.is_array()) {
    return absl::InvalidArgumentError("expected a JSON array of profiles");
  }
  std::vector<MapperProfileConfig> profiles;
  for (size_t p = 0; p < root.size(); ++p) {
    const Json& item = root[p];
    const std::string where = fmt::format("profile {}", p);
    if (!item.is_object()) {
      return absl::InvalidArgumentError(fmt::format("{}: expected an object", where));
    }
    MapperProfileConfig& profile = profiles.emplace_back();
    auto name = StringField(item, "name", where);
    if (!name.ok()) {
      return name.status();
    }
    profile.name = std::move(*name);
    auto prefix = StringField(item, "prefix", where);
    if (!prefix.ok()) {
      return prefix.status();
    }
    profile.prefix = std::move(*prefix);
    const auto mappings = item.find("mappings");
    if (mappings == item.end() || mappings->is_null()) {
      continue;
    }
    if (!mappings->is_array()) {
      return absl::InvalidArgumentError(fmt::format("{}: \"mappings\" must be an array", where));
    }
    for (size_t m = 0; m < mappings->size(); ++m) {
      const Json& rule = (*mappings)[m];
      const std::string rule_where = fmt::format("profile {}, mapping {}", p, m);
      if (!rule.is_object()) {
        return absl::InvalidArgumentError(fmt::format("{}: expected an object", rule_where));
      }
      MapperMappingConfig& mapping = profile.mappings.emplace_back();
      for (auto [field, target] :
           {std::pair{"match", &mapping.match}, std::pair{"match_type", &mapping.match_type},
            std::pair{"name", &mapping.name}}) {
        auto value = StringField(rule, field, rule_where);
        if (!value.ok()) {
          return value.status();
        }
        *target = std::move(*value);
      }
      const auto tags = rule.find("tags");
      if (tags == rule.end() || tags->is_null()) {
        continue;
      }
      if (!tags->is_object()) {
        return absl::InvalidArgumentError(
            fmt::format("{}: \"tags\" must be an object of strings", rule_where));
      }
      for (const auto& [key, value] : tags->items()) {
        if (!value.is_string()) {
          return absl::InvalidArgumentError(
              fmt::format("{}: tag \"{}\" must be a string", rule_where, key));
        }
        mapping.tags.emplace_back(key, value.get<std::string>());
      }
    }
  }
  return profiles;
}

// ---------------------------------------------------------------------------------------------
// MapperProfiles

namespace {

// Go's regexp.Expand template grammar, resolved against `regex`'s groups once.
template <typename Template, typename Part>
Template ParseTemplate(std::string_view text, const re2::RE2& regex) {
  Template parts;
  Part current;
  const std::map<std::string, int>& named = regex.NamedCapturingGroups();
  while (!text.empty()) {
    const size_t dollar = text.find('$');
    if (dollar == std::string_view::npos) {
      break;
    }
    current.literal.append(text.substr(0, dollar));
    text.remove_prefix(dollar + 1);
    if (!text.empty() && text.front() == '$') {  // `$$` is `$`.
      current.literal.push_back('$');
      text.remove_prefix(1);
      continue;
    }
    // extract(): `name` or `{name}`, name = [A-Za-z0-9_]+, taken as long as possible.
    std::string_view rest = text;
    const bool brace = !rest.empty() && rest.front() == '{';
    if (brace) {
      rest.remove_prefix(1);
    }
    size_t length = 0;
    while (length < rest.size() && IsNameChar(rest[length])) {
      ++length;
    }
    if (length == 0 || (brace && (length >= rest.size() || rest[length] != '}'))) {
      current.literal.push_back('$');  // Malformed: the `$` is literal text.
      continue;
    }
    const std::string_view name = rest.substr(0, length);
    text = rest.substr(length + (brace ? 1 : 0));
    int group = -1;  // -1: expands to nothing.
    bool numeric = name.size() <= 8 && (name.size() == 1 || name.front() != '0');
    int number = 0;
    for (const char c : name) {
      if (c < '0' || c > '9') {
        numeric = false;
        break;
      }
      number = number * 10 + (c - '0');
    }
    if (numeric) {
      group = number <= regex.NumberOfCapturingGroups() ? number : -1;
    } else if (const auto it = named.find(std::string(name)); it != named.end()) {
      group = it->second;
    }
    if (group >= 0) {
      current.group = group;
      parts.push_back(std::move(current));
      current = Part{};
    }
  }
  current.literal.append(text);
  if (!current.literal.empty() || parts.empty()) {
    parts.push_back(std::move(current));
  }
  return parts;
}

}  // namespace

MapperProfiles::~MapperProfiles() = default;

absl::StatusOr<std::shared_ptr<const MapperProfiles>> MapperProfiles::Compile(
    std::vector<MapperProfileConfig> configs) {
  std::shared_ptr<MapperProfiles> compiled(new MapperProfiles());
  for (size_t p = 0; p < configs.size(); ++p) {
    MapperProfileConfig& config = configs[p];
    if (config.name.empty()) {
      return absl::InvalidArgumentError(fmt::format("missing profile name {}", p));
    }
    if (config.prefix.empty()) {
      return absl::InvalidArgumentError(fmt::format("missing prefix for profile: {}", config.name));
    }
    Profile& profile = compiled->profiles_.emplace_back();
    profile.name = config.name;
    profile.prefix = config.prefix;
    profile.any_prefix = config.prefix == "*";
    for (size_t m = 0; m < config.mappings.size(); ++m) {
      const MapperMappingConfig& rule = config.mappings[m];
      const std::string_view match_type =
          rule.match_type.empty() ? kMatchTypeWildcard : std::string_view(rule.match_type);
      if (match_type != kMatchTypeWildcard && match_type != kMatchTypeRegex) {
        return absl::InvalidArgumentError(fmt::format(
            "profile: {}, mapping num {}: invalid match type, must be `wildcard` or `regex`",
            profile.name, m));
      }
      if (rule.name.empty()) {
        return absl::InvalidArgumentError(
            fmt::format("profile: {}, mapping num {}: name is required", profile.name, m));
      }
      if (rule.match.empty()) {
        return absl::InvalidArgumentError(
            fmt::format("profile: {}, mapping num {}: match is required", profile.name, m));
      }
      std::string pattern = rule.match;
      if (match_type == kMatchTypeWildcard) {
        if (!IsAllowedWildcard(rule.match)) {
          return absl::InvalidArgumentError(fmt::format(
              "profile: {}, mapping num {}: invalid wildcard match pattern `{}`, it does not "
              "match allowed match regex `^[a-zA-Z0-9\\-_*.]+$`",
              profile.name, m, rule.match));
        }
        if (rule.match.find("**") != std::string::npos) {
          return absl::InvalidArgumentError(fmt::format(
              "profile: {}, mapping num {}: invalid wildcard match pattern `{}`, it should not "
              "contain consecutive `*`",
              profile.name, m, rule.match));
        }
        pattern = WildcardToRegex(rule.match);
      }
      re2::RE2::Options options;
      options.set_log_errors(false);
      Mapping& mapping = profile.mappings.emplace_back();
      const std::string anchored = "^" + pattern + "$";
      mapping.regex = std::make_unique<re2::RE2>(re2::StringPiece(anchored), options);
      if (!mapping.regex->ok()) {
        return absl::InvalidArgumentError(
            fmt::format("profile: {}, mapping num {}: invalid match `{}`. cannot compile regex: {}",
                        profile.name, m, pattern, mapping.regex->error()));
      }
      mapping.groups = mapping.regex->NumberOfCapturingGroups();
      compiled->max_groups_ = std::max(compiled->max_groups_, mapping.groups);
      mapping.name = ParseTemplate<Template, TemplatePart>(rule.name, *mapping.regex);
      for (const auto& [key, value] : rule.tags) {
        mapping.tags.emplace_back(key + ":",
                                  ParseTemplate<Template, TemplatePart>(value, *mapping.regex));
      }
    }
  }
  return std::shared_ptr<const MapperProfiles>(std::move(compiled));
}

absl::StatusOr<std::shared_ptr<const MapperProfiles>> MapperProfiles::FromJson(
    std::string_view json) {
  absl::StatusOr<std::vector<MapperProfileConfig>> configs = ParseMapperProfilesJson(json);
  if (!configs.ok()) {
    return configs.status();
  }
  return Compile(std::move(*configs));
}

const MapperProfiles::Profile* MapperProfiles::ProfileFor(std::string_view name) const {
  for (const Profile& profile : profiles_) {
    if (profile.any_prefix || name.starts_with(profile.prefix)) {
      return &profile;
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Mapper

struct Mapper::Groups {
  std::vector<re2::StringPiece> pieces;
};

void Mapper::Expand(const MapperProfiles::Template& parts, const Groups& groups, std::string& out) {
  for (const auto& part : parts) {
    out.append(part.literal);
    if (part.group >= 0) {
      const re2::StringPiece& group = groups.pieces[static_cast<size_t>(part.group)];
      if (group.data() != nullptr) {
        out.append(group.data(), group.size());
      }
    }
  }
}

Mapper::Mapper(std::shared_ptr<const MapperProfiles> profiles, size_t cache_size)
    : profiles_(std::move(profiles)),
      cache_size_(cache_size == 0 ? 1 : cache_size),
      groups_(std::make_unique<Groups>()) {
  if (profiles_ != nullptr) {
    groups_->pieces.resize(static_cast<size_t>(profiles_->max_groups_) + 1);
  }
}

Mapper::~Mapper() = default;

const MapResult* Mapper::Map(std::string_view name) {
  if (profiles_ == nullptr) {
    return nullptr;
  }
  const MapperProfiles::Profile* profile = profiles_->ProfileFor(name);
  if (profile == nullptr) {
    return nullptr;
  }
  if (const auto it = index_.find(name); it != index_.end()) {
    ++cache_hits_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->matched ? &it->second->result : nullptr;
  }
  const re2::StringPiece text(name.data(), name.size());
  for (const MapperProfiles::Mapping& mapping : profile->mappings) {
    const int groups = mapping.groups + 1;
    if (!mapping.regex->Match(text, 0, text.size(), re2::RE2::UNANCHORED, groups_->pieces.data(),
                              groups)) {
      continue;
    }
    MapResult result;
    Expand(mapping.name, *groups_, result.name);
    result.tags.reserve(mapping.tags.size());
    for (const auto& [key, value] : mapping.tags) {
      std::string& tag = result.tags.emplace_back(key);
      Expand(value, *groups_, tag);
    }
    return Remember(name, true, &result);
  }
  return Remember(name, false, nullptr);
}

const MapResult* Mapper::Remember(std::string_view name, bool matched, MapResult* result) {
  if (lru_.size() >= cache_size_) {
    index_.erase(std::string_view(lru_.back().key));
    lru_.pop_back();
  }
  lru_.emplace_front();
  Entry& entry = lru_.front();
  entry.key.assign(name);
  entry.matched = matched;
  if (result != nullptr) {
    entry.result = std::move(*result);
  }
  index_.emplace(std::string_view(entry.key), lru_.begin());
  return matched ? &entry.result : nullptr;
}

}  // namespace sidecar::statsd
