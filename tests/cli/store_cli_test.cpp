// The store commands as a user runs them: the built hubcap binary against a
// local Hub (download, kill -9 and resume, verify --repair, rm, list, and
// the exit codes of the common mistakes).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "server/repo_store.h"
#include "store/blob_writer.h"
#include "store/cache_layout.h"
#include "store/downloader.h"
#include "store/sha256.h"
#include "support/local_hub.h"
#include "support/random_bytes.h"
#include "support/run_hubcap.h"

namespace hubcap {
namespace {

namespace fs = std::filesystem;
using testing::LocalHub;
using testing::random_bytes;
using testing::TempDir;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

// Starts hubcap with `args`, stdout and stderr going to files in `tmp`.
// Everything is built before fork: the test process runs server threads,
// and a child that allocated could wait forever on a lock one of them held.
pid_t spawn(const std::vector<std::string>& args, const TempDir& tmp) {
  const std::string out_path = (tmp.path() / "out").string(), err_path = (tmp.path() / "err").string();
  std::vector<char*> argv{const_cast<char*>("hubcap")};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0) ::_exit(126);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execv(HUBCAP_BINARY, argv.data());
    ::_exit(127);
  }
  return pid;
}

CliRun finish(pid_t pid, const TempDir& tmp) {
  int status = 0;
  CliRun r;
  if (::waitpid(pid, &status, 0) == pid && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  r.out = read_file(tmp.path() / "out");
  r.err = read_file(tmp.path() / "err");
  return r;
}

struct StoreCli : ::testing::Test {
  LocalHub hub;
  TempDir cache{"hubcap-cache"};
  TempDir io{"hubcap-io"};

  CliRun hubcap(std::vector<std::string> args) {
    if (args[0] != "search") {
      args.push_back("--cache-dir");
      args.push_back(cache.path().string());
    }
    return finish(spawn(args, io), io);
  }
  fs::path repo_folder(const std::string& repo) const { return cache.path() / repo_folder_name(repo); }
  fs::path snapshot_file(const std::string& repo, const std::string& path) const {
    std::string commit = read_file(repo_folder(repo) / "refs" / "main");
    return repo_folder(repo) / "snapshots" / commit / path;
  }
  void add_model(const std::string& repo, size_t weights_bytes) {
    hub.add_file(repo, "config.json", R"({"model_type":"llama"})");
    hub.add_file(repo, "model.safetensors", random_bytes(weights_bytes, 42));
  }
};

TEST_F(StoreCli, DownloadPrintsThePlanAndJsonEvents) {
  add_model("org/m", 2'000'000);
  CliRun dry = hubcap({"download", "org/m", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  auto plan = nlohmann::json::parse(dry.out.substr(0, dry.out.find('\n')));
  EXPECT_EQ(plan["event"], "plan");
  EXPECT_EQ(plan["total_bytes"], 2'000'000u + 22u);
  EXPECT_EQ(plan["files"].size(), 2u);
  EXPECT_FALSE(fs::exists(repo_folder("org/m")));

  CliRun run = hubcap({"download", "org/m"});  // stdout is a file: JSON lines
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string last = run.out.substr(run.out.rfind('\n', run.out.size() - 2) + 1);
  auto summary = nlohmann::json::parse(last);
  EXPECT_EQ(summary["event"], "summary");
  EXPECT_EQ(summary["status"], "complete");
  EXPECT_EQ(summary["bytes_downloaded"], 2'000'022u);
  EXPECT_EQ(*sha256_file(snapshot_file("org/m", "model.safetensors").string()),
            sha256_hex(read_file(hub.repo_dir("org/m") / "model.safetensors")));

  CliRun list = hubcap({"list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto rows = nlohmann::json::parse(list.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["repo"], "org/m");
  EXPECT_EQ(rows[0]["format"], "safetensors");
  EXPECT_EQ(rows[0]["status"], "complete");
}

TEST_F(StoreCli, KilledDownloadResumes) {
  const size_t size = 128u << 20;
  add_model("org/big", size);
  std::string oid = sha256_hex(read_file(hub.repo_dir("org/big") / "model.safetensors"));
  std::string repo = repo_folder("org/big").string();
  pid_t pid = spawn({"download", "org/big", "--cache-dir", cache.path().string()}, io);
  // Parallel ranges: blobs/{oid}.ranges, whose trailer records the in-order
  // prefix (blob_writer.h); a single stream: blobs/{oid}.incomplete.
  bool seen = false;
  for (int i = 0; i < 200000 && !seen; ++i) {
    seen = resumable_bytes(repo, oid) > 0;
    if (!seen) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  ASSERT_TRUE(seen) << "the download never started";
  uint64_t kept = resumable_bytes(repo, oid);
  EXPECT_GT(kept, 0u);
  // The server's threads may still be writing into the dead connections:
  // count from when its byte counter has settled.
  uint64_t sent_before = hub.server().stats().bytes_sent;
  for (uint64_t previous = ~uint64_t{0}; previous != sent_before; sent_before = hub.server().stats().bytes_sent) {
    previous = sent_before;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }

  CliRun resumed = hubcap({"download", "org/big", "--json"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(*sha256_file(snapshot_file("org/big", "model.safetensors").string()), oid);
  EXPECT_FALSE(fs::exists(repo + "/blobs/" + oid + ".incomplete"));
  EXPECT_FALSE(fs::exists(repo + "/blobs/" + oid + ".ranges"));
  // The second run fetched only what the first had not written in order.
  EXPECT_LE(hub.server().stats().bytes_sent - sent_before, size - kept + 100'000);
}

TEST_F(StoreCli, CommonMistakesExitWithOneLine) {
  add_model("org/m", 1000);
  CliRun unknown = hubcap({"download", "org/nope"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err, "hubcap: error: org/nope: repository not found (or private: set HF_TOKEN)\n");

  hub.add_file("org/g", "m-Q4_K_M.gguf", random_bytes(1000, 1));
  hub.add_file("org/g", "m-Q8_0.gguf", random_bytes(1000, 2));
  CliRun quant = hubcap({"download", "org/g", "--quant", "Q2_K"});
  EXPECT_EQ(quant.exit_code, 2);
  EXPECT_EQ(std::count(quant.err.begin(), quant.err.end(), '\n'), 1) << quant.err;

  CliRun usage = hubcap({"download"});
  EXPECT_EQ(usage.exit_code, 2);

  std::string file = io.write("not-a-dir", "x");
  CliRun unwritable = finish(spawn({"download", "org/m", "--cache-dir", file + "/hub"}, io), io);
  EXPECT_EQ(unwritable.exit_code, 1);
  EXPECT_NE(unwritable.err.find("cannot create " + file + "/hub"), std::string::npos) << unwritable.err;
}

// Tests run as root, who writes anywhere: then the child drops to nobody.
TEST_F(StoreCli, NoWritePermissionOnTheCache) {
  add_model("org/m", 1000);
  fs::permissions(cache.path(), fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  testing::ChildLimits as_nobody;
  as_nobody.as_nobody = ::geteuid() == 0;
  auto run = testing::run_hubcap({"download", "org/m", "--cache-dir", cache.path().string()}, {}, as_nobody);
  fs::permissions(cache.path(), fs::perms::owner_all);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(run.err, "hubcap: error: cannot write to " + cache.path().string() + ": permission denied\n");
  EXPECT_FALSE(fs::exists(repo_folder("org/m")));
}

// The free-space check refuses up front: nothing is created in snapshots/.
TEST_F(StoreCli, NotEnoughDiskSpaceIsRefusedBeforeDownloading) {
  hub.add_file("org/huge", "config.json", R"({"model_type":"llama"})");
  hub.add_sparse_file("org/huge", "model.safetensors", 8ull << 40);  // 8.8 TB, no disk used
  CliRun run = hubcap({"download", "org/huge"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err.rfind("hubcap: error: not enough disk space in " + repo_folder("org/huge").string() +
                              ": need 8.8 TB, ",
                          0),
            0u)
      << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_FALSE(fs::exists(repo_folder("org/huge") / "snapshots"));
  EXPECT_LT(hub.server().stats().bytes_sent, 10'000u);  // the model info and the listing only
}

// A disk that fills up mid-download: writes past RLIMIT_FSIZE fail (EFBIG)
// the way writes to a full disk fail (ENOSPC). The file is fetched in byte
// ranges (40 MB: more than two 16 MiB chunks), so the failing write is the
// chunk sequencer's.
TEST_F(StoreCli, DiskFullingUpMidDownloadLeavesNothingHalfWrittenInTheSnapshot) {
  add_model("org/m", 40'000'000);
  std::string oid = sha256_hex(read_file(hub.repo_dir("org/m") / "model.safetensors"));
  testing::ChildLimits small_disk;
  small_disk.max_file_bytes = 1'000'000;
  auto run = testing::run_hubcap({"download", "org/m", "--cache-dir", cache.path().string()}, {}, small_disk);
  EXPECT_EQ(run.exit_code, 1);
  fs::path incomplete = repo_folder("org/m") / "blobs" / (oid + ".incomplete");
  EXPECT_EQ(run.err, "hubcap: error: model.safetensors: cannot write " + incomplete.string() + ": File too large\n");
  EXPECT_FALSE(fs::exists(snapshot_file("org/m", "model.safetensors")));
  EXPECT_FALSE(fs::exists(repo_folder("org/m") / "blobs" / oid));
  ASSERT_TRUE(fs::exists(incomplete));
  EXPECT_LE(fs::file_size(incomplete), 1'000'000u);

  CliRun resumed = hubcap({"download", "org/m"});  // room again: it finishes
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(*sha256_file(snapshot_file("org/m", "model.safetensors").string()), oid);
}

TEST_F(StoreCli, VerifyChecksNonLfsFilesByTheirGitOid) {
  add_model("org/m", 1000);
  ASSERT_EQ(hubcap({"download", "org/m"}).exit_code, 0);
  {
    std::fstream f(snapshot_file("org/m", "config.json"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2);
    f.put('M');  // same size, other bytes
  }
  CliRun bad = hubcap({"verify", "org/m", "--json"});
  EXPECT_EQ(bad.exit_code, 1);
  auto report = nlohmann::json::parse(bad.out);
  ASSERT_EQ(report["problems"].size(), 1u) << bad.out;
  EXPECT_EQ(report["problems"][0]["path"], "config.json");
  EXPECT_EQ(report["problems"][0]["fault"], "wrong git sha1");
  CliRun repaired = hubcap({"verify", "org/m", "--repair", "--json"});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.err;
  EXPECT_EQ(read_file(snapshot_file("org/m", "config.json")), R"({"model_type":"llama"})");
}

TEST_F(StoreCli, VerifyFindsACorruptBlobAndRepairFixesIt) {
  add_model("org/m", 1'000'000);
  ASSERT_EQ(hubcap({"download", "org/m"}).exit_code, 0);
  fs::path weights = snapshot_file("org/m", "model.safetensors");
  std::string good = *sha256_file(weights.string());
  {
    std::fstream f(weights, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1234);
    f.put('\x7f');
  }
  CliRun bad = hubcap({"verify", "org/m", "--json"});
  EXPECT_EQ(bad.exit_code, 1);
  auto report = nlohmann::json::parse(bad.out);
  ASSERT_EQ(report["problems"].size(), 1u);
  EXPECT_EQ(report["problems"][0]["path"], "model.safetensors");
  EXPECT_EQ(report["problems"][0]["fault"], "wrong sha256");

  uint64_t sent_before = hub.server().stats().bytes_sent;
  CliRun repaired = hubcap({"verify", "org/m", "--repair", "--json"});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.err;
  EXPECT_EQ(nlohmann::json::parse(repaired.out)["repaired"], nlohmann::json::array({"model.safetensors"}));
  EXPECT_EQ(*sha256_file(weights.string()), good);
  // Only the damaged file came again (plus the listing).
  EXPECT_LT(hub.server().stats().bytes_sent - sent_before, 1'100'000u);

  fs::remove(snapshot_file("org/m", "config.json"));
  CliRun missing = hubcap({"verify", "org/m", "--json"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(missing.out)["problems"][0]["path"], "config.json");
}

TEST_F(StoreCli, RmKeepsBlobsAnotherRevisionUses) {
  const std::string first(40, 'a'), second(40, 'b');
  add_model("org/m", 100'000);
  hub.set_settings("org/m", {{"sha", first}});
  ASSERT_EQ(hubcap({"download", "org/m"}).exit_code, 0);
  std::string old_weights = sha256_hex(read_file(hub.repo_dir("org/m") / "model.safetensors"));
  hub.add_file("org/m", "model.safetensors", random_bytes(100'000, 7));
  hub.set_settings("org/m", {{"sha", second}});
  ASSERT_EQ(hubcap({"download", "org/m"}).exit_code, 0);
  std::string config_blob = git_blob_sha1(R"({"model_type":"llama"})");
  fs::path blobs = repo_folder("org/m") / "blobs";
  ASSERT_TRUE(fs::exists(blobs / old_weights));

  CliRun rm = hubcap({"rm", "org/m", "--revision", first});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_FALSE(fs::exists(blobs / old_weights));
  EXPECT_FALSE(fs::exists(repo_folder("org/m") / "snapshots" / first));
  EXPECT_TRUE(fs::exists(blobs / config_blob));  // shared with the second revision
  EXPECT_EQ(*sha256_file(snapshot_file("org/m", "model.safetensors").string()),
            sha256_hex(read_file(hub.repo_dir("org/m") / "model.safetensors")));

  ASSERT_EQ(hubcap({"rm", "org/m"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(repo_folder("org/m")));
  EXPECT_EQ(hubcap({"rm", "org/m"}).exit_code, 1);
}

TEST_F(StoreCli, SearchFiltersByFormatAndSortsByDownloads) {
  hub.add_file("org/llama-gguf", "m-Q4_K_M.gguf", "g");
  hub.set_settings("org/llama-gguf", {{"extra_info", {{"downloads", 10}, {"likes", 9}}}});
  hub.add_file("org/llama-st", "model.safetensors", "s");
  hub.set_settings("org/llama-st", {{"extra_info", {{"downloads", 500}, {"likes", 1}}}});
  hub.add_file("other/llama-big", "model.safetensors", "s");
  hub.set_settings("other/llama-big", {{"extra_info", {{"downloads", 900}, {"likes", 2}}}});
  hub.add_file("org/qwen", "model.safetensors", "s");

  auto ids = [](const CliRun& r) {
    std::vector<std::string> out;
    for (const auto& m : nlohmann::json::parse(r.out)) out.push_back(m["id"]);
    return out;
  };
  CliRun all = hubcap({"search", "LLAMA", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(ids(all), (std::vector<std::string>{"other/llama-big", "org/llama-st", "org/llama-gguf"}));
  EXPECT_EQ(ids(hubcap({"search", "llama", "--format", "gguf", "--json"})), std::vector<std::string>{"org/llama-gguf"});
  EXPECT_EQ(ids(hubcap({"search", "llama", "--author", "org", "--sort", "likes", "--json"})),
            (std::vector<std::string>{"org/llama-gguf", "org/llama-st"}));
  EXPECT_EQ(ids(hubcap({"search", "llama", "--limit", "1", "--json"})), std::vector<std::string>{"other/llama-big"});
  EXPECT_EQ(hubcap({"search", "llama", "--format", "onnx"}).exit_code, 2);
}

}  // namespace
}  // namespace hubcap
