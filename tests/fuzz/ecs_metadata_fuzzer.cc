// Fuzz target for the ECS task metadata parsers and the tagger built on them
// (container/task_metadata.h, container/tagger.h, container/origin.h): arbitrary bytes are parsed
// as a task document and as a container document. Besides "no crash", it checks cheap
// invariants: parsing is deterministic; derived fields agree with their sources; every tag list
// is sorted, unique, nested by cardinality (low within orchestrator within high) and carries at
// most one env/service/version value; every container resolves to itself by DockerId.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "agent/common/strings.h"
#include "container/origin.h"
#include "container/tagger.h"
#include "container/task_metadata.h"

namespace sidecar::container {
namespace {

// Aborts (a fuzzer finding) when `condition` is false.
void Require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

size_t CountKey(const std::vector<std::string>& tags, std::string_view key) {
  return static_cast<size_t>(std::count_if(tags.begin(), tags.end(), [key](const std::string& t) {
    return t.size() > key.size() && t.starts_with(key) && t[key.size()] == ':';
  }));
}

void CheckLists(const TagStore::TagList& low, const TagStore::TagList& orch,
                const TagStore::TagList& high) {
  Require(low != nullptr && orch != nullptr && high != nullptr);
  for (const auto* list : {low.get(), orch.get(), high.get()}) {
    Require(std::is_sorted(list->begin(), list->end()));
    Require(std::adjacent_find(list->begin(), list->end()) == list->end());
    for (const std::string_view key : {"env", "service", "version"}) {
      Require(CountKey(*list, key) <= 1);
    }
  }
  Require(std::includes(orch->begin(), orch->end(), low->begin(), low->end()));
  Require(std::includes(high->begin(), high->end(), orch->begin(), orch->end()));
}

void CheckTask(const TaskMetadata& task, std::string_view input) {
  Require(!task.task_arn.empty());
  Require(task.cluster_name == ShortClusterName(task.cluster));
  Require(task.task_arn.ends_with(task.task_id));
  Require(task.region.empty() || !task.partition.empty());
  Require(task.account_id.empty() || task.account_id.size() == 12);

  const absl::StatusOr<TaskMetadata> again = ParseTaskDocument(input);
  Require(again.ok() && again->task_arn == task.task_arn &&
          again->containers.size() == task.containers.size());

  TaggerConfig config;
  config.static_tags = {"env:static", "team:fuzz"};
  config.service = "sidecar";
  config.collect_ec2_resource_tags = true;
  const std::shared_ptr<const TagStore> store = BuildTagStore(task, config);
  CheckLists(store->TaskTags(Cardinality::kLow), store->TaskTags(Cardinality::kOrchestrator),
             store->TaskTags(Cardinality::kHigh));
  for (const ContainerMetadata& container : task.containers) {
    if (container.docker_id.empty()) {
      continue;
    }
    CheckLists(store->ContainerTags(container.docker_id, Cardinality::kLow),
               store->ContainerTags(container.docker_id, Cardinality::kOrchestrator),
               store->ContainerTags(container.docker_id, Cardinality::kHigh));
    Require(store->FindContainerId(container.docker_id) == container.docker_id);
    // Real ids are hex and '-'; ids with a comma or edge spaces read as lists / get trimmed.
    const std::string_view id = container.docker_id;
    if (id.find(',') == std::string_view::npos && id == common::TrimAsciiSpace(id)) {
      Require(TagsForOrigin(*store, "ci-" + container.docker_id, Cardinality::kHigh) ==
              store->ContainerTags(container.docker_id, Cardinality::kHigh));
    }
  }
  // Any text is a valid origin query and yields a list.
  Require(TagsForOrigin(*store, input.substr(0, 80), Cardinality::kLow) != nullptr);
}

}  // namespace
}  // namespace sidecar::container

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sidecar::container;  // NOLINT(google-build-using-namespace)
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const absl::StatusOr<TaskMetadata> task = ParseTaskDocument(input); task.ok()) {
    CheckTask(*task, input);
  } else {
    Require(task.status().code() == absl::StatusCode::kInvalidArgument);
  }
  if (const absl::StatusOr<ContainerMetadata> container = ParseContainerDocument(input);
      container.ok()) {
    Require(!container->docker_id.empty());
  } else {
    Require(container.status().code() == absl::StatusCode::kInvalidArgument);
  }
  ParseOriginId(input);
  return 0;
}
