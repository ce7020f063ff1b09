#include "formats/gguf.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "formats/ggml_types.h"
#include "formats/gguf_variants.h"
#include "support/gguf_writer.h"
#include "util/range_reader.h"

namespace hubcap {
namespace {

using testing::GgufWriter;
using testing::gguf_array;
using testing::gguf_string;
using testing::le;
using testing::le32;
using testing::le64;
using VT = GgufValueType;

constexpr uint32_t kF32 = 0, kF16 = 1, kQ8_0 = 8, kQ4_K = 12, kQ6_K = 14;

// A fresh directory, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hubcap-gguf-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Counts the reads a parser makes, as a remote reader would pay for them.
class CountingReader final : public RangeReader {
 public:
  explicit CountingReader(std::unique_ptr<RangeReader> inner) : inner_(std::move(inner)) {}
  Result<std::string> read(uint64_t offset, uint64_t length) override {
    ++reads;
    auto r = inner_->read(offset, length);
    if (r) bytes += r->size();
    return r;
  }
  Result<uint64_t> size() override { return inner_->size(); }
  std::string describe() const override { return inner_->describe(); }
  int reads = 0;
  uint64_t bytes = 0;

 private:
  std::unique_ptr<RangeReader> inner_;
};

// Files held in memory, for variant tests.
class MemoryFileSet final : public FileSet {
 public:
  void add(const std::string& path, std::string bytes) {
    bytes_[path] = std::move(bytes);
    files_.clear();
    for (const auto& [p, b] : bytes_) files_.push_back({p, b.size(), ""});
  }
  const std::vector<RepoFile>& files() const override { return files_; }
  Result<std::unique_ptr<RangeReader>> open(const std::string& path) override {
    auto it = bytes_.find(path);
    if (it == bytes_.end()) return Error{path + ": not found"};
    return make_memory_reader(it->second, path);
  }
  std::string describe() const override { return "<memory>"; }

 private:
  std::map<std::string, std::string> bytes_;
  std::vector<RepoFile> files_;
};

Result<GgufFile> read_bytes(std::string bytes) {
  auto reader = make_memory_reader(std::move(bytes), "test.gguf");
  return read_gguf(*reader);
}

// Asserts that `bytes` is rejected with an error mentioning `needle`.
void expect_error(std::string bytes, const std::string& needle) {
  auto r = read_bytes(std::move(bytes));
  ASSERT_FALSE(r.ok()) << "expected an error about: " << needle;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << "one line";
}

std::string preamble(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
  return "GGUF" + le32(version) + le64(tensors) + le64(kvs);
}

// ---------------------------------------------------------------- ggml types

TEST(GgmlTypes, EveryTypeHasGgmlsIdNameAndBlockGeometry) {
  struct Row {
    uint32_t id;
    const char* name;
    uint64_t block, bytes;
  };
  const Row expected[] = {
      {0, "F32", 1, 4},          {1, "F16", 1, 2},         {2, "Q4_0", 32, 18},      {3, "Q4_1", 32, 20},
      {6, "Q5_0", 32, 22},       {7, "Q5_1", 32, 24},      {8, "Q8_0", 32, 34},      {9, "Q8_1", 32, 36},
      {10, "Q2_K", 256, 84},     {11, "Q3_K", 256, 110},   {12, "Q4_K", 256, 144},   {13, "Q5_K", 256, 176},
      {14, "Q6_K", 256, 210},    {15, "Q8_K", 256, 292},   {16, "IQ2_XXS", 256, 66}, {17, "IQ2_XS", 256, 74},
      {18, "IQ3_XXS", 256, 98},  {19, "IQ1_S", 256, 50},   {20, "IQ4_NL", 32, 18},   {21, "IQ3_S", 256, 110},
      {22, "IQ2_S", 256, 82},    {23, "IQ4_XS", 256, 136}, {24, "I8", 1, 1},         {25, "I16", 1, 2},
      {26, "I32", 1, 4},         {27, "I64", 1, 8},        {28, "F64", 1, 8},        {29, "IQ1_M", 256, 56},
      {30, "BF16", 1, 2},        {34, "TQ1_0", 256, 54},   {35, "TQ2_0", 256, 66},   {39, "MXFP4", 32, 17},
      {40, "NVFP4", 64, 36},     {41, "Q1_0", 128, 18},
  };
  ASSERT_EQ(ggml_types().size(), std::size(expected));
  for (const Row& row : expected) {
    auto t = find_ggml_type(row.id);
    ASSERT_TRUE(t.ok()) << row.name;
    EXPECT_EQ(t->name, row.name);
    EXPECT_EQ(t->block_elements, row.block) << row.name;
    EXPECT_EQ(t->block_bytes, row.bytes) << row.name;
    const GgmlType* by_name = find_ggml_type_by_name(row.name);
    ASSERT_NE(by_name, nullptr);
    EXPECT_EQ(by_name->id, row.id);
  }
}

TEST(GgmlTypes, RemovedAndUnknownIdsAreNamedInTheError) {
  for (uint32_t id : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u}) {
    auto t = find_ggml_type(id);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().message, "ggml type id " + std::to_string(id) + " was removed from ggml and is not supported");
  }
  for (uint32_t id : {42u, 1000u, 0xFFFFFFFFu}) {
    auto t = find_ggml_type(id);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().message, "unknown ggml type id " + std::to_string(id));
  }
  EXPECT_EQ(find_ggml_type_by_name("Q4_K_M"), nullptr);
}

