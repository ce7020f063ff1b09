#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "formats/torch_checkpoint.h"
#include "formats/torch_test_util.h"
#include "formats/zip_reader.h"

namespace hubcap {
namespace {

using testing::build_zip;
using testing::CountingReader;
using testing::slurp;
using testing::TempDir;
using testing::torch_fixture;
using testing::ZipItem;

Result<WeightsSummary> read_fixture(const std::string& rel) {
  auto reader = open_file_reader(torch_fixture(rel));
  if (!reader) return reader.error();
  return read_torch_checkpoint(**reader);
}

Result<WeightsSummary> read_bytes(std::string bytes) {
  auto reader = make_memory_reader(std::move(bytes), "mem.pt");
  return read_torch_checkpoint(*reader);
}

std::string error_of(const Result<WeightsSummary>& r) { return r.ok() ? "<ok>" : r.error().message; }

// The summary must list exactly the tensors torch itself saw, in order.
void expect_matches_torch(const WeightsSummary& summary, const std::string& expected_json) {
  auto expected = nlohmann::json::parse(slurp(torch_fixture(expected_json)))["tensors"];
  ASSERT_EQ(summary.tensors.size(), expected.size());
  uint64_t bytes = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& t = summary.tensors[i];
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.name, expected[i]["name"].get<std::string>());
    EXPECT_EQ(t.dtype, expected[i]["dtype"].get<std::string>());
    EXPECT_EQ(t.shape, expected[i]["shape"].get<std::vector<uint64_t>>());
    EXPECT_EQ(t.bytes, expected[i]["bytes"].get<uint64_t>());
    bytes += t.bytes;
  }
  EXPECT_EQ(summary.weight_bytes, bytes);
}

class TorchFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchFixture, MatchesTorchsOwnView) {
  auto summary = read_fixture(GetParam());
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  expect_matches_torch(*summary, GetParam() + ".expected.json");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TorchFixture,
                         ::testing::Values("opt_tiny/pytorch_model.bin", "mixed.pt", "plain_dict.pth",
                                           "nested_state_dict.pt", "nested_model.pt", "float8_v3.pt"));

const TensorInfo& find(const WeightsSummary& s, const std::string& name) {
  for (const auto& t : s.tensors)
    if (t.name == name) return t;
  throw std::runtime_error("no tensor " + name);
}

TEST(TorchCheckpoint, ViewsCountTheirOwnShape) {
  auto s = read_fixture("mixed.pt");
  ASSERT_TRUE(s.ok()) << s.error().message;
  const auto& slice = find(*s, "slice_view");  // base[1:3] of a 4x6 storage
  EXPECT_EQ(slice.shape, (std::vector<uint64_t>{2, 6}));
  EXPECT_EQ(slice.elements, 12u);
  EXPECT_EQ(slice.bytes, 48u);
  const auto& transposed = find(*s, "transposed_view");
  EXPECT_EQ(transposed.shape, (std::vector<uint64_t>{6, 4}));
  EXPECT_EQ(transposed.elements, 24u);
  EXPECT_EQ(find(*s, "shared_a").elements, 4u);  // two views of one 10-element storage
  EXPECT_EQ(find(*s, "shared_b").elements, 6u);
  EXPECT_EQ(find(*s, "empty").elements, 0u);
  EXPECT_EQ(find(*s, "empty").bytes, 0u);
  EXPECT_EQ(find(*s, "param").dtype, "F32");
}

TEST(TorchCheckpoint, ZeroDimTensorHoldsOneElement) {
  auto s = read_fixture("mixed.pt");
  ASSERT_TRUE(s.ok());
  const auto& scalar = find(*s, "scalar");
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.elements, 1u);
  EXPECT_EQ(scalar.bytes, 4u);
}

TEST(TorchCheckpoint, OptShapedModelTotals) {
  auto s = read_fixture("opt_tiny/pytorch_model.bin");
  ASSERT_TRUE(s.ok());
  // vocab 50, positions 16 + 2, hidden 8, ffn 16, 2 layers, all F16.
  uint64_t layer = 4 * (8 * 8 + 8) + 2 * 8 + (16 * 8 + 16) + (8 * 16 + 8) + 2 * 8;
  uint64_t total = 50 * 8 + 18 * 8 + 2 * 8 + 2 * layer;
  EXPECT_EQ(s->total(), total);
  EXPECT_EQ(s->parameters.size(), 1u);
  EXPECT_EQ(s->parameters.at("F16"), total);
  EXPECT_EQ(s->weight_bytes, 2 * total);
  EXPECT_EQ(s->tensors[1].name, "decoder.embed_positions.weight");
  EXPECT_EQ(s->tensors[1].shape, (std::vector<uint64_t>{18, 8}));
}

