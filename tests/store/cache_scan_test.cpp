#include "store/cache_scan.h"

#include <gtest/gtest.h>

#include "store/fake_cache.h"
#include "support/st_temp_dir.h"

namespace hubcap {
namespace {

using test::hex_id;

const std::string kC1 = hex_id('1', 40);
const std::string kC2 = hex_id('2', 40);
const std::string kCfg = hex_id('a', 40);
const std::string kCfg2 = hex_id('b', 40);
const std::string kWeights = hex_id('c', 64);
const std::string kParams = hex_id('d', 40);

TEST(CacheScan, ReadsAHandBuiltCache) {
  test::ScratchDir tmp;
  test::FakeRepo repo(tmp.path(), "models--meta-llama--Llama-3.1-8B");
  repo.file(kC1, "config.json", kCfg, "{\"a\":1}");
  repo.file(kC1, "model.safetensors", kWeights, std::string(1000, 'w'));
  repo.file(kC1, "original/params.json", kParams, "{}");
  repo.ref("main", kC1);
  repo.ref("refs/pr/1", kC1);
  // A second revision sharing the weights blob, with a new config.
  repo.file(kC2, "config.json", kCfg2, "{\"a\":2}!");
  repo.link(kC2, "model.safetensors", kWeights);
  repo.ref("v2", kC2);
  test::write_raw(repo.dir() + "/blobs/" + hex_id('e', 64) + ".incomplete", "part");
  test::write_raw(repo.dir() + "/blobs/" + hex_id('f', 64) + ".ranges", "abc");  // hubcap's parallel ranges
  test::write_raw(tmp.path() + "/.locks/models--meta-llama--Llama-3.1-8B/" + kWeights + ".lock", "");
  test::write_raw(tmp.path() + "/version.txt", "1");

  auto scan = scan_cache(tmp.path());
  ASSERT_TRUE(scan.ok()) << scan.error().message;
  ASSERT_EQ(scan->repos.size(), 1u);
  EXPECT_EQ(scan->warnings, std::vector<std::string>{"not a cached repo: version.txt"});
  const CachedRepo& r = scan->repos[0];
  EXPECT_EQ(r.repo_id, "meta-llama/Llama-3.1-8B");
  EXPECT_EQ(r.repo_type, "model");
  EXPECT_TRUE(r.problems.empty()) << r.problems[0];
  ASSERT_EQ(r.blobs.size(), 4u);
  ASSERT_EQ(r.incomplete.size(), 2u);
  EXPECT_EQ(r.incomplete[0].id, hex_id('e', 64));
  EXPECT_EQ(r.incomplete[0].size, 4u);
  EXPECT_EQ(r.incomplete[1].id, hex_id('f', 64));
  EXPECT_EQ(r.incomplete[1].size, 3u);
  EXPECT_EQ(r.size_on_disk, 7u + 8 + 1000 + 2 + 4 + 3);
  ASSERT_EQ(r.revisions.size(), 2u);
  const CachedRevision& first = r.revisions[0];
  EXPECT_EQ(first.commit, kC1);
  EXPECT_EQ(first.refs, (std::vector<std::string>{"main", "refs/pr/1"}));
  ASSERT_EQ(first.files.size(), 3u);
  EXPECT_EQ(first.files[0].path, "config.json");
  EXPECT_EQ(first.files[0].blob_id, kCfg);
  EXPECT_EQ(first.files[0].size, 7u);
  EXPECT_EQ(first.files[2].path, "original/params.json");
  EXPECT_EQ(first.files[2].blob_id, kParams);
  EXPECT_EQ(first.size_on_disk, 7u + 1000 + 2);
  EXPECT_EQ(r.revisions[1].refs, std::vector<std::string>{"v2"});
  EXPECT_EQ(r.revisions[1].size_on_disk, 8u + 1000);
}

TEST(CacheScan, ReportsBrokenLinksAndDanglingRefs) {
  test::ScratchDir tmp;
  test::FakeRepo repo(tmp.path(), "models--org--m");
  repo.file(kC1, "config.json", kCfg, "{}");
  repo.link(kC1, "model.safetensors", kWeights);  // blob never written
  repo.ref("main", kC1);
  repo.ref("old", kC2);  // no such snapshot
  repo.ref("junk", "not a commit");
  auto scanned = scan_repo(repo.dir());
  ASSERT_TRUE(scanned.ok());
  const CachedRevision& rev = scanned->revisions.at(0);
  EXPECT_TRUE(rev.files[1].broken);
  EXPECT_EQ(rev.files[1].blob_id, kWeights);
  EXPECT_EQ(rev.files[1].size, 0u);
  EXPECT_EQ(scanned->problems.size(), 3u);
  auto has = [&](const std::string& text) {
    for (const auto& p : scanned->problems)
      if (p.find(text) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("broken symlink: " + kC1 + "/model.safetensors"));
  EXPECT_TRUE(has("ref 'old' points to missing snapshot"));
  EXPECT_TRUE(has("ref 'junk' does not hold a commit hash"));
}

TEST(CacheScan, MissingRootIsEmptyAndNonRepoIsError) {
  test::ScratchDir tmp;
  auto scan = scan_cache(tmp.path() + "/nope");
  ASSERT_TRUE(scan.ok());
  EXPECT_TRUE(scan->repos.empty());
  EXPECT_FALSE(scan_repo(tmp.path()).ok());
}

TEST(CacheScan, DatasetsAndPlainFilesInSnapshots) {
  test::ScratchDir tmp;
  test::FakeRepo data(tmp.path(), "datasets--org--d");
  test::write_raw(data.dir() + "/snapshots/" + kC1 + "/train.csv", "a,b\n");  // a copy, not a link (Windows style)
  auto scan = scan_cache(tmp.path());
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(scan->repos.size(), 1u);
  EXPECT_EQ(scan->repos[0].repo_type, "dataset");
  EXPECT_EQ(scan->repos[0].repo_id, "org/d");
  const auto& file = scan->repos[0].revisions.at(0).files.at(0);
  EXPECT_EQ(file.blob_id, "");
  EXPECT_EQ(file.size, 4u);
  EXPECT_FALSE(file.broken);
}

}  // namespace
}  // namespace hubcap