TEST(GgmlTypes, TensorBytesAreWholeBlocks) {
  auto q4k = *find_ggml_type(kQ4_K);
  EXPECT_EQ(*ggml_tensor_bytes(q4k, {4096, 32000}), 4096ull * 32000 / 256 * 144);
  EXPECT_EQ(*ggml_tensor_bytes(*find_ggml_type(kQ8_0), {64, 3}), 2ull * 3 * 34);
  EXPECT_EQ(*ggml_tensor_bytes(*find_ggml_type(39), {32, 2}), 2ull * 17);           // MXFP4
  EXPECT_EQ(*ggml_tensor_bytes(*find_ggml_type(34), {256, 4}), 4ull * 54);          // TQ1_0
  EXPECT_EQ(*ggml_tensor_bytes(*find_ggml_type(kF32), {}), 4u);                     // 0-d
  EXPECT_EQ(*ggml_tensor_bytes(*find_ggml_type(kF16), {7, 0}), 0u);
  auto bad = ggml_tensor_bytes(q4k, {4000, 2});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "first dimension 4000 is not a multiple of the Q4_K block size 256");
  EXPECT_FALSE(ggml_tensor_bytes(*find_ggml_type(kF32), {1ull << 32, 1ull << 32, 1ull << 32}).ok());
}

TEST(GgmlTypes, LlamaFileTypeNames) {
  EXPECT_EQ(llama_file_type_name(15), "Q4_K_M");
  EXPECT_EQ(llama_file_type_name(7), "Q8_0");
  EXPECT_EQ(llama_file_type_name(32), "BF16");
  EXPECT_EQ(llama_file_type_name(38), "MXFP4_MOE");
  EXPECT_EQ(llama_file_type_name(4), "");
}

// ---------------------------------------------------------------- metadata

class GgufVersions : public ::testing::TestWithParam<uint32_t> {};

TEST_P(GgufVersions, ReadsEveryMetadataTypeAndNestedArrays) {
  GgufWriter w(GetParam());
  w.kv("u8", VT::kU8, le(200, 1))
      .kv("i8", VT::kI8, le(static_cast<uint8_t>(-5), 1))
      .kv("u16", VT::kU16, le(65535, 2))
      .kv("i16", VT::kI16, le(static_cast<uint16_t>(-300), 2))
      .kv_u32("u32", 4000000000u)
      .kv("i32", VT::kI32, le32(static_cast<uint32_t>(-70000)))
      .kv_f32("f32", 1.5f)
      .kv("bool", VT::kBool, le(1, 1))
      .kv_string("string", "héllo")
      .kv_u64("u64", 18446744073709551615ull)
      .kv("i64", VT::kI64, le64(static_cast<uint64_t>(-9000000000ll)))
      .kv("f64", VT::kF64, testing::gguf_f64(-2.25))
      .kv("arr.u16", VT::kArray, gguf_array(VT::kU16, 3, le(1, 2) + le(2, 2) + le(3, 2)))
      .kv_string_array("arr.str", {"a", "", "ccc"})
      .kv("arr.nested", VT::kArray,
          gguf_array(VT::kArray, 2,
                     gguf_array(VT::kI8, 1, le(0xFF, 1)) + gguf_array(VT::kString, 1, gguf_string("x"))))
      .kv("arr.empty", VT::kArray, gguf_array(VT::kF64, 0, ""))
      .tensor("t", kF32, {8, 2});
  auto f = read_bytes(w.bytes());
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->version, GetParam());
  const GgufMetadata& m = f->metadata;
  ASSERT_EQ(m.entries.size(), 16u);
  EXPECT_EQ(m.entries[0].first, "u8");
  EXPECT_EQ(m.entries[15].first, "arr.empty");
  EXPECT_EQ(*m.get_uint("u8"), 200u);
  EXPECT_EQ(m.find("i8")->i, -5);
  EXPECT_EQ(m.find("i8")->type, VT::kI8);
  EXPECT_EQ(*m.get_uint("u16"), 65535u);
  EXPECT_EQ(m.find("i16")->i, -300);
  EXPECT_EQ(*m.get_uint("u32"), 4000000000u);
  EXPECT_EQ(m.find("i32")->i, -70000);
  EXPECT_FALSE(m.get_uint("i32").has_value());
  EXPECT_EQ(m.find("f32")->f, 1.5);
  EXPECT_EQ(m.find("bool")->u, 1u);
  EXPECT_EQ(*m.get_string("string"), "héllo");
  EXPECT_EQ(*m.get_uint("u64"), 18446744073709551615ull);
  EXPECT_EQ(m.find("i64")->i, -9000000000ll);
  EXPECT_EQ(m.find("f64")->f, -2.25);
  const GgufValue* arr = m.find("arr.u16");
  EXPECT_EQ(arr->element_type, VT::kU16);
  EXPECT_EQ(arr->length, 3u);
  EXPECT_FALSE(arr->elided);
  EXPECT_EQ(arr->to_json().dump(), "[1,2,3]");
  EXPECT_EQ(m.find("arr.str")->to_json().dump(), R"(["a","","ccc"])");
  const GgufValue* nested = m.find("arr.nested");
  ASSERT_EQ(nested->items.size(), 2u);
  EXPECT_EQ(nested->items[0].items[0].i, -1);
  EXPECT_EQ(nested->items[1].items[0].s, "x");
  EXPECT_EQ(nested->to_json().dump(), R"([[-1],["x"]])");
  EXPECT_EQ(m.find("arr.empty")->to_json().dump(), "[]");
  EXPECT_EQ(m.find("bool")->to_json().dump(), "true");
  EXPECT_EQ(m.find("i64")->to_json().dump(), "-9000000000");
  EXPECT_EQ(m.find("missing"), nullptr);
}

