#include "formats/gguf_config.h"

#include <gtest/gtest.h>

#include "support/gguf_writer.h"
#include "support/temp_dir.h"
#include "util/range_reader.h"

namespace hubcap {
namespace {

using testing::GgufWriter;
using testing::gguf_array;
using testing::le32;
using VT = GgufValueType;

// Written as a sparse file: the tensor data of a 7B model is gigabytes of holes.
GgufMetadata metadata_of(const GgufWriter& w) {
  testing::TempDir dir("hubcap-gguf-config");
  const std::string path = (dir.path() / "model.gguf").string();
  w.write(path);
  auto reader = open_file_reader(path);
  if (!reader.ok()) return {};
  auto file = read_gguf(**reader);
  EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message);
  return file.ok() ? file->metadata : GgufMetadata{};
}

TEST(GgufConfig, LlamaKeysBecomeConfigFields) {
  nlohmann::json c = config_from_gguf(metadata_of(testing::llama2_7b_q4_k_m()), true);
  EXPECT_EQ(c, nlohmann::json({{"model_type", "llama"},
                               {"tie_word_embeddings", false},
                               {"num_hidden_layers", 32},
                               {"hidden_size", 4096},
                               {"intermediate_size", 11008},
                               {"num_attention_heads", 32},
                               {"num_key_value_heads", 32},
                               {"max_position_embeddings", 4096},
                               {"vocab_size", 32000}}));
}

// A hybrid model lists KV heads per layer; layers with none are recurrent.
TEST(GgufConfig, PerLayerKvHeadsMarkLinearLayers) {
  GgufWriter w;
  std::string heads = le32(0) + le32(8) + le32(0) + le32(8);
  w.kv_string("general.architecture", "granitehybrid")
      .kv_u32("granitehybrid.block_count", 4)
      .kv("granitehybrid.attention.head_count_kv", VT::kArray, gguf_array(VT::kU32, 4, heads));
  nlohmann::json c = config_from_gguf(metadata_of(w), false);
  EXPECT_EQ(c["num_key_value_heads"], 8);
  EXPECT_EQ(c["layer_types"],
            nlohmann::json({"linear_attention", "full_attention", "linear_attention", "full_attention"}));
  EXPECT_EQ(c["tie_word_embeddings"], true);
}

TEST(GgufConfig, DeepSeekMlaKeys) {
  GgufWriter w;
  w.kv_string("general.architecture", "deepseek2")
      .kv_u32("deepseek2.attention.kv_lora_rank", 512)
      .kv_u32("deepseek2.rope.dimension_count", 64)
      .kv_u32("deepseek2.expert_count", 64)
      .kv_u32("deepseek2.expert_used_count", 6);
  nlohmann::json c = config_from_gguf(metadata_of(w), true);
  EXPECT_EQ(c["model_type"], "deepseek_v2");
  EXPECT_EQ(c["kv_lora_rank"], 512);
  EXPECT_EQ(c["qk_rope_head_dim"], 64);
  EXPECT_EQ(c["num_experts"], 64);
  EXPECT_EQ(c["num_experts_per_tok"], 6);
}

}  // namespace
}  // namespace hubcap

namespace hubcap {
namespace {

// A hostile architecture name (not UTF-8) must still give a config that serializes.
TEST(GgufConfig, HostileArchitectureNameStillSerializes) {
  testing::GgufWriter w;
  w.kv_string("general.architecture", std::string("ll\xff\x01ma", 6));
  nlohmann::json c = config_from_gguf(metadata_of(w), true);
  EXPECT_EQ(c["model_type"], "ll??ma");
  EXPECT_NO_THROW((void)c.dump());
}

}  // namespace
}  // namespace hubcap
