#include "store/chunk_sequencer.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// Writes chunk i of `data` in pieces of `piece` bytes, then finishes it.
Status send_chunk(ChunkSequencer& seq, const std::string& data, size_t i, size_t piece) {
  uint64_t first = seq.chunk_first(i), length = seq.chunk_last(i) - first + 1;
  for (uint64_t at = 0; at < length; at += piece)
    HUBCAP_TRY(seq.write(i, at, std::string_view(data).substr(first + at, std::min<uint64_t>(piece, length - at))));
  return seq.finish(i);
}

TEST(ChunkSequencer, ParallelRangesLandInOrderAndHash) {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  std::string data = pattern_bytes(100003);
  std::string id = sha(data);
  ASSERT_TRUE(write_file_atomic(incomplete_blob_path(repo, id), data.substr(0, 5000)).ok());  // resumed
  auto writer = BlobWriter::open(repo, id, data.size());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->begin_ranges().ok());
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
        if (!seq.wait_turn(i).ok() || !send_chunk(seq, data, i, 1000 + 7 * w).ok()) ++failures;
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(seq.done());
  EXPECT_EQ(writer->offset(), data.size());
  auto digest = writer->commit(id);
  ASSERT_TRUE(digest.ok()) << digest.error().message;
  EXPECT_EQ(*read_text_file(blob_path(repo, id), 200000), data);
}

// A fresh blob of `size` pattern bytes and its open writer, in a ranged phase.
struct FreshBlob {
  explicit FreshBlob(size_t size)
      : data(pattern_bytes(size)), repo(tmp.path() + "/models--org--m"), writer(BlobWriter::open(repo, sha(data), size)) {
    if (writer) ranged = writer->begin_ranges();
  }
  test::ScratchDir tmp;
  std::string data, repo;
  Result<BlobWriter> writer;
  Status ranged = ok_status();
};

TEST(ChunkSequencer, ShortChunkPoisonsTheTransfer) {
  FreshBlob blob(10000);
  ASSERT_TRUE(blob.writer.ok() && blob.ranged.ok());
  auto& [tmp, data, repo, writer, ranged] = blob;
  ChunkSequencer seq(*writer, 4000, 4);
  ASSERT_TRUE(seq.write(1, 0, "short").ok());
  EXPECT_FALSE(seq.finish(1).ok());
  EXPECT_FALSE(send_chunk(seq, data, 0, 4000).ok());
  EXPECT_FALSE(seq.done());
  EXPECT_EQ(writer->offset(), 0u);
}

TEST(ChunkSequencer, RepeatedSkippedAndOutOfRangeBytesAreErrors) {
  FreshBlob blob(8000);
  ASSERT_TRUE(blob.writer.ok() && blob.ranged.ok());
  auto& [tmp, data, repo, writer, ranged] = blob;
  {
    ChunkSequencer seq(*writer, 4000, 4);
    ASSERT_TRUE(send_chunk(seq, data, 0, 4000).ok());
    EXPECT_FALSE(seq.finish(0).ok());  // twice
  }
  {
    ChunkSequencer seq(*writer, 4000, 4);  // starts at 4000
    EXPECT_FALSE(seq.write(7, 0, "x").ok());
  }
  {
    ChunkSequencer seq(*writer, 4000, 4);
    EXPECT_FALSE(seq.write(0, 10, "x").ok());  // a gap within the chunk
  }
  {
    ChunkSequencer seq(*writer, 4000, 4);
    EXPECT_FALSE(seq.write(0, 0, data.substr(4000) + "!").ok());  // longer than its range
  }
  EXPECT_EQ(writer->offset(), 4000u);
}

TEST(ChunkSequencer, HeadIsHashedAsItComesAndLaterChunksFromTheFile) {
  FreshBlob blob(10000);
  ASSERT_TRUE(blob.writer.ok() && blob.ranged.ok());
  auto& [tmp, data, repo, writer, ranged] = blob;
  ChunkSequencer seq(*writer, 4000, 4);
  ASSERT_TRUE(seq.write(0, 0, data.substr(0, 1500)).ok());  // the head: hashed at once
  EXPECT_EQ(writer->offset(), 1500u);
  ASSERT_TRUE(send_chunk(seq, data, 2, 700).ok());  // ahead: on disk, not hashed
  EXPECT_EQ(writer->offset(), 1500u);
  ASSERT_TRUE(seq.write(1, 0, data.substr(4000, 1000)).ok());  // ahead too
  ASSERT_TRUE(seq.write(0, 1500, data.substr(1500, 2500)).ok());
  ASSERT_TRUE(seq.finish(0).ok());  // the head moves to chunk 1 and hashes what landed
  EXPECT_EQ(writer->offset(), 5000u);
  ASSERT_TRUE(seq.write(1, 1000, data.substr(5000, 3000)).ok());  // now the head
  EXPECT_EQ(writer->offset(), 8000u);
  ASSERT_TRUE(seq.finish(1).ok());  // chunk 2 follows from the file
  EXPECT_TRUE(seq.done());
  EXPECT_EQ(writer->offset(), 10000u);
  ASSERT_TRUE(writer->commit(sha(data)).ok());
  EXPECT_EQ(*read_text_file(blob_path(repo, sha(data)), 20000), data);
}

TEST(ChunkSequencer, WriterFailureAheadOfTheHeadStopsTheTransfer) {
  FreshBlob blob(10000);
  ASSERT_TRUE(blob.writer.ok() && blob.ranged.ok());
  auto& [tmp, data, repo, writer, ranged] = blob;
  ChunkSequencer seq(*writer, 4000, 4);
  ASSERT_TRUE(seq.write(0, 0, data.substr(0, 100)).ok());
  ASSERT_TRUE(writer->end_ranges().ok());  // now write_at() fails, as on a full disk
  Status ahead = seq.write(2, 0, data.substr(8000, 10));
  ASSERT_FALSE(ahead.ok());
  EXPECT_FALSE(seq.write(0, 100, data.substr(100, 10)).ok());  // every later call fails
  EXPECT_FALSE(seq.wait_turn(1).ok());
  EXPECT_FALSE(seq.done());
  EXPECT_EQ(writer->offset(), 100u);
}

TEST(ChunkSequencer, FailWakesAWaitingWorker) {
  FreshBlob blob(10000);
  ASSERT_TRUE(blob.writer.ok() && blob.ranged.ok());
  auto& [tmp, data, repo, writer, ranged] = blob;
  ChunkSequencer seq(*writer, 1000, 2);
  EXPECT_TRUE(seq.wait_turn(1).ok());  // inside the window: no wait
  std::atomic<bool> returned{false};
  Status waited = ok_status();
  std::thread ahead([&] {
    waited = seq.wait_turn(5);  // 5 >= 0 + window: waits
    returned = true;
  });
  seq.fail(Error{"worker gave up"});
  ahead.join();
  EXPECT_TRUE(returned);
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.error().message, "worker gave up");
  EXPECT_FALSE(seq.write(0, 0, "x").ok());
}

}  // namespace
}  // namespace hubcap
