// download_bundle against a local Hub: real bytes, real hashes, the cache
// layout huggingface_hub reads, and the faults a real network has.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/repo_store.h"
#include "store/cache_layout.h"
#include "store/downloader.h"
#include "store/sha256.h"
#include "support/random_bytes.h"
#include "download_fixture.h"

namespace hubcap {
namespace {

namespace fs = std::filesystem;
using testing::random_bytes;
using testing::TempDir;
using testing::DownloadFixture;
using testing::file_sha;

std::vector<std::string> paths_of(const DownloadReport& r) {
  std::vector<std::string> out;
  for (const auto& f : r.files) out.push_back(f.path);
  return out;
}

TEST(DownloadHub, FullSafetensorsBundleInTheHfCacheLayout) {
  DownloadFixture fx;
  fx.add_safetensors_repo("org/tiny");
  auto report = download_bundle(HubClient(), "org/tiny", "", {}, fx.options());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->complete());
  EXPECT_EQ(paths_of(*report),
            (std::vector<std::string>{"config.json", "model-00001-of-00002.safetensors",
                                      "model-00002-of-00002.safetensors", "model.safetensors.index.json",
                                      "tokenizer.json"}));
  const std::string commit = report->plan.commit;
  ASSERT_TRUE(is_commit_hash(commit));
  fs::path repo = fx.repo_folder("org/tiny");
  EXPECT_EQ(report->path, (repo / "snapshots" / commit).string());
  uint64_t total = 0;
  for (const auto& f : report->files) {
    fs::path link = repo / "snapshots" / commit / f.path;
    ASSERT_TRUE(fs::is_symlink(link)) << f.path;
    EXPECT_EQ(fs::read_symlink(link).string(), "../../blobs/" + f.blob_id);
    EXPECT_EQ(file_sha(link), sha256_hex(fx.bytes[f.path])) << f.path;
    EXPECT_EQ(f.status, FileOutcome::kDownloaded);
    total += fx.bytes[f.path].size();
  }
  // LFS blobs are named by sha256, others by git blob sha1.
  EXPECT_EQ(report->files[1].blob_id, sha256_hex(fx.bytes["model-00001-of-00002.safetensors"]));
  EXPECT_EQ(report->files[0].blob_id, git_blob_sha1(fx.bytes["config.json"]));
  EXPECT_EQ(report->bytes_downloaded, total);
  std::ifstream ref(repo / "refs" / "main");
  std::stringstream ref_text;
  ref_text << ref.rdbuf();
  EXPECT_EQ(ref_text.str(), commit);
  EXPECT_FALSE(fs::exists(repo / "snapshots" / commit / "README.md"));
}

TEST(DownloadHub, SecondRunDownloadsNothing) {
  DownloadFixture fx;
  fx.add_safetensors_repo("org/tiny");
  ASSERT_TRUE(download_bundle(HubClient(), "org/tiny", "", {}, fx.options()));
  auto before = fx.hub.server().stats().bytes_sent;
  auto again = download_bundle(HubClient(), "org/tiny", "", {}, fx.options());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->bytes_downloaded, 0u);
  // Only the model info and the listing cross the wire, no file bodies.
  EXPECT_LT(fx.hub.server().stats().bytes_sent - before, 10'000u);
  for (const auto& f : again->files) EXPECT_EQ(f.status, FileOutcome::kCached) << f.path;
}

TEST(DownloadHub, GgufQuantWithSplitPartsAndProjector) {
  DownloadFixture fx;
  const std::string repo = "org/tiny-gguf";
  fx.add(repo, "Q4_K_M/tiny-Q4_K_M-00001-of-00002.gguf", random_bytes(600'000, 4));
  fx.add(repo, "Q4_K_M/tiny-Q4_K_M-00002-of-00002.gguf", random_bytes(400'000, 5));
  fx.add(repo, "tiny-Q8_0.gguf", random_bytes(900'000, 6));
  fx.add(repo, "mmproj-F16.gguf", random_bytes(100'000, 7));
  fx.add(repo, "README.md", "# gguf");
  BundleOptions bundle;
  bundle.quant = "Q4_K_M";
  auto report = download_bundle(HubClient(), repo, "", bundle, fx.options());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(paths_of(*report), (std::vector<std::string>{"Q4_K_M/tiny-Q4_K_M-00001-of-00002.gguf",
                                                         "Q4_K_M/tiny-Q4_K_M-00002-of-00002.gguf", "mmproj-F16.gguf"}));
  for (const auto& f : report->files) {
    fs::path link = fx.repo_folder(repo) / "snapshots" / report->plan.commit / f.path;
    EXPECT_EQ(file_sha(link), sha256_hex(fx.bytes[f.path])) << f.path;
  }
  // Nested paths get one more "../" per folder.
  EXPECT_EQ(fs::read_symlink(fx.repo_folder(repo) / "snapshots" / report->plan.commit / report->files[0].path).string(),
            "../../../blobs/" + report->files[0].blob_id);

  bundle.quant = "Q5_K_S";
  auto unknown = download_bundle(HubClient(), repo, "", bundle, fx.options());
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().exit_code, 2);
}

TEST(DownloadHub, IncludeAndExclude) {
  DownloadFixture fx;
  fx.add_safetensors_repo("org/tiny");
  BundleOptions bundle;
  bundle.include = {"*.json"};
  bundle.exclude = {"tokenizer*"};
  auto report = download_bundle(HubClient(), "org/tiny", "", bundle, fx.options());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(paths_of(*report), (std::vector<std::string>{"config.json", "model.safetensors.index.json"}));
}

TEST(DownloadHub, RetriesA503) {
  DownloadFixture fx;
  fx.add_safetensors_repo("org/tiny");
  fx.hub.server().add_fault({"model-00001", FaultKind::kServiceUnavailable, 2});
  auto report = download_bundle(HubClient(), "org/tiny", "", {}, fx.options());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->complete());
  fs::path shard = fx.repo_folder("org/tiny") / "snapshots" / report->plan.commit / "model-00001-of-00002.safetensors";
  EXPECT_EQ(file_sha(shard), sha256_hex(fx.bytes["model-00001-of-00002.safetensors"]));
}

TEST(DownloadHub, DroppedConnectionIsResumed) {
  DownloadFixture fx;
  fx.add_safetensors_repo("org/tiny");
  fx.hub.server().add_fault({"model-00002", FaultKind::kDropConnection, 2});
  auto report = download_bundle(HubClient(), "org/tiny", "", {}, fx.options());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->complete()) << report->files[2].error;
  fs::path shard = fx.repo_folder("org/tiny") / "snapshots" / report->plan.commit / "model-00002-of-00002.safetensors";
  EXPECT_EQ(file_sha(shard), sha256_hex(fx.bytes["model-00002-of-00002.safetensors"]));
}

TEST(DownloadHub, ResumesFromAnIncompleteFile) {
  DownloadFixture fx;
  fx.add_safetensors_repo("org/tiny");
  const std::string& shard = fx.bytes["model-00001-of-00002.safetensors"];
  std::string oid = sha256_hex(shard);
  fs::path blobs = fx.repo_folder("org/tiny") / "blobs";
  fs::create_directories(blobs);
  std::ofstream(blobs / (oid + ".incomplete"), std::ios::binary) << shard.substr(0, 1'000'000);
  auto report = download_bundle(HubClient(), "org/tiny", "", {}, fx.options());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->complete());
  EXPECT_EQ(file_sha(blobs / oid), oid);
  EXPECT_FALSE(fs::exists(blobs / (oid + ".incomplete")));
  uint64_t total = 0;
  for (const auto& f : report->files) total += f.size;
  EXPECT_EQ(report->bytes_downloaded, total - 1'000'000);
}

TEST(DownloadHub, WrongBytesAreNeverLinked) {
  DownloadFixture fx;
  fx.add_safetensors_repo("org/tiny");
  // The server's file no longer matches the oid its tree announces.
  std::string claimed = sha256_hex("something else");
  fx.hub.set_settings("org/tiny", {{"lfs", {{"model-00001-of-00002.safetensors", claimed}}}});
  auto report = download_bundle(HubClient(), "org/tiny", "", {}, fx.options());
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(report->complete());
  EXPECT_EQ(report->failed(), 1u);
  EXPECT_EQ(report->files[1].status, FileOutcome::kFailed);
  EXPECT_NE(report->files[1].error.find("model-00001-of-00002.safetensors"), std::string::npos)
      << report->files[1].error;
  fs::path repo = fx.repo_folder("org/tiny");
  EXPECT_FALSE(fs::exists(repo / "blobs" / claimed));
  EXPECT_FALSE(fs::exists(repo / "blobs" / (claimed + ".incomplete")));
  EXPECT_FALSE(fs::is_symlink(repo / "snapshots" / report->plan.commit / "model-00001-of-00002.safetensors"));
  EXPECT_TRUE(fs::is_symlink(repo / "snapshots" / report->plan.commit / "config.json"));
}

TEST(DownloadHub, UnknownRepoIsOneLine) {
  DownloadFixture fx;
  auto report = download_bundle(HubClient(), "org/nope", "", {}, fx.options());
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().exit_code, 1);
  EXPECT_NE(report.error().message.find("org/nope: repository not found"), std::string::npos)
      << report.error().message;
}

TEST(DownloadHub, CacheDirThatCannotBeCreated) {
  DownloadFixture fx;
  fx.add_safetensors_repo("org/tiny");
  DownloadOptions options = fx.options();
  std::string file = fx.cache.write("plain-file", "x");
  options.cache_dir = file + "/hub";
  auto report = download_bundle(HubClient(), "org/tiny", "", {}, options);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("cannot create " + file + "/hub"), std::string::npos)
      << report.error().message;
}

TEST(DownloadHub, LocalDirGetsPlainFiles) {
  DownloadFixture fx;
  fx.add_safetensors_repo("org/tiny");
  TempDir out{"hubcap-local"};
  DownloadOptions options = fx.options();
  options.local_dir = out.path().string();
  auto report = download_bundle(HubClient(), "org/tiny", "", {}, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->complete());
  for (const auto& f : report->files) {
    EXPECT_TRUE(fs::is_regular_file(out.path() / f.path)) << f.path;
    EXPECT_EQ(file_sha(out.path() / f.path), sha256_hex(fx.bytes[f.path])) << f.path;
  }
  auto again = download_bundle(HubClient(), "org/tiny", "", {}, options);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->bytes_downloaded, 0u);
}

}  // namespace
}  // namespace hubcap
