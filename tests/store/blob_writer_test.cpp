#include "store/blob_writer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/atomic_file.h"
#include "store/cache_layout.h"
#include "support/st_temp_dir.h"

namespace hubcap {
namespace {

namespace fs = std::filesystem;

const std::string kId = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";  // sha256("abc")

std::string sha_of(const std::string& bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finish();
}

TEST(BlobWriter, WritesHashesAndMovesIntoPlace) {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  EXPECT_FALSE(has_blob(repo, kId, 3));
  auto w = BlobWriter::open(repo, kId, 3);
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->offset(), 0u);
  EXPECT_EQ(w->incomplete_path(), repo + "/blobs/" + kId + ".incomplete");
  ASSERT_TRUE(w->append("ab").ok());
  ASSERT_TRUE(w->append("c").ok());
  auto sha = w->commit(kId);
  ASSERT_TRUE(sha.ok()) << sha.error().message;
  EXPECT_EQ(*sha, kId);
  EXPECT_TRUE(has_blob(repo, kId, 3));
  EXPECT_FALSE(has_blob(repo, kId, 4));
  EXPECT_FALSE(fs::exists(incomplete_blob_path(repo, kId)));
}

TEST(BlobWriter, ResumesAPartialFileLeftByAnEarlierRun) {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  std::string data(5000, 'q');
  data += "tail";
  std::string id = sha_of(data);
  {
    auto first = BlobWriter::open(repo, id, data.size());
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(first->append(data.substr(0, 1234)).ok());
  }  // dropped without commit: Ctrl-C
  auto second = BlobWriter::open(repo, id, data.size());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->offset(), 1234u);
  ASSERT_TRUE(second->append(data.substr(1234)).ok());
  auto sha = second->commit(id);
  ASSERT_TRUE(sha.ok()) << sha.error().message;
  EXPECT_EQ(*read_text_file(blob_path(repo, id), 10000), data);
}

TEST(BlobWriter, WrongBytesNeverBecomeVisible) {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  auto w = BlobWriter::open(repo, kId, 3);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->append("abd").ok());
  auto sha = w->commit(kId);
  ASSERT_FALSE(sha.ok());
  EXPECT_NE(sha.error().message.find("does not match"), std::string::npos);
  EXPECT_FALSE(fs::exists(blob_path(repo, kId)));
  EXPECT_FALSE(fs::exists(incomplete_blob_path(repo, kId)));
}

TEST(BlobWriter, ShortOrOverlongDownloadsAreRefused) {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  auto w = BlobWriter::open(repo, kId, 3);
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(w->append("abcd").ok());
  ASSERT_TRUE(w->append("ab").ok());
  auto sha = w->commit("");
  ASSERT_FALSE(sha.ok());
  EXPECT_NE(sha.error().message.find("got 2 bytes, expected 3"), std::string::npos);
  EXPECT_FALSE(fs::exists(blob_path(repo, kId)));
}

TEST(BlobWriter, OverlongPartialFileAndRestartStartOver) {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  ASSERT_TRUE(write_file_atomic(incomplete_blob_path(repo, kId), "abcdef").ok());
  auto w = BlobWriter::open(repo, kId, 3);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->offset(), 0u);
  ASSERT_TRUE(w->append("xy").ok());
  ASSERT_TRUE(w->restart().ok());  // server answered 200 to a Range request
  ASSERT_TRUE(w->append("abc").ok());
  EXPECT_TRUE(w->commit(kId).ok());
}

TEST(BlobWriter, BytesMissingCountsOnlyWhatIsNotOnDisk) {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  std::string other(64, 'e');
  std::vector<RepoFile> files = {{"a.safetensors", 3, kId}, {"b.safetensors", 100, other}, {"config.json", 7, ""}};
  EXPECT_EQ(bytes_missing(repo, files), 110u);
  ASSERT_TRUE(write_file_atomic(blob_path(repo, kId), "abc").ok());
  ASSERT_TRUE(write_file_atomic(incomplete_blob_path(repo, other), std::string(40, 'x')).ok());
  EXPECT_EQ(bytes_missing(repo, files), 60u + 7u);
}

// Bytes i of a pattern that does not repeat within a chunk.
std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
  return s;
}

std::string file_bytes(const std::string& path) {
  auto bytes = read_text_file(path, 64u << 20);
  return bytes ? *bytes : "<missing>";
}

// A blob of 10,000 pattern bytes to write, in a fresh cache folder.
struct PatternBlob {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  std::string data = pattern(10000);
  std::string id = sha_of(data);
};

