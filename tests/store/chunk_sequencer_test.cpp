#include "store/chunk_sequencer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/atomic_file.h"
#include "store/cache_layout.h"
#include "support/st_temp_dir.h"

namespace hubcap {
namespace {

std::string pattern_bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

std::string sha(const std::string& bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finish();
}

TEST(ChunkSequencer, ParallelRangesLandInOrderAndHash) {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  std::string data = pattern_bytes(100003);
  std::string id = sha(data);
  ASSERT_TRUE(write_file_atomic(incomplete_blob_path(repo, id), data.substr(0, 5000)).ok());  // resumed
  auto writer = BlobWriter::open(repo, id, data.size());
  ASSERT_TRUE(writer.ok());
  ChunkSequencer seq(*writer, 4096, 3);
  ASSERT_EQ(seq.chunk_count(), (100003u - 5000u + 4095u) / 4096u);
  EXPECT_EQ(seq.chunk_first(0), 5000u);
  EXPECT_EQ(seq.chunk_last(seq.chunk_count() - 1), data.size() - 1);

  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (size_t i = next++; i < seq.chunk_count(); i = next++) {
        if ((i + w) % 3 == 0) std::this_thread::yield();  // shuffle arrival order
        uint64_t first = seq.chunk_first(i), last = seq.chunk_last(i);
        if (!seq.deliver(i, data.substr(first, last - first + 1)).ok()) ++failures;
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(seq.done());
  auto digest = writer->commit(id);
  ASSERT_TRUE(digest.ok()) << digest.error().message;
  EXPECT_EQ(*read_text_file(blob_path(repo, id), 200000), data);
}

// A fresh blob of `size` pattern bytes and its open writer.
struct FreshBlob {
  explicit FreshBlob(size_t size)
      : data(pattern_bytes(size)), repo(tmp.path() + "/models--org--m"), writer(BlobWriter::open(repo, sha(data), size)) {}
  test::ScratchDir tmp;
  std::string data, repo;
  Result<BlobWriter> writer;
};

TEST(ChunkSequencer, WrongLengthPoisonsTheTransfer) {
  FreshBlob blob(10000);
  ASSERT_TRUE(blob.writer.ok());
  auto& [tmp, data, repo, writer] = blob;
  ChunkSequencer seq(*writer, 4000, 4);
  EXPECT_FALSE(seq.deliver(1, "short").ok());
  EXPECT_FALSE(seq.deliver(0, data.substr(0, 4000)).ok());
  EXPECT_FALSE(seq.done());
  EXPECT_EQ(writer->offset(), 0u);
}

TEST(ChunkSequencer, DuplicateAndOutOfRangeChunksAreErrors) {
  FreshBlob blob(8000);
  ASSERT_TRUE(blob.writer.ok());
  auto& [tmp, data, repo, writer] = blob;
  ChunkSequencer seq(*writer, 4000, 4);
  ASSERT_TRUE(seq.deliver(0, data.substr(0, 4000)).ok());
  EXPECT_FALSE(seq.deliver(0, data.substr(0, 4000)).ok());
  ChunkSequencer other(*writer, 4000, 4);
  EXPECT_FALSE(other.deliver(7, "x").ok());
}

std::string written(const Result<bool>& r) {
  if (!r) return "error: " + r.error().message;
  return *r ? "written" : "not next";
}

TEST(ChunkSequencer, HeadChunkStreamsStraightToTheFile) {
  FreshBlob blob(10000);
  ASSERT_TRUE(blob.writer.ok());
  auto& [tmp, data, repo, writer] = blob;
  ChunkSequencer seq(*writer, 4000, 4);
  EXPECT_EQ(written(seq.write_head(1, data.substr(4000, 10))), "not next");  // not next: nothing written
  EXPECT_EQ(writer->offset(), 0u);
  EXPECT_EQ(written(seq.write_head(0, data.substr(0, 1500))), "written");
  EXPECT_EQ(writer->offset(), 1500u);
  ASSERT_TRUE(seq.deliver(2, data.substr(8000)).ok());       // waits behind chunk 1
  ASSERT_TRUE(seq.deliver(0, data.substr(1500, 2500)).ok());  // the rest of the head
  EXPECT_EQ(writer->offset(), 4000u);
  std::string reused = seq.spare_buffer();  // chunk 0's held part, emptied
  EXPECT_EQ(reused, "");
  EXPECT_GE(reused.capacity(), 2500u);
  EXPECT_EQ(written(seq.write_head(1, data.substr(4000, 4000))), "written");
  ASSERT_TRUE(seq.deliver(1, "").ok());  // all of it came through write_head; chunk 2 follows
  EXPECT_TRUE(seq.done());
  EXPECT_GE(seq.spare_buffer().capacity(), 2000u);  // chunk 2's emptied buffer, for reuse
  ASSERT_TRUE(writer->commit(sha(data)).ok());
  EXPECT_EQ(*read_text_file(blob_path(repo, sha(data)), 20000), data);
}

TEST(ChunkSequencer, HeadLongerThanItsChunkPoisonsTheTransfer) {
  FreshBlob blob(8000);
  ASSERT_TRUE(blob.writer.ok());
  auto& [tmp, data, repo, writer] = blob;
  ChunkSequencer seq(*writer, 4000, 4);
  EXPECT_FALSE(seq.write_head(0, data.substr(0, 4001)).ok());
  EXPECT_FALSE(seq.deliver(1, data.substr(4000)).ok());
  EXPECT_EQ(writer->offset(), 0u);
}

TEST(ChunkSequencer, FailWakesABlockedWorker) {
  FreshBlob blob(10000);
  ASSERT_TRUE(blob.writer.ok());
  auto& [tmp, data, repo, writer] = blob;
  ChunkSequencer seq(*writer, 1000, 2);
  std::atomic<bool> returned{false};
  Status blocked_result = ok_status();
  std::thread ahead([&] {
    blocked_result = seq.deliver(5, data.substr(5000, 1000));  // 5 >= 0 + window: waits
    returned = true;
  });
  seq.fail(Error{"worker gave up"});
  ahead.join();
  EXPECT_TRUE(returned);
  ASSERT_FALSE(blocked_result.ok());
  EXPECT_EQ(blocked_result.error().message, "worker gave up");
}

}  // namespace
}  // namespace hubcap
