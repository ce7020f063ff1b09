// hubcap and @huggingface/hub (the npm peer in bench/node_modules) share one
// Hugging Face cache both ways: scanCacheDir reads what `hubcap download`
// wrote, and `hubcap download` reuses the blobs downloadFileToCacheDir
// wrote instead of fetching them again. Both talk to the same local Hub.
//
// Skipped when node or the peer is missing; scripts/test.sh installs the
// peer with `npm ci --prefix bench` when it can.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "store/cache_layout.h"
#include "support/local_hub.h"
#include "support/random_bytes.h"
#include "support/run_hubcap.h"
#include "support/temp_dir.h"

namespace hubcap {
namespace {

namespace fs = std::filesystem;
using testing::LocalHub;
using testing::TempDir;

const std::string kScript = std::string(HUBCAP_SOURCE_DIR) + "/tests/interop/hf_js_cache.mjs";
const fs::path kPeer = fs::path(HUBCAP_SOURCE_DIR) / "bench/node_modules/@huggingface/hub";

struct Command {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Command run_node(const std::vector<std::string>& args) {
  std::string line = "node " + quoted(kScript);
  for (const auto& a : args) line += " " + quoted(a);
  Command c;
  FILE* pipe = ::popen((line + " 2>&1").c_str(), "r");
  if (!pipe) return c;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) c.out.append(buffer, n);
  int status = ::pclose(pipe);
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return c;
}

// The last line of a command's output (the script prints its JSON last).
nlohmann::json last_json_line(const std::string& out) {
  std::string trimmed = out.substr(0, out.find_last_not_of('\n') + 1);
  return nlohmann::json::parse(trimmed.substr(trimmed.rfind('\n') + 1), nullptr, false);
}

class HfJsInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("node --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "node is not installed";
    if (!fs::exists(kPeer / "package.json")) GTEST_SKIP() << "no " << kPeer << " (npm ci --prefix bench)";
    files_ = {{"config.json", R"({"model_type":"llama"})"},
              {"model.safetensors", testing::random_bytes(3'000'000, 7)},
              {"tokenizer.json", R"({"version":"1.0"})"}};
    for (const auto& [path, bytes] : files_) hub_.add_file("org/m", path, bytes);
  }
  testing::HubcapRun hubcap(std::vector<std::string> args) {
    args.insert(args.end(), {"--cache-dir", cache_.path().string()});
    return testing::run_hubcap(args);
  }
  LocalHub hub_;
  TempDir cache_{"hubcap-interop"};
  std::map<std::string, std::string> files_;
};

TEST_F(HfJsInterop, ScanCacheDirReadsWhatHubcapDownloaded) {
  auto downloaded = hubcap({"download", "org/m", "--json"});
  ASSERT_EQ(downloaded.exit_code, 0) << downloaded.err;
  std::string commit = last_json_line(downloaded.out).value("commit", "");

  Command scan = run_node({"scan", cache_.path().string()});
  ASSERT_EQ(scan.exit_code, 0) << scan.out;
  auto j = last_json_line(scan.out);
  ASSERT_TRUE(j.is_object()) << scan.out;
  EXPECT_TRUE(j["warnings"].empty()) << j["warnings"].dump();
  ASSERT_EQ(j["repos"].size(), 1u);
  const auto& repo = j["repos"][0];
  EXPECT_EQ(repo["id"], "org/m");
  EXPECT_EQ(repo["type"], "model");
  ASSERT_EQ(repo["revisions"].size(), 1u);
  const auto& revision = repo["revisions"][0];
  EXPECT_EQ(revision["commit"], commit);
  EXPECT_EQ(revision["refs"], nlohmann::json::array({"main"}));
  std::map<std::string, uint64_t> seen;
  std::string snapshot = cache_.path().string() + "/" + repo_folder_name("org/m") + "/snapshots/" + commit + "/";
  for (const auto& f : revision["files"]) seen[f["path"].get<std::string>().substr(snapshot.size())] = f["size"];
  std::map<std::string, uint64_t> expected;
  for (const auto& [path, bytes] : files_) expected[path] = bytes.size();
  EXPECT_EQ(seen, expected);
}

TEST_F(HfJsInterop, HubcapReusesBlobsHuggingfaceJsDownloaded) {
  Command fetched = run_node({"download", hub_.url(), cache_.path().string(), "org/m", "config.json", "model.safetensors"});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.out;

  auto downloaded = hubcap({"download", "org/m", "--json"});
  ASSERT_EQ(downloaded.exit_code, 0) << downloaded.err;
  auto summary = last_json_line(downloaded.out);
  EXPECT_EQ(summary["status"], "complete");
  EXPECT_EQ(summary["bytes_downloaded"], files_["tokenizer.json"].size());  // only what the peer had not fetched
  auto verified = hubcap({"verify", "org/m"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

}  // namespace
}  // namespace hubcap