TEST(BlobWriter, RangedPhaseWritesAheadAndHashesInOrder) {
  PatternBlob blob;
  auto& [tmp, repo, data, id] = blob;
  auto w = BlobWriter::open(repo, id, data.size());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->append(data.substr(0, 1000)).ok());
  EXPECT_FALSE(w->write_at(5000, data.substr(5000, 10)).ok());  // not in a ranged phase
  ASSERT_TRUE(w->begin_ranges().ok());
  EXPECT_FALSE(fs::exists(incomplete_blob_path(repo, id)));  // huggingface_hub must not resume a file with holes
  EXPECT_TRUE(fs::exists(ranges_blob_path(repo, id)));
  ASSERT_TRUE(w->write_at(6000, data.substr(6000)).ok());
  ASSERT_TRUE(w->write_at(1000, data.substr(1000, 5000)).ok());
  EXPECT_FALSE(w->write_at(9999, "xy").ok());  // past the end
  EXPECT_EQ(w->offset(), 1000u);
  ASSERT_TRUE(w->absorb(9000).ok());
  EXPECT_EQ(w->offset(), 10000u);
  auto sha = w->commit(id);
  ASSERT_TRUE(sha.ok()) << sha.error().message;
  EXPECT_EQ(file_bytes(blob_path(repo, id)), data);  // no trailer left
  EXPECT_FALSE(fs::exists(ranges_blob_path(repo, id)));
}

TEST(BlobWriter, StoppedRangedPhaseLeavesTheInOrderPrefixAsIncomplete) {
  PatternBlob blob;
  auto& [tmp, repo, data, id] = blob;
  {
    auto w = BlobWriter::open(repo, id, data.size());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->begin_ranges().ok());
    ASSERT_TRUE(w->append(data.substr(0, 1200)).ok());
    ASSERT_TRUE(w->write_at(8000, data.substr(8000)).ok());
  }  // Ctrl-C: the writer goes away mid-transfer
  EXPECT_FALSE(fs::exists(ranges_blob_path(repo, id)));
  EXPECT_EQ(file_bytes(incomplete_blob_path(repo, id)), data.substr(0, 1200));
  EXPECT_EQ(resumable_bytes(repo, id), 1200u);
}

// A kill -9 leaves blobs/{id}.ranges with holes and its trailer; the next
// open() keeps what the trailer records as written in order.
TEST(BlobWriter, KilledRangedPhaseResumesFromTheRecordedPrefix) {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  std::string data = pattern(40u << 20);
  std::string id = sha_of(data);
  std::string ranges = ranges_blob_path(repo, id), snapshot = tmp.path() + "/ranges-at-kill";
  {
    auto w = BlobWriter::open(repo, id, data.size());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w->begin_ranges().ok());
    ASSERT_TRUE(w->write_at(30u << 20, data.substr(30u << 20, 1000)).ok());
    ASSERT_TRUE(w->append(data.substr(0, 20u << 20)).ok());  // past one 16 MiB step: the trailer is updated
    fs::copy_file(ranges, snapshot);  // the file as a kill would leave it
  }
  fs::remove(incomplete_blob_path(repo, id));
  fs::rename(snapshot, ranges);
  EXPECT_EQ(resumable_bytes(repo, id), 20u << 20);
  auto resumed = BlobWriter::open(repo, id, data.size());
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->offset(), 20u << 20);
  EXPECT_FALSE(fs::exists(ranges));
  ASSERT_TRUE(resumed->append(data.substr(20u << 20)).ok());
  ASSERT_TRUE(resumed->commit(id).ok());
}

TEST(BlobWriter, DamagedOrShorterRangesFileIsDropped) {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  ASSERT_TRUE(write_file_atomic(ranges_blob_path(repo, kId), "ab" + std::string(40, '?')).ok());  // no trailer
  auto w = BlobWriter::open(repo, kId, 3);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->offset(), 0u);
  EXPECT_FALSE(fs::exists(ranges_blob_path(repo, kId)));

  // A huggingface_hub partial file that got further than hubcap's .ranges wins.
  std::string other = sha_of("abcdef");
  std::string trailer = "hubcap-ranges prefix=00000000000000000001\n";
  ASSERT_TRUE(write_file_atomic(ranges_blob_path(repo, other), "abcdef" + trailer).ok());
  ASSERT_TRUE(write_file_atomic(incomplete_blob_path(repo, other), "abcd").ok());
  auto x = BlobWriter::open(repo, other, 6);
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->offset(), 4u);
  EXPECT_FALSE(fs::exists(ranges_blob_path(repo, other)));
}

TEST(BlobWriter, BytesMissingCountsARangesFilesPrefix) {
  test::ScratchDir tmp;
  std::string repo = tmp.path() + "/models--org--m";
  std::string id(64, 'd');
  std::string trailer = "hubcap-ranges prefix=00000000000000000030\n";
  ASSERT_TRUE(write_file_atomic(ranges_blob_path(repo, id), std::string(100, 'x') + trailer).ok());
  EXPECT_EQ(bytes_missing(repo, {{"a.safetensors", 100, id}}), 70u);
}

TEST(BlobWriter, RejectsBadIds) {
  test::ScratchDir tmp;
  EXPECT_FALSE(BlobWriter::open(tmp.path(), "../../evil", 1).ok());
  EXPECT_FALSE(has_blob(tmp.path(), "../x", 0));
}

}  // namespace
}  // namespace hubcap
