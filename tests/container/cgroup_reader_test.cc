// CgroupReader (container/cgroup_reader.h): the cgroup path forms of spec ecs-logs.md §A2.3 ("UDS
// peer credentials") and the pid cache with its TTLs, over a fake /proc root.
#include "container/cgroup_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace sidecar::container {
namespace {

using std::chrono::seconds;

constexpr std::string_view kFargateId = "67cd8a22b533459696d4ccab5278e009-3591238047";
constexpr std::string_view kDockerId =
    "ee08638adaaf009d78c248913f629e38299471d45fe7dc944d1039077e3424ca";

TEST(CgroupParseTest, FindsTheContainerInEachLineForm) {
  struct Case {
    std::string line;
    std::string_view id;
  };
  const std::string fargate(kFargateId);
  const std::string docker(kDockerId);
  const Case cases[] = {
      // cgroup v1 on Fargate: /ecs/<task id>/<task id>-<n>.
      {"11:memory:/ecs/67cd8a22b533459696d4ccab5278e009/" + fargate, kFargateId},
      {"1:name=systemd:/ecs/67cd8a22b533459696d4ccab5278e009/" + fargate, kFargateId},
      // cgroup v2 on Fargate.
      {"0::/ecs/67cd8a22b533459696d4ccab5278e009/" + fargate, kFargateId},
      // EC2: ECS agent's cgroup parent, plain docker, systemd scopes, containerd, podman.
      {"4:cpu,cpuacct:/ecs/0b2ae8a5-3ed9-4f35-b7a8-6b7e0f9c1d2e/" + docker, kDockerId},
      {"9:devices:/docker/" + docker, kDockerId},
      {"0::/system.slice/docker-" + docker + ".scope", kDockerId},
      {"0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + docker + ".scope", kDockerId},
      {"0::/machine.slice/libpod-" + docker + ".scope/container", kDockerId},
      {"1:name=systemd:/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:" +
           docker,
       kDockerId},
      {"5:cpuset:/kubepods/burstable/pod0b2ae8a5-3ed9-4f35-b7a8-6b7e0f9c1d2e/" + docker + "\r",
       kDockerId},
      // Not a container: the root, a host service, a task cgroup alone, other lengths, upper case.
      {"0::/", ""},
      {"1:name=systemd:/user.slice/user-1000.slice/session-2.scope", ""},
      {"3:memory:/ecs/67cd8a22b533459696d4ccab5278e009", ""},
      {"0::/docker/" + docker.substr(0, 63), ""},
      {"0::/docker/" + docker + "0", ""},
      {"0::/docker/x" + docker, ""},
      {"0::/docker/EE08638ADAAF009D78C248913F629E38299471D45FE7DC944D1039077E3424CA", ""},
      {"0::/ecs/t/67cd8a22b533459696d4ccab5278e009-", ""},
      {"0::/ecs/t/67cd8a22b533459696d4ccab5278e009-12a", ""},
      // Garbage: too few fields, empty, binary.
      {"/docker/" + docker, ""},
      {"0:/docker/" + docker, ""},
      {"", ""},
      {std::string("\0\xff::\n", 5), ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ContainerIdFromCgroupLine(c.line), c.id) << c.line;
  }
}

TEST(CgroupParseTest, FirstLineNamingAContainerWins) {
  const std::string text = "12:pids:/\n0::/\n3:memory:/docker/" + std::string(kDockerId) +
                           "\n2:cpu:/ecs/t/" + std::string(kFargateId) + "\n";
  EXPECT_EQ(ContainerIdFromCgroup(text), kDockerId);
  EXPECT_EQ(ContainerIdFromCgroup("0::/\n"), "");
  EXPECT_EQ(ContainerIdFromCgroup(""), "");
  EXPECT_EQ(ContainerIdFromCgroup("\n\n\n"), "");
  // No trailing newline on the last line.
  EXPECT_EQ(ContainerIdFromCgroup("0::/\n0::/ecs/t/" + std::string(kFargateId)), kFargateId);
}

// A temporary directory laid out as /proc: <root>/<pid>/cgroup.
class FakeProc {
 public:
  FakeProc() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "cgroup_reader_test.XXXXXX").string();
    root_ = ::mkdtemp(pattern.data());
  }
  ~FakeProc() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  void Write(int32_t pid, const std::string& text) {
    const std::filesystem::path dir = std::filesystem::path(root_) / std::to_string(pid);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "cgroup", std::ios::trunc) << text;
  }
  void Remove(int32_t pid) {
    std::filesystem::remove_all(std::filesystem::path(root_) / std::to_string(pid));
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

class CgroupReaderTest : public ::testing::Test {
 protected:
  CgroupReaderOptions Options() {
    CgroupReaderOptions options;
    options.proc_root = proc_.root();
    options.ttl = seconds(60);
    options.negative_ttl = seconds(5);
    return options;
  }

  FakeProc proc_;
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
};

TEST_F(CgroupReaderTest, MapsAPidToItsContainer) {
  proc_.Write(42, "0::/ecs/67cd8a22b533459696d4ccab5278e009/" + std::string(kFargateId) + "\n");
  CgroupReader reader(Options());
  const PidContainer found = reader.Lookup(42, now_);
  EXPECT_EQ(found.status, PidContainer::Status::kFound);
  EXPECT_EQ(found.container_id, kFargateId);
}

TEST_F(CgroupReaderTest, ReportsEachFailure) {
  proc_.Write(7, "0::/\n");
  CgroupReader reader(Options());
  EXPECT_EQ(reader.Lookup(0, now_).status, PidContainer::Status::kNoPid);
  EXPECT_EQ(reader.Lookup(-3, now_).status, PidContainer::Status::kNoPid);
  EXPECT_EQ(reader.Lookup(7, now_).status, PidContainer::Status::kNoContainer);
  // No shared PID namespace: the sender's pid has no entry in our /proc.
  EXPECT_EQ(reader.Lookup(8, now_).status, PidContainer::Status::kUnreadable);
  EXPECT_EQ(reader.Lookup(8, now_).container_id, "");
  EXPECT_EQ(reader.file_reads(), 2u);  // pid 0 and negative pids never touch /proc.
}

TEST_F(CgroupReaderTest, CachesHitsUntilTheTtl) {
  proc_.Write(42, "9:devices:/docker/" + std::string(kDockerId) + "\n");
  CgroupReader reader(Options());
  EXPECT_EQ(reader.Lookup(42, now_).container_id, kDockerId);
  // The process moved (pid reuse): the cache still answers until the TTL runs out.
  proc_.Write(42, "0::/ecs/t/" + std::string(kFargateId) + "\n");
  EXPECT_EQ(reader.Lookup(42, now_ + seconds(59)).container_id, kDockerId);
  EXPECT_EQ(reader.file_reads(), 1u);
  EXPECT_EQ(reader.Lookup(42, now_ + seconds(60)).container_id, kFargateId);
  EXPECT_EQ(reader.file_reads(), 2u);
}

TEST_F(CgroupReaderTest, CachesFailuresBriefly) {
  CgroupReader reader(Options());
  for (int i = 0; i < 1000; ++i) {  // A flood from one unmappable sender.
    EXPECT_EQ(reader.Lookup(99, now_ + std::chrono::milliseconds(i)).status,
              PidContainer::Status::kUnreadable);
  }
  EXPECT_EQ(reader.file_reads(), 1u);
  proc_.Write(99, "0::/docker/" + std::string(kDockerId) + "\n");
  EXPECT_EQ(reader.Lookup(99, now_ + seconds(4)).status, PidContainer::Status::kUnreadable);
  const PidContainer later = reader.Lookup(99, now_ + seconds(5));
  EXPECT_EQ(later.status, PidContainer::Status::kFound);
  EXPECT_EQ(later.container_id, kDockerId);
  EXPECT_EQ(reader.file_reads(), 2u);
}

TEST_F(CgroupReaderTest, CacheStaysBounded) {
  CgroupReaderOptions options = Options();
  options.max_entries = 8;
  CgroupReader reader(options);
  for (int32_t pid = 1; pid <= 100; ++pid) {
    reader.Lookup(pid, now_);
    EXPECT_LE(reader.cached(), 8u);
  }
  // Expired entries make room before anything live is dropped.
  CgroupReader expiring(options);
  proc_.Write(500, "0::/docker/" + std::string(kDockerId) + "\n");
  expiring.Lookup(500, now_);  // Lives 60 s.
  for (int32_t pid = 1; pid <= 7; ++pid) {
    expiring.Lookup(pid, now_);  // Negative, 5 s.
  }
  EXPECT_EQ(expiring.cached(), 8u);
  expiring.Lookup(600, now_ + seconds(6));
  EXPECT_EQ(expiring.cached(), 2u);
  const uint64_t reads = expiring.file_reads();
  EXPECT_EQ(expiring.Lookup(500, now_ + seconds(6)).container_id, kDockerId);
  EXPECT_EQ(expiring.file_reads(), reads);  // Still cached.
}

TEST_F(CgroupReaderTest, LargeFilesAreReadBounded) {
  // Lots of unrelated lines, the container far past the read bound: not found, no crash.
  std::string text;
  while (text.size() < 200 * 1024) {
    text += "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n";
  }
  text += "0::/docker/" + std::string(kDockerId) + "\n";
  proc_.Write(5, text);
  CgroupReader reader(Options());
  EXPECT_EQ(reader.Lookup(5, now_).status, PidContainer::Status::kNoContainer);
}

TEST_F(CgroupReaderTest, ReadsThisProcessFromTheRealProc) {
  // Wherever the test runs, /proc/self/cgroup is readable: found or no container, never unreadable.
  CgroupReader reader;
  const PidContainer self = reader.Lookup(static_cast<int32_t>(::getpid()), now_);
  EXPECT_NE(self.status, PidContainer::Status::kUnreadable);
  EXPECT_NE(self.status, PidContainer::Status::kNoPid);
}

}  // namespace
}  // namespace sidecar::container