TEST(Gguf, InvalidUtf8StringsStillPrintAsJson) {
  GgufWriter w;
  w.kv_string("bad", std::string("a\xff\xfe", 3));
  auto f = read_bytes(w.bytes());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->metadata.find("bad")->s, std::string("a\xff\xfe", 3));
  EXPECT_EQ(f->metadata.find("bad")->to_json().dump(), "\"a\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

INSTANTIATE_TEST_SUITE_P(V2AndV3, GgufVersions, ::testing::Values(2u, 3u));

TEST(Gguf, LongArraysKeepOnlyTypeAndLength) {
  std::string u32s, arrays;
  for (int i = 0; i < 65; ++i) u32s += le32(i);
  for (int i = 0; i < 100; ++i) arrays += gguf_array(VT::kString, 1, gguf_string("s"));
  GgufWriter w;
  w.kv_string_array("tokens", testing::fake_vocab(1000))
      .kv("u32.65", VT::kArray, gguf_array(VT::kU32, 65, u32s))
      .kv("u32.64", VT::kArray, gguf_array(VT::kU32, 64, u32s.substr(4)))
      .kv("nested.100", VT::kArray, gguf_array(VT::kArray, 100, arrays))
      .kv_u32("after", 7);
  auto f = read_bytes(w.bytes());
  ASSERT_TRUE(f.ok()) << f.error().message;
  const GgufValue* tokens = f->metadata.find("tokens");
  EXPECT_TRUE(tokens->elided);
  EXPECT_EQ(tokens->length, 1000u);
  EXPECT_EQ(tokens->element_type, VT::kString);
  EXPECT_TRUE(tokens->items.empty());
  EXPECT_EQ(tokens->to_json().dump(), R"({"array":"string","length":1000})");
  EXPECT_TRUE(f->metadata.find("u32.65")->elided);
  EXPECT_FALSE(f->metadata.find("u32.64")->elided);
  EXPECT_EQ(f->metadata.find("u32.64")->items.back().u, 64u);
  EXPECT_TRUE(f->metadata.find("nested.100")->elided);
  EXPECT_EQ(f->metadata.find("nested.100")->length, 100u);
  EXPECT_EQ(*f->metadata.get_uint("after"), 7u);  // skipping landed on the next entry
}

TEST(Gguf, CustomAlignmentPlacesTheDataSection) {
  GgufWriter w;
  w.alignment(4096).tensor("a", kF32, {3}).tensor("b", kQ8_0, {32, 2});
  auto f = read_bytes(w.bytes());
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->alignment, 4096u);
  EXPECT_EQ(f->data_offset, 4096u);
  ASSERT_EQ(f->tensors.size(), 2u);
  EXPECT_EQ(f->tensors[1].offset, 4096u);
  EXPECT_EQ(f->tensors[1].info.bytes, 68u);
  EXPECT_EQ(f->file_size, 4096u + 4096u + 68u);

  GgufWriter defaults;
  defaults.kv_string("k", "v").tensor("a", kF32, {3}).tensor("b", kF32, {1});
  auto d = read_bytes(defaults.bytes());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->alignment, 32u);
  EXPECT_EQ(d->data_offset % 32, 0u);
  EXPECT_EQ(d->tensors[1].offset, 32u);
}

TEST(Gguf, BadAlignmentIsRejected) {
  for (uint32_t a : {0u, 48u, 3u}) {
    GgufWriter w;
    w.kv_u32("general.alignment", a);
    expect_error(w.bytes(), "general.alignment must be a power of two");
  }
  GgufWriter s;
  s.kv_string("general.alignment", "32");
  expect_error(s.bytes(), "general.alignment");
}

TEST(Gguf, ModelFactsFromMetadata) {
  GgufWriter w;
  w.kv_string("general.architecture", "qwen3")
      .kv_string("general.name", "Qwen3 8B")
      .kv_u32("general.file_type", 7)
      .kv_u32("qwen3.context_length", 40960)
      .kv_u32("qwen3.block_count", 36)
      .kv_u32("qwen3.embedding_length", 4096)
      .kv_u32("qwen3.attention.head_count", 32)
      .kv_u32("qwen3.attention.head_count_kv", 8);
  auto f = read_bytes(w.bytes());
  ASSERT_TRUE(f.ok());
  GgufModelFacts facts = gguf_model_facts(f->metadata);
  EXPECT_EQ(facts.architecture, "qwen3");
  EXPECT_EQ(facts.name, "Qwen3 8B");
  EXPECT_EQ(*facts.file_type, 7u);
  EXPECT_EQ(*facts.context_length, 40960u);
  EXPECT_EQ(*facts.block_count, 36u);
  EXPECT_EQ(*facts.embedding_length, 4096u);
  EXPECT_EQ(*facts.head_count, 32u);
  EXPECT_EQ(*facts.head_count_kv, 8u);
  EXPECT_FALSE(facts.split_count.has_value());
}

