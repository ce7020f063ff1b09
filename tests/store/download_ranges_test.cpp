// Large files as parallel byte ranges, and small files checked by their git
// oid, against a local Hub with faults: a cut connection mid-chunk, a wrong
// byte, a partial .incomplete file, Ctrl-C, a server that ignores Range.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "download_fixture.h"
#include "hub/http_client.h"
#include "server/repo_store.h"

namespace hubcap {
namespace {

namespace fs = std::filesystem;
using testing::DownloadFixture;
using testing::file_sha;
using testing::random_bytes;

constexpr uint64_t kChunk = 256 << 10;
constexpr size_t kWeights = 3'000'000;  // 12 chunks of 256 KiB (the last one shorter)
const std::string kRepo = "org/big";
const std::string kConfig = R"({"model_type":"llama"})";

struct Ranges : ::testing::Test {
  DownloadFixture fx;
  void SetUp() override {
    http_close_idle_connections();  // count this server's connections from zero
    fx.add(kRepo, "config.json", kConfig);
    fx.add(kRepo, "model.safetensors", random_bytes(kWeights, 9));
  }
  DownloadOptions options() const {
    DownloadOptions o = fx.options();
    o.range_chunk_bytes = kChunk;
    o.max_ranges_per_file = 4;
    o.max_connections = 6;
    return o;
  }
  Result<DownloadReport> download(const DownloadOptions& o) { return download_bundle(HubClient(), kRepo, "", {}, o); }
  Result<DownloadReport> download() { return download(options()); }
  fs::path blobs() const { return fx.repo_folder(kRepo) / "blobs"; }
  std::string weights_oid() { return sha256_hex(fx.bytes["model.safetensors"]); }
  fs::path snapshot(const DownloadReport& r, const std::string& path) const {
    return fx.repo_folder(kRepo) / "snapshots" / r.plan.commit / path;
  }
  void expect_weights_right(const DownloadReport& r) {
    ASSERT_TRUE(r.complete()) << r.files[1].error;
    EXPECT_EQ(file_sha(snapshot(r, "model.safetensors")), weights_oid());
    EXPECT_FALSE(fs::exists(blobs() / (weights_oid() + ".incomplete")));
    EXPECT_FALSE(fs::exists(blobs() / (weights_oid() + ".ranges")));
  }
};

TEST_F(Ranges, LargeFileComesAsRangesOverReusedConnections) {
  auto report = download();
  ASSERT_TRUE(report) << report.error().message;
  expect_weights_right(*report);
  EXPECT_EQ(report->bytes_downloaded, kWeights + kConfig.size());
  auto stats = fx.hub.server().stats();
  EXPECT_EQ(stats.range_requests, 12u);  // one per chunk, nothing else asked for a range
  // model info, tree, config.json and 12 chunks over at most 4 + 1 connections at once.
  EXPECT_EQ(stats.requests, 15u);
  EXPECT_LE(stats.connections, 5u);
}

TEST_F(Ranges, SmallFilesAndOneRangeLimitUseOneStream) {
  DownloadOptions o = options();
  o.range_chunk_bytes = kWeights / 2 + 1;  // not two chunks: one stream
  auto report = download(o);
  ASSERT_TRUE(report) << report.error().message;
  expect_weights_right(*report);
  EXPECT_EQ(fx.hub.server().stats().range_requests, 0u);
}

TEST_F(Ranges, ConnectionCutMidChunkIsResumed) {
  fx.hub.server().add_fault({"model.safetensors", FaultKind::kCutBody, 3});
  auto report = download();
  ASSERT_TRUE(report) << report.error().message;
  expect_weights_right(*report);
  // The three cut chunks each asked once more for their second half.
  EXPECT_EQ(fx.hub.server().stats().range_requests, 15u);
  EXPECT_EQ(report->bytes_downloaded, kWeights + kConfig.size());
}

TEST_F(Ranges, StalledChunkIsFetchedAgain) {
  testing::ScopedEnv stall_after("HUBCAP_HTTP_LOW_SPEED_TIME_S", "1");  // give up on a silent connection after 1 s
  fx.hub.server().add_fault({"model.safetensors", FaultKind::kStall, 1});
  auto report = download();
  ASSERT_TRUE(report) << report.error().message;
  expect_weights_right(*report);
  EXPECT_EQ(fx.hub.server().stats().range_requests, 13u);  // 12 chunks, one of them asked twice
}

TEST_F(Ranges, WrongByteIsFetchedAgainFromZero) {
  fx.hub.server().add_fault({"model.safetensors", FaultKind::kCorruptByte, 1});
  auto report = download();
  ASSERT_TRUE(report) << report.error().message;
  expect_weights_right(*report);
  EXPECT_EQ(fx.hub.server().stats().range_requests, 24u);  // the whole file twice
}

TEST_F(Ranges, WrongBytesEveryTimeAreReportedAndNeverLinked) {
  fx.hub.server().add_fault({"model.safetensors", FaultKind::kCorruptByte, 1000});
  auto report = download();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(report->complete());
  ASSERT_EQ(report->files[1].status, FileOutcome::kFailed);
  EXPECT_EQ(report->files[1].error, "model.safetensors: downloaded bytes do not match the Hub's sha256 " +
                                        weights_oid() + " (tried twice; nothing linked)");
  EXPECT_FALSE(fs::exists(blobs() / weights_oid()));
  EXPECT_FALSE(fs::exists(blobs() / (weights_oid() + ".incomplete")));
  EXPECT_FALSE(fs::exists(blobs() / (weights_oid() + ".ranges")));
  EXPECT_FALSE(fs::is_symlink(snapshot(*report, "model.safetensors")));
  EXPECT_TRUE(fs::is_symlink(snapshot(*report, "config.json")));
}

TEST_F(Ranges, ChunkThatKeepsFailingStopsTheFile) {
  fx.hub.server().add_fault({"model.safetensors", FaultKind::kServiceUnavailable, 1000});
  DownloadOptions o = options();
  o.max_attempts_per_file = 2;
  auto report = download(o);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->files[1].status, FileOutcome::kFailed);
  EXPECT_NE(report->files[1].error.find("HTTP 503 from the Hub (2 attempts)"), std::string::npos)
      << report->files[1].error;
  EXPECT_FALSE(fs::exists(blobs() / weights_oid()));
}

TEST_F(Ranges, ResumesAPartialIncompleteFileInRanges) {
  const std::string& weights = fx.bytes["model.safetensors"];
  fs::create_directories(blobs());
  std::ofstream(blobs() / (weights_oid() + ".incomplete"), std::ios::binary) << weights.substr(0, 1'000'000);
  auto report = download();
  ASSERT_TRUE(report) << report.error().message;
  expect_weights_right(*report);
  EXPECT_EQ(report->bytes_downloaded, kWeights - 1'000'000 + kConfig.size());
  EXPECT_EQ(fx.hub.server().stats().range_requests, 8u);  // 2,000,000 bytes left: 8 chunks
}

TEST_F(Ranges, ServerIgnoringRangeFallsBackToOneStream) {
  fx.hub.server().set_ignore_range(true);
  auto report = download();
  ASSERT_TRUE(report) << report.error().message;
  expect_weights_right(*report);
}

TEST_F(Ranges, CancelStopsTheChunkWorkersAndTheNextRunResumes) {
  fx.hub.server().set_latency_ms(30);
  std::atomic<bool> cancel{false};
  DownloadOptions o = options();
  o.cancel = &cancel;
  o.progress = [&](const DownloadEvent& e) {
    if (e.path == "model.safetensors" && e.kind == DownloadEvent::kProgress && e.file_bytes > 0) cancel = true;
  };
  auto stopped = download(o);
  ASSERT_TRUE(stopped) << stopped.error().message;
  EXPECT_TRUE(stopped->cancelled);
  EXPECT_EQ(stopped->files[1].status, FileOutcome::kCancelled);
  EXPECT_FALSE(fs::exists(blobs() / weights_oid()));
  // What was written is an in-order prefix of the file, under the name
  // huggingface_hub resumes too.
  EXPECT_FALSE(fs::exists(blobs() / (weights_oid() + ".ranges")));
  fs::path incomplete = blobs() / (weights_oid() + ".incomplete");
  ASSERT_TRUE(fs::exists(incomplete));
  uint64_t kept = fs::file_size(incomplete);
  EXPECT_LT(kept, kWeights);
  std::ifstream in(incomplete, std::ios::binary);
  std::string prefix(kept, '\0');
  in.read(prefix.data(), static_cast<std::streamsize>(kept));
  EXPECT_TRUE(prefix == fx.bytes["model.safetensors"].substr(0, kept));

  fx.hub.server().set_latency_ms(0);
  auto resumed = download();
  ASSERT_TRUE(resumed) << resumed.error().message;
  expect_weights_right(*resumed);
}

// A server that sends headers and then nothing: Ctrl-C must not wait for
// the stall timeout (30 s, then retries) to end the transfer.
TEST_F(Ranges, CancelEndsAStalledTransfer) {
  fx.hub.server().add_fault({"model.safetensors", FaultKind::kStall, 1000});
  std::atomic<bool> cancel{false};
  DownloadOptions o = options();
  o.cancel = &cancel;
  std::thread interrupt([&] {
    // model info, tree, config.json, then the first stalled chunk request
    while (fx.hub.server().stats().range_requests == 0) std::this_thread::yield();
    cancel = true;
  });
  auto stopped = download(o);
  interrupt.join();
  ASSERT_TRUE(stopped) << stopped.error().message;
  EXPECT_TRUE(stopped->cancelled);
  EXPECT_EQ(stopped->files[1].status, FileOutcome::kCancelled);
  EXPECT_FALSE(fs::exists(blobs() / weights_oid()));
}

TEST_F(Ranges, NonLfsFileIsCheckedAgainstItsGitOid) {
  fx.hub.server().add_fault({"config.json", FaultKind::kCorruptByte, 1});
  auto report = download();
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_TRUE(report->complete()) << report->files[0].error;
  EXPECT_EQ(report->files[0].blob_id, git_blob_sha1(kConfig));
  std::ifstream in(snapshot(*report, "config.json"));
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, kConfig);
}

TEST_F(Ranges, NonLfsFileWithWrongBytesIsNeverLinked) {
  fx.hub.server().add_fault({"config.json", FaultKind::kCorruptByte, 2});
  auto report = download();
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->files[0].status, FileOutcome::kFailed);
  EXPECT_NE(report->files[0].error.find("config.json: downloaded bytes have git sha1 "), std::string::npos)
      << report->files[0].error;
  EXPECT_NE(report->files[0].error.find(", not the Hub's oid " + git_blob_sha1(kConfig) + " (tried twice"),
            std::string::npos)
      << report->files[0].error;
  EXPECT_FALSE(fs::exists(snapshot(*report, "config.json")));
  EXPECT_FALSE(fs::exists(blobs() / git_blob_sha1(kConfig)));
}

}  // namespace
}  // namespace hubcap