TEST(TorchCheckpoint, ShardedThroughTheIndex) {
  auto files = open_local_file_set(torch_fixture("sharded"));
  ASSERT_TRUE(files.ok());
  auto plan = find_torch_checkpoint_files(**files);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->files, (std::vector<std::string>{"pytorch_model-00001-of-00002.bin",
                                                   "pytorch_model-00002-of-00002.bin"}));
  for (size_t parallelism : {1, 4}) {
    auto s = read_torch_checkpoint_files(**files, parallelism);
    ASSERT_TRUE(s.ok()) << s.error().message;
    expect_matches_torch(*s, "sharded/expected.json");
  }
}

void copy_shards(const TempDir& dir) {
  for (auto name : {"pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"})
    dir.write(name, slurp(torch_fixture(std::string("sharded/") + name)));
}

std::string sharded_error_with_index(const std::string& index) {
  TempDir dir;
  copy_shards(dir);
  dir.write("pytorch_model.bin.index.json", index);
  auto files = open_local_file_set(dir.path().string());
  return error_of(read_torch_checkpoint_files(**files, 2));
}

TEST(TorchCheckpoint, IndexErrors) {
  EXPECT_EQ(sharded_error_with_index(R"({"weight_map": {"x": "../pytorch_model-00001-of-00002.bin"}})"),
            "pytorch_model.bin.index.json: refusing unsafe shard name '../pytorch_model-00001-of-00002.bin'");
  EXPECT_EQ(sharded_error_with_index(R"({"weight_map": {"x": "/etc/passwd"}})"),
            "pytorch_model.bin.index.json: refusing unsafe shard name '/etc/passwd'");
  EXPECT_NE(sharded_error_with_index(R"({"weight_map": {"x": "pytorch_model-00003-of-00003.bin"}})")
                .find("names shard 'pytorch_model-00003-of-00003.bin', which "),
            std::string::npos);
  EXPECT_EQ(sharded_error_with_index(
                R"({"weight_map": {"decoder.embed_tokens.weight": "pytorch_model-00002-of-00002.bin"}})"),
            "pytorch_model.bin.index.json places tensor 'decoder.embed_tokens.weight' in "
            "'pytorch_model-00002-of-00002.bin', which does not hold it");
  EXPECT_EQ(sharded_error_with_index(R"({"weight_map": []})"),
            "pytorch_model.bin.index.json: has no weight_map object");
  EXPECT_TRUE(sharded_error_with_index("{").starts_with("pytorch_model.bin.index.json: invalid JSON: "));
}

TEST(TorchCheckpoint, FileSelectionRule) {
  EXPECT_TRUE(is_torch_weights_file_name("model.pt"));
  EXPECT_TRUE(is_torch_weights_file_name("consolidated.00.pth"));
  EXPECT_TRUE(is_torch_weights_file_name("pytorch_model-00001-of-00002.bin"));
  EXPECT_FALSE(is_torch_weights_file_name("training_args.bin"));
  EXPECT_FALSE(is_torch_weights_file_name("optimizer.pt"));
  EXPECT_FALSE(is_torch_weights_file_name("scheduler.pt"));
  EXPECT_FALSE(is_torch_weights_file_name("scaler.pt"));
  EXPECT_FALSE(is_torch_weights_file_name("rng_state_3.pth"));
  EXPECT_FALSE(is_torch_weights_file_name("original/consolidated.00.pth"));
  EXPECT_FALSE(is_torch_weights_file_name("model.safetensors"));

  TempDir dir;
  std::string mixed = slurp(torch_fixture("mixed.pt"));
  for (auto name : {"model.pt", "optimizer.pt", "rng_state_0.pth", "training_args.bin", "sub/other.pt"})
    dir.write(name, mixed);
  auto files = open_local_file_set(dir.path().string());
  auto plan = find_torch_checkpoint_files(**files);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->files, std::vector<std::string>{"model.pt"});
  auto s = read_torch_checkpoint_files(**files, 4);
  ASSERT_TRUE(s.ok()) << s.error().message;
  expect_matches_torch(*s, "mixed.pt.expected.json");

  dir.write("pytorch_model.bin", slurp(torch_fixture("opt_tiny/pytorch_model.bin")));
  files = open_local_file_set(dir.path().string());
  plan = find_torch_checkpoint_files(**files);
  EXPECT_EQ(plan->files, std::vector<std::string>{"pytorch_model.bin"});

  TempDir empty;
  empty.write("config.json", "{}");
  files = open_local_file_set(empty.path().string());
  EXPECT_EQ(error_of(read_torch_checkpoint_files(**files, 1)),
            empty.path().string() + " has no PyTorch checkpoint (pytorch_model.bin, *.pt, *.pth)");
}