// ---------------------------------------------------------------- Llama-2-7B Q4_K_M

TEST(Gguf, Llama2_7B_Q4_K_M_CountsEveryTypeExactly) {
  TempDir dir;
  std::string path = dir.file("llama-2-7b.Q4_K_M.gguf");
  testing::llama2_7b_q4_k_m().write(path);
  auto reader = open_file_reader(path);
  ASSERT_TRUE(reader.ok());
  CountingReader counting(std::move(*reader));
  auto f = read_gguf(counting);
  ASSERT_TRUE(f.ok()) << f.error().message;

  // Layers whose attn_v and ffn_down llama.cpp stores as Q6_K in Q4_K_M.
  const uint64_t more_bits_layers = std::size({0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31});
  const uint64_t h = 4096, ffn = 11008, vocab = 32000, layers = 32;
  const uint64_t q6k = vocab * h + more_bits_layers * (h * h + ffn * h);
  const uint64_t q4k = vocab * h + layers * (3 * h * h + 2 * h * ffn) + (layers - more_bits_layers) * (h * h + ffn * h);
  const uint64_t f32 = (2 * layers + 1) * h;
  WeightsSummary s = gguf_weights(*f);
  EXPECT_EQ(s.parameters, (std::map<std::string, uint64_t>{{"F32", f32}, {"Q4_K", q4k}, {"Q6_K", q6k}}));
  EXPECT_EQ(s.parameters.at("Q6_K"), 1'120'927'744u);
  EXPECT_EQ(s.total(), 6'738'415'616u);  // Llama-2-7B
  EXPECT_EQ(s.tensors.size(), 291u);
  EXPECT_EQ(s.weight_bytes, q4k / 256 * 144 + q6k / 256 * 210 + f32 * 4);
  EXPECT_EQ(f->file_size, f->data_offset + s.weight_bytes);  // tensors packed back to back
  EXPECT_EQ(f->file_size, std::filesystem::file_size(path));

  const GgufTensor& embd = f->tensors.front();
  EXPECT_EQ(embd.info.name, "token_embd.weight");
  EXPECT_EQ(embd.info.dtype, "Q4_K");
  EXPECT_EQ(embd.info.shape, (std::vector<uint64_t>{4096, 32000}));
  EXPECT_EQ(embd.offset, 0u);
  EXPECT_EQ(f->tensors.back().info.dtype, "Q6_K");

  GgufModelFacts facts = gguf_model_facts(f->metadata);
  EXPECT_EQ(facts.architecture, "llama");
  EXPECT_EQ(*facts.block_count, 32u);
  EXPECT_EQ(llama_file_type_name(*facts.file_type), "Q4_K_M");
  EXPECT_EQ(f->metadata.find("tokenizer.ggml.tokens")->length, 32000u);
  EXPECT_TRUE(f->metadata.find("tokenizer.ggml.scores")->elided);
  EXPECT_EQ(counting.reads, 1);  // the ~0.5 MB header fits the first 1 MiB read
}

TEST(Gguf, FiveMegabyteHeaderCostsFewReads) {
  GgufWriter w;
  w.kv_string("general.architecture", "qwen2")
      .kv_string_array("tokenizer.ggml.tokens", testing::fake_vocab(250'000))
      .kv_string_array("tokenizer.ggml.merges", testing::fake_vocab(100'000))
      .tensor("token_embd.weight", kF16, {64, 1000});
  std::string bytes = w.bytes();
  ASSERT_GT(w.data_offset(), 5'000'000u);
  CountingReader counting(make_memory_reader(bytes));
  auto f = read_gguf(counting);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->metadata.find("tokenizer.ggml.tokens")->length, 250'000u);
  EXPECT_EQ(f->metadata.find("tokenizer.ggml.merges")->length, 100'000u);
  EXPECT_EQ(f->tensors[0].info.elements, 64u * 1000);
  EXPECT_EQ(counting.reads, 3);  // 1 MiB, then 2 and 4 MiB chunks
  EXPECT_EQ(counting.bytes, bytes.size());  // every byte fetched once
}

// Fails every read after the first `good` ones, like a dropped connection.
class FlakyReader final : public RangeReader {
 public:
  FlakyReader(std::string bytes, int good) : inner_(make_memory_reader(std::move(bytes), "remote.gguf")), good_(good) {}
  Result<std::string> read(uint64_t offset, uint64_t length) override {
    if (good_-- <= 0) return Error{"remote.gguf: connection reset"};
    return inner_->read(offset, length);
  }
  Result<uint64_t> size() override { return inner_->size(); }
  std::string describe() const override { return "remote.gguf"; }

 private:
  std::unique_ptr<RangeReader> inner_;
  int good_;
};

TEST(Gguf, ReadErrorsPassThroughNamedOnce) {
  GgufWriter w;
  w.kv_string_array("tokens", testing::fake_vocab(150'000));
  ASSERT_GT(w.data_offset(), 1u << 20);
  ASSERT_LT(w.data_offset(), 3u << 20);
  FlakyReader first(w.bytes(), 0);
  EXPECT_EQ(read_gguf(first).error().message, "remote.gguf: connection reset");
  FlakyReader second(w.bytes(), 1);  // the 2.5 MB header needs a second read
  EXPECT_EQ(read_gguf(second).error().message, "remote.gguf: metadata 'tokens': connection reset");
  FlakyReader enough(w.bytes(), 2);
  EXPECT_TRUE(read_gguf(enough).ok());
}

// ---------------------------------------------------------------- hostile headers

TEST(GgufHostile, BadMagicVersionAndEndianness) {
  expect_error("", "not a GGUF file");
  expect_error("GGU", "not a GGUF file");
  expect_error("GGML" + le32(3) + le64(0) + le64(0), "not a GGUF file");
  expect_error(preamble(0, 0, 1), "GGUF v1 is not supported");
  expect_error(preamble(0, 0, 4), "unsupported GGUF version 4");
  expect_error("GGUF" + std::string("\0\0\0\3", 4) + le64(0) + le64(0), "big-endian GGUF files are not supported");
  expect_error("FUGG" + le32(3) + le64(0) + le64(0), "big-endian");
  EXPECT_TRUE(read_bytes(preamble(0, 0, 2)).ok());
  EXPECT_TRUE(read_bytes(preamble(0, 0, 3)).ok());
}

TEST(GgufHostile, AbsurdCounts) {
  expect_error(preamble(1ull << 63, 0), "tensor count 9223372036854775808 exceeds the limit of 1000000");
  expect_error(preamble(999'999, 0), "tensor count 999999 cannot fit");
  expect_error(preamble(0, ~0ull), "metadata count 18446744073709551615 exceeds the limit");
  expect_error(preamble(0, 1000), "metadata count 1000 cannot fit");
}

TEST(GgufHostile, AbsurdLengths) {
  const std::string pad(64, '\0');
  expect_error(preamble(0, 1) + le64(1ull << 62) + pad, "metadata key of 4611686018427387904 bytes exceeds");
  expect_error(preamble(0, 1) + le64(100) + "k" + pad, "metadata key of 100 bytes runs past the end");
  expect_error(preamble(0, 1) + gguf_string("k") + le32(8) + le64(~0ull) + pad, "string of 18446744073709551615");
  expect_error(preamble(0, 1) + gguf_string("k") + le32(8) + le64(5000) + pad, "runs past the end");
  expect_error(preamble(0, 1) + gguf_string("k") + le32(9) + gguf_array(VT::kU64, 1ull << 61, "") + pad,
               "array of 2305843009213693952 u64 elements cannot fit");
  expect_error(preamble(0, 1) + gguf_string("k") + le32(9) + gguf_array(VT::kString, 1'000'000'000'000, "") + pad,
               "cannot fit");
  expect_error(preamble(1, 0) + le64(1ull << 40) + pad, "tensor name of 1099511627776 bytes exceeds");
}

TEST(GgufHostile, UnknownTypes) {
  const std::string pad(64, '\0');
  expect_error(preamble(0, 1) + gguf_string("k") + le32(13) + pad, "metadata 'k': unknown metadata value type 13");
  expect_error(preamble(0, 1) + gguf_string("k") + le32(9) + le32(99) + le64(1) + pad, "unknown metadata value type 99");
  GgufWriter removed;
  removed.tensor_at("t", 31, {32}, 0, 32);
  expect_error(removed.bytes(), "tensor 't': ggml type id 31 was removed");
  GgufWriter unknown;
  unknown.tensor_at("t", 200, {32}, 0, 32);
  expect_error(unknown.bytes(), "tensor 't': unknown ggml type id 200");
}

TEST(GgufHostile, BadTensorShapes) {
  GgufWriter five;
  five.tensor_at("t", kF32, {1, 1, 1, 1, 1}, 0, 4);
  expect_error(five.bytes(), "tensor 't': has 5 dimensions; GGUF allows at most 4");
  expect_error(preamble(1, 0) + gguf_string("t") + le32(0xFFFFFFFF) + std::string(64, '\0'), "4294967295 dimensions");
  GgufWriter overflow;
  overflow.tensor_at("t", kF32, {1ull << 32, 1ull << 32, 1ull << 32}, 0, 4);
  expect_error(overflow.bytes(), "tensor 't': element count overflows");
  GgufWriter partial_block;
  partial_block.tensor_at("t", kQ4_K, {100, 2}, 0, 144);
  expect_error(partial_block.bytes(), "first dimension 100 is not a multiple of the Q4_K block size 256");
}

TEST(GgufHostile, TensorDataOutsideTheFileOrMisaligned) {
  GgufWriter w;
  w.tensor("a", kF32, {8}).tensor("b", kF32, {8});
  std::string bytes = w.bytes();
  EXPECT_TRUE(read_bytes(bytes).ok());
  expect_error(bytes.substr(0, bytes.size() - 1), "tensor 'b': data (32 bytes at offset 32) runs past the end");
  GgufWriter far;
  far.tensor_at("t", kF32, {8}, 1ull << 40, 32);
  std::string far_bytes = far.header() + std::string(64, '\0');
  expect_error(far_bytes, "runs past the end of the file");
  GgufWriter wrap;
  wrap.tensor_at("t", kF32, {8}, ~0ull - 31, 32);
  expect_error(wrap.header() + std::string(64, '\0'), "runs past the end of the file");
  GgufWriter misaligned;
  misaligned.tensor_at("t", kF32, {8}, 8, 32);
  expect_error(misaligned.bytes(), "tensor 't': data offset 8 is not a multiple of the alignment 32");
}

TEST(GgufHostile, DuplicateKeysAndTensorNames) {
  GgufWriter keys;
  keys.kv_u32("a", 1).kv_u32("a", 2);
  expect_error(keys.bytes(), "duplicate metadata 'a'");
  GgufWriter tensors;
  tensors.tensor("t", kF32, {1}).tensor("t", kF32, {1});
  expect_error(tensors.bytes(), "duplicate tensor 't'");
}

std::string nested_u8_array(unsigned depth) {
  std::string value = gguf_array(VT::kU8, 1, le(7, 1));
  for (unsigned d = 1; d < depth; ++d) value = gguf_array(VT::kArray, 1, value);
  return value;
}

TEST(GgufHostile, NestingDeeperThanEightIsRejected) {
  GgufWriter ok;
  ok.kv("deep", VT::kArray, nested_u8_array(8));
  auto f = read_bytes(ok.bytes());
  ASSERT_TRUE(f.ok()) << f.error().message;
  const GgufValue* v = f->metadata.find("deep");
  for (int d = 1; d < 8; ++d) v = &v->items.at(0);
  EXPECT_EQ(v->items.at(0).u, 7u);

  GgufWriter deep;
  deep.kv("deep", VT::kArray, nested_u8_array(9));
  expect_error(deep.bytes(), "metadata 'deep': arrays nested deeper than 8 levels");
  // The same limit holds while skipping a long (elided) array.
  std::string long_outer;
  for (int i = 0; i < 100; ++i) long_outer += nested_u8_array(8);
  GgufWriter skipped;
  skipped.kv("deep", VT::kArray, gguf_array(VT::kArray, 100, long_outer));
  expect_error(skipped.bytes(), "arrays nested deeper than 8 levels");
}

TEST(GgufHostile, EveryTruncatedPrefixIsAnError) {
  for (uint32_t version : {2u, 3u}) {
    GgufWriter w(version);
    w.kv_string("general.architecture", "llama")
        .kv("arr", VT::kArray, gguf_array(VT::kArray, 2, nested_u8_array(2) + nested_u8_array(1)))
        .kv_string_array("tokens", testing::fake_vocab(70))
        .kv("f64", VT::kF64, testing::gguf_f64(1.0))
        .alignment(64)
        .tensor("a", kQ8_0, {32, 2})
        .tensor("b", kF32, {5});
    std::string bytes = w.bytes();
    ASSERT_TRUE(read_bytes(bytes).ok());
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto r = read_bytes(bytes.substr(0, n));
      EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes was accepted";
      if (!r.ok()) {
        EXPECT_EQ(r.error().message.rfind("test.gguf: ", 0), 0u) << r.error().message;
      }
    }
  }
}

// ---------------------------------------------------------------- variants

TEST(GgufVariants, GuessesQuantLabels) {
  const std::pair<const char*, const char*> cases[] = {
      {"llama-2-7b.Q4_K_M.gguf", "Q4_K_M"},
      {"Qwen3-8B-Q8_0.gguf", "Q8_0"},
      {"qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf", "Q4_K_M"},
      {"Meta-Llama-3.1-8B-Instruct-IQ4_XS.gguf", "IQ4_XS"},
      {"gemma-2-9b-it-BF16.gguf", "BF16"},
      {"model-f16.gguf", "F16"},
      {"Qwen3-30B-A3B-UD-Q4_K_XL.gguf", "Q4_K_XL"},
      {"gpt-oss-20b-mxfp4.gguf", "MXFP4"},
      {"ggml-model_q5_k_s.gguf", "Q5_K_S"},
      {"Q6_K/Model-00001-of-00002.gguf", "Q6_K"},
      {"mmproj-model-f16.gguf", "F16"},
      {"Qwen3-8B.gguf", ""},
  };
  for (const auto& [path, quant] : cases) EXPECT_EQ(guess_gguf_quant(path), quant) << path;
}

MemoryFileSet variant_repo() {
  MemoryFileSet repo;
  repo.add("README.md", "hello");
  repo.add("llama-2-7b.Q4_K_M.gguf", std::string(100, 'a'));
  repo.add("llama-2-7b.Q8_0.gguf", std::string(200, 'b'));
  repo.add("Q5_K_M/llama-2-7b-Q5_K_M-00001-of-00002.gguf", std::string(10, 'c'));
  repo.add("Q5_K_M/llama-2-7b-Q5_K_M-00002-of-00002.gguf", std::string(20, 'd'));
  repo.add("big-IQ4_XS-00001-of-00003.gguf", std::string(1, 'e'));
  repo.add("big-IQ4_XS-00003-of-00003.gguf", std::string(3, 'f'));
  repo.add("mmproj-model-f16.gguf", std::string(5, 'g'));
  return repo;
}

TEST(GgufVariants, GroupsSplitPartsAndFlagsProjectors) {
  MemoryFileSet repo = variant_repo();
  std::vector<GgufVariant> v = list_gguf_variants(repo);
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0].name, "Q5_K_M/llama-2-7b-Q5_K_M.gguf");
  EXPECT_EQ(v[0].parts, (std::vector<std::string>{"Q5_K_M/llama-2-7b-Q5_K_M-00001-of-00002.gguf",
                                                  "Q5_K_M/llama-2-7b-Q5_K_M-00002-of-00002.gguf"}));
  EXPECT_EQ(v[0].split_count, 2u);
  EXPECT_EQ(v[0].total_bytes, 30u);
  EXPECT_EQ(v[0].quant, "Q5_K_M");
  EXPECT_TRUE(v[0].missing.empty());
  EXPECT_EQ(v[1].name, "big-IQ4_XS.gguf");
  EXPECT_EQ(v[1].missing, (std::vector<uint32_t>{2}));
  EXPECT_EQ(v[1].parts.size(), 2u);
  EXPECT_EQ(v[1].quant, "IQ4_XS");
  EXPECT_EQ(v[2].name, "llama-2-7b.Q4_K_M.gguf");
  EXPECT_EQ(v[2].total_bytes, 100u);
  EXPECT_EQ(v[2].quant, "Q4_K_M");
  EXPECT_EQ(v[3].name, "llama-2-7b.Q8_0.gguf");
  EXPECT_EQ(v[4].name, "mmproj-model-f16.gguf");
  EXPECT_TRUE(v[4].is_projector);
  EXPECT_FALSE(v[2].is_projector);
}

TEST(GgufVariants, SelectsByFileNameSetNameOrQuantLabel) {
  MemoryFileSet repo = variant_repo();
  std::vector<GgufVariant> v = list_gguf_variants(repo);
  EXPECT_EQ(select_gguf_variant(v, "llama-2-7b.Q4_K_M.gguf")->name, "llama-2-7b.Q4_K_M.gguf");
  EXPECT_EQ(select_gguf_variant(v, "Q4_K_M")->name, "llama-2-7b.Q4_K_M.gguf");
  EXPECT_EQ(select_gguf_variant(v, "q8_0")->name, "llama-2-7b.Q8_0.gguf");
  EXPECT_EQ(select_gguf_variant(v, "q5_k_m")->name, "Q5_K_M/llama-2-7b-Q5_K_M.gguf");
  EXPECT_EQ(select_gguf_variant(v, "llama-2-7b-Q5_K_M.gguf")->name, "Q5_K_M/llama-2-7b-Q5_K_M.gguf");
  EXPECT_EQ(select_gguf_variant(v, "llama-2-7b-Q5_K_M-00002-of-00002.gguf")->name, "Q5_K_M/llama-2-7b-Q5_K_M.gguf");
  EXPECT_EQ(select_gguf_variant(v, "F16")->name, "mmproj-model-f16.gguf");  // only a projector has it

  auto unknown = select_gguf_variant(v, "Q2_K");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().exit_code, 2);
  EXPECT_EQ(unknown.error().message.rfind("no GGUF variant matches 'Q2_K'; choices: ", 0), 0u);
  EXPECT_NE(unknown.error().message.find("llama-2-7b.Q8_0.gguf (Q8_0)"), std::string::npos);

  auto several = select_gguf_variant(v, "");
  ASSERT_FALSE(several.ok());
  EXPECT_EQ(several.error().message.rfind("several GGUF variants; choose one of: ", 0), 0u);
  EXPECT_EQ(several.error().message.find("mmproj"), std::string::npos);

  MemoryFileSet two;
  two.add("a.Q4_K_M.gguf", "x");
  two.add("b-q4_k_m.gguf", "y");
  two.add("mmproj-f16.gguf", "z");
  auto w = list_gguf_variants(two);
  auto ambiguous = select_gguf_variant(w, "Q4_K_M");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().message,
            "'Q4_K_M' matches several GGUF variants; choose one of: a.Q4_K_M.gguf (Q4_K_M), b-q4_k_m.gguf (Q4_K_M)");
  EXPECT_EQ(select_gguf_variant(w, "b-q4_k_m.gguf")->name, "b-q4_k_m.gguf");

  MemoryFileSet single;
  single.add("model-Q8_0.gguf", "x");
  single.add("mmproj-model-f16.gguf", "y");
  EXPECT_EQ(select_gguf_variant(list_gguf_variants(single), "")->name, "model-Q8_0.gguf");
  EXPECT_EQ(select_gguf_variant({}, "").error().message, "no .gguf files found");
}

GgufWriter small_model() {
  GgufWriter w;
  w.kv_string("general.architecture", "llama").kv_u32("llama.block_count", 2);
  for (int i = 0; i < 6; ++i) w.tensor("t" + std::to_string(i), kQ8_0, {32, uint64_t(i + 1)});
  return w;
}

TEST(GgufVariants, ReadsEverySplitPartAndMerges) {
  auto parts = testing::split_gguf(small_model(), 3);
  MemoryFileSet repo;
  for (unsigned p = 0; p < 3; ++p)
    repo.add("m-Q8_0-0000" + std::to_string(p + 1) + "-of-00003.gguf", parts[p].bytes());
  auto variants = list_gguf_variants(repo);
  ASSERT_EQ(variants.size(), 1u);
  auto s = read_gguf_variant(repo, variants[0], 3);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->parts.size(), 3u);
  EXPECT_EQ(s->weights.tensors.size(), 6u);
  EXPECT_EQ(s->weights.parameters.at("Q8_0"), 32u * (1 + 2 + 3 + 4 + 5 + 6));
  EXPECT_EQ(s->weights.weight_bytes, 34u * 21);
  EXPECT_EQ(s->weights.tensors[5].name, "t5");
  EXPECT_EQ(gguf_model_facts(s->parts[0].metadata).architecture, "llama");
  EXPECT_EQ(*gguf_model_facts(s->parts[2].metadata).split_no, 2u);
}

TEST(GgufVariants, SplitErrors) {
  auto parts = testing::split_gguf(small_model(), 3);
  MemoryFileSet missing;
  missing.add("m-00001-of-00003.gguf", parts[0].bytes());
  missing.add("m-00003-of-00003.gguf", parts[2].bytes());
  auto v = list_gguf_variants(missing);
  auto r = read_gguf_variant(missing, v.at(0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "m.gguf: split set is missing part(s) 2 of 3");

  MemoryFileSet swapped;  // part files in the wrong order
  swapped.add("m-00001-of-00003.gguf", parts[1].bytes());
  swapped.add("m-00002-of-00003.gguf", parts[0].bytes());
  swapped.add("m-00003-of-00003.gguf", parts[2].bytes());
  r = read_gguf_variant(swapped, list_gguf_variants(swapped).at(0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "m-00001-of-00003.gguf: split.no is 1, expected 0");

  MemoryFileSet wrong_count;  // three parts of a set that says it has two
  auto two = testing::split_gguf(small_model(), 2);
  wrong_count.add("m-00001-of-00003.gguf", two[0].bytes());
  wrong_count.add("m-00002-of-00003.gguf", two[1].bytes());
  wrong_count.add("m-00003-of-00003.gguf", parts[2].bytes());
  r = read_gguf_variant(wrong_count, list_gguf_variants(wrong_count).at(0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "m-00001-of-00003.gguf: split.count is 2 but the variant has 3 part(s)");

  MemoryFileSet duplicated;
  duplicated.add("m-00001-of-00002.gguf", two[0].bytes());
  GgufWriter dup;
  dup.kv("split.no", VT::kU16, le(1, 2)).kv("split.count", VT::kU16, le(2, 2)).tensor("t0", kQ8_0, {32});
  duplicated.add("m-00002-of-00002.gguf", dup.bytes());
  r = read_gguf_variant(duplicated, list_gguf_variants(duplicated).at(0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "m-00002-of-00002.gguf: tensor 't0' also appears in an earlier part");

  MemoryFileSet short_set;  // split.tensors.count says 6, parts hold 3 + 1
  GgufWriter last;
  last.kv("split.no", VT::kU16, le(1, 2)).kv("split.count", VT::kU16, le(2, 2)).tensor("x", kQ8_0, {32});
  short_set.add("m-00001-of-00002.gguf", two[0].bytes());
  short_set.add("m-00002-of-00002.gguf", last.bytes());
  r = read_gguf_variant(short_set, list_gguf_variants(short_set).at(0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "m.gguf: split.tensors.count is 6 but the parts hold 4 tensors");

  MemoryFileSet broken;
  broken.add("m-00001-of-00002.gguf", two[0].bytes());
  broken.add("m-00002-of-00002.gguf", "GGUF");
  r = read_gguf_variant(broken, list_gguf_variants(broken).at(0));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("m-00002-of-00002.gguf: truncated", 0), 0u) << r.error().message;
}

TEST(GgufVariants, Llama2SplitOnDiskMatchesTheSingleFile) {
  TempDir dir;
  GgufWriter model = testing::llama2_7b_q4_k_m();
  auto parts = testing::split_gguf(model, 3);
  for (unsigned p = 0; p < 3; ++p)
    parts[p].write(dir.file("llama-2-7b-Q4_K_M-0000" + std::to_string(p + 1) + "-of-00003.gguf"));
  model.write(dir.file("llama-2-7b.Q4_K_M.gguf"));
  auto files = open_local_file_set(dir.path());
  ASSERT_TRUE(files.ok());
  auto variants = list_gguf_variants(**files);
  ASSERT_EQ(variants.size(), 2u);
  auto split = select_gguf_variant(variants, "llama-2-7b-Q4_K_M.gguf");
  ASSERT_TRUE(split.ok()) << split.error().message;
  EXPECT_EQ(split->parts.size(), 3u);
  auto whole = read_gguf_variant(**files, *select_gguf_variant(variants, "llama-2-7b.Q4_K_M.gguf"), 2);
  auto merged = read_gguf_variant(**files, *split, 2);
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(merged->weights.parameters, whole->weights.parameters);
  EXPECT_EQ(merged->weights.total(), 6'738'415'616u);
  EXPECT_EQ(merged->weights.weight_bytes, whole->weights.weight_bytes);
  EXPECT_EQ(*gguf_model_facts(merged->parts[0].metadata).split_tensors_count, 291u);
}

}  // namespace
}  // namespace hubcap
