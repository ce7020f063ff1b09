#include "store/verify.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/fake_cache.h"
#include "store/git_blob.h"
#include "store/sha256.h"
#include "support/st_temp_dir.h"

namespace hubcap {
namespace {

using test::hex_id;

// sha256("abc") and sha256("") from FIPS 180-2.
const std::string kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Sha256, KnownVectorsAndStreaming) {
  Sha256 h;
  EXPECT_EQ(h.finish(), kEmpty);
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.bytes_hashed(), 3u);
  EXPECT_EQ(h.finish(), kAbc);
  h.update("abc");  // finish() starts over
  EXPECT_EQ(h.finish(), kAbc);
}

TEST(Sha256, FileAndPrefix) {
  test::ScratchDir tmp;
  std::string big(3 * 1024 * 1024 + 17, 'x');  // more than the 1 MiB buffer
  test::write_raw(tmp.file("f"), big);
  Sha256 direct;
  direct.update(big);
  EXPECT_EQ(*sha256_file(tmp.file("f")), direct.finish());

  // Resume: hash the prefix already on disk, then the rest as it streams in.
  Sha256 resumed;
  ASSERT_TRUE(hash_file_prefix(tmp.file("f"), 1000, resumed).ok());
  resumed.update(big.data() + 1000, big.size() - 1000);
  direct.update(big);
  EXPECT_EQ(resumed.finish(), direct.finish());

  Sha256 too_long;
  EXPECT_FALSE(hash_file_prefix(tmp.file("f"), big.size() + 1, too_long).ok());
  EXPECT_FALSE(sha256_file(tmp.file("missing")).ok());
}

// Known git object ids: `git hash-object` of "" and of "hello\n".
TEST(GitBlob, KnownIdsAndFiles) {
  EXPECT_EQ(git_blob_sha1(""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
  EXPECT_EQ(git_blob_sha1("hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
  test::ScratchDir tmp;
  std::string big(2 * 1024 * 1024 + 5, 'y');  // more than the 1 MiB buffer
  test::write_raw(tmp.file("f"), big);
  EXPECT_EQ(*git_blob_sha1_file(tmp.file("f")), git_blob_sha1(big));
  EXPECT_FALSE(git_blob_sha1_file(tmp.file("missing")));
}

TEST(VerifyGitOid, NonLfsFileIsCheckedWhenTheOidIsKnown) {
  test::ScratchDir tmp;
  test::write_raw(tmp.file("config.json"), "hello\n");
  RepoFile good("config.json", 6, "", git_blob_sha1("hello\n"));
  EXPECT_TRUE(verify_files(tmp.path(), {good}).ok());
  RepoFile other("config.json", 6, "", git_blob_sha1("jello\n"));
  auto report = verify_files(tmp.path(), {other});
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].fault, FileFault::wrong_git_hash);
  EXPECT_EQ(report.problems[0].detail, "git sha1 " + git_blob_sha1("hello\n") + ", expected " + other.git_oid);
  EXPECT_EQ(std::string(fault_name(report.problems[0].fault)), "wrong git sha1");
  RepoFile unknown("config.json", 6, "", "");
  EXPECT_TRUE(verify_files(tmp.path(), {unknown}).ok());  // size only
  VerifyOptions fast;
  fast.rehash = false;
  EXPECT_TRUE(verify_files(tmp.path(), {other}, fast).ok());
}

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::FakeRepo repo(tmp_.path(), "models--org--m");
    commit_ = hex_id('1', 40);
    repo.file(commit_, "config.json", hex_id('a', 40), "{}");
    repo.file(commit_, "model-00001-of-00002.safetensors", hex_id('b', 64), "abc");
    repo.file(commit_, "model-00002-of-00002.safetensors", hex_id('c', 64), "");
    dir_ = repo.dir() + "/snapshots/" + commit_;
    blobs_ = repo.dir() + "/blobs/";
    expected_ = {{"config.json", 2, ""},
                 {"model-00001-of-00002.safetensors", 3, kAbc},
                 {"model-00002-of-00002.safetensors", 0, kEmpty}};
  }
  test::ScratchDir tmp_;
  std::string commit_, dir_, blobs_;
  std::vector<RepoFile> expected_;
};

TEST_F(VerifyTest, CleanSnapshotPasses) {
  auto report = verify_files(dir_, expected_, {true, true, 2});
  EXPECT_TRUE(report.ok()) << report.problems[0].detail;
  EXPECT_EQ(report.files_checked, 3u);
  EXPECT_EQ(report.bytes_hashed, 3u);
}

TEST_F(VerifyTest, DetectsEachFault) {
  test::write_raw(blobs_ + hex_id('b', 64), "abd");  // same size, wrong bytes
  std::filesystem::remove(blobs_ + hex_id('c', 64));  // broken link
  test::write_raw(blobs_ + hex_id('a', 40), "{ }");   // wrong size
  auto expected = expected_;
  expected.push_back({"model-00003-of-00003.safetensors", 1, kAbc});  // never downloaded
  auto report = verify_files(dir_, expected);
  ASSERT_EQ(report.problems.size(), 4u);
  EXPECT_EQ(report.problems[0].path, "config.json");
  EXPECT_EQ(report.problems[0].fault, FileFault::wrong_size);
  EXPECT_EQ(report.problems[0].detail, "size 3 bytes, expected 2");
  EXPECT_EQ(report.problems[1].fault, FileFault::wrong_hash);
  EXPECT_EQ(report.problems[2].fault, FileFault::broken_link);
  EXPECT_EQ(report.problems[3].fault, FileFault::missing);
  EXPECT_EQ(report.paths_to_refetch().size(), 4u);
}

TEST_F(VerifyTest, SizeOnlyModeSkipsHashing) {
  test::write_raw(blobs_ + hex_id('b', 64), "abd");
  VerifyOptions options;
  options.rehash = false;
  auto report = verify_files(dir_, expected_, options);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.bytes_hashed, 0u);
}

TEST_F(VerifyTest, MissingConfigForCheckpointBundles) {
  std::filesystem::remove(dir_ + "/config.json");
  std::vector<RepoFile> weights(expected_.begin() + 1, expected_.end());
  VerifyOptions options;
  options.require_config = true;
  auto report = verify_files(dir_, weights, options);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].fault, FileFault::missing_config);
  options.require_config = false;
  EXPECT_TRUE(verify_files(dir_, weights, options).ok());
}

TEST_F(VerifyTest, UnsafeExpectedPathIsNeverOpened) {
  auto report = verify_files(dir_, {{"../../../etc/passwd", 1, ""}});
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].detail, "unsafe file name");
}

}  // namespace
}  // namespace hubcap