TEST(TorchCheckpoint, UnsupportedFormatsGiveClearErrors) {
  std::string dir = torch_fixture("");
  EXPECT_EQ(
      error_of(read_fixture("legacy.bin")),
      dir +
          "legacy.bin: legacy (non-zip) PyTorch checkpoint format is not supported (saved by torch < 1.6 "
          "or with _use_new_zipfile_serialization=False); re-save it with a current torch.save");
  EXPECT_EQ(
      error_of(read_fixture("torchscript.pt")),
      dir +
          "torchscript.pt: this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; "
          "it is not supported");
  EXPECT_EQ(error_of(read_fixture("deflated.pt")),
            dir +
                "deflated.pt: zip entry 'mixed/data.pkl' is compressed (method 8, deflate); only stored "
                "entries are supported, as torch.save writes them");
  EXPECT_EQ(error_of(read_fixture("hostile/os_system_checkpoint.pt")),
            dir +
                "hostile/os_system_checkpoint.pt: data.pkl: refusing to load pickle global 'os.system' "
                "(hubcap never executes pickled code)");
  EXPECT_EQ(error_of(read_bytes("just some text that is long enough to be looked at")),
            "mem.pt: not a zip archive (no end of central directory record)");
  EXPECT_EQ(error_of(read_bytes(build_zip({{"a/b.txt", "x", 0, 0}}))),
            "mem.pt: not a PyTorch checkpoint (the zip archive has no <name>/data.pkl)");
}

TEST(TorchCheckpoint, EveryTruncationIsAnError) {
  std::string bytes = slurp(torch_fixture("mixed.pt"));
  for (size_t len = 0; len < bytes.size(); ++len) EXPECT_FALSE(read_bytes(bytes.substr(0, len)).ok()) << len;
  EXPECT_TRUE(read_bytes(bytes).ok());
}

// The entries of a fixture, re-packed (optionally as zip64, optionally without some).
std::vector<ZipItem> entries_of(const std::string& fixture) {
  auto reader = open_file_reader(torch_fixture(fixture));
  auto zip = ZipReader::open(**reader);
  std::vector<ZipItem> items;
  for (const auto& e : zip->entries()) items.push_back({e.name, *zip->read_entry(e, 1 << 20), 0, 0});
  return items;
}

TEST(TorchCheckpoint, ReadsZip64Checkpoints) {
  auto s = read_bytes(build_zip(entries_of("mixed.pt"), /*zip64=*/true));
  ASSERT_TRUE(s.ok()) << s.error().message;
  expect_matches_torch(*s, "mixed.pt.expected.json");
}

TEST(TorchCheckpoint, StoragesMustHoldTheirViews) {
  auto items = entries_of("mixed.pt");
  auto without = items;
  std::erase_if(without, [](const ZipItem& i) { return i.name == "mixed/data/0"; });
  EXPECT_EQ(error_of(read_bytes(build_zip(without))),
            "mem.pt: tensor 'f16' uses storage '0', which the archive lacks");
  auto shrunk = items;
  for (auto& i : shrunk)
    if (i.name == "mixed/data/0") i.data.resize(i.data.size() - 1);
  EXPECT_EQ(error_of(read_bytes(build_zip(shrunk))),
            "mem.pt: tensor 'f16' reaches past the end of its storage '0'");
}

TEST(TorchCheckpoint, ReadsAreFew) {
  // A small checkpoint: the tail read holds everything.
  auto file = open_file_reader(torch_fixture("opt_tiny/pytorch_model.bin"));
  CountingReader small(std::move(*file));
  ASSERT_TRUE(read_torch_checkpoint(small).ok());
  EXPECT_EQ(small.reads, 1);

  // A large one: tail (end records + central directory), then data.pkl.
  auto items = entries_of("opt_tiny/pytorch_model.bin");
  for (auto& i : items)
    if (i.name.ends_with("/data/0")) i.data.resize(i.data.size() + (4 << 20), '\0');
  CountingReader large(make_memory_reader(build_zip(items, true)));
  auto s = read_torch_checkpoint(large);
  ASSERT_TRUE(s.ok()) << s.error().message;
  expect_matches_torch(*s, "opt_tiny/pytorch_model.bin.expected.json");
  EXPECT_EQ(large.reads, 2);
  EXPECT_LE(large.reads, 4);
}

TEST(TorchCheckpoint, DataPklAloneForFuzzing) {
  auto items = entries_of("nested_model.pt");
  auto s = torch_tensors_from_pickle(items.front().data, nullptr);
  ASSERT_TRUE(s.ok()) << s.error().message;
  expect_matches_torch(*s, "nested_model.pt.expected.json");
}

}  // namespace
}  // namespace hubcap
