#include "plan/candle_vllm_plan.h"

#include <gtest/gtest.h>

#include "arch/config_count.h"
#include "plan_test_util.h"

namespace hubcap {
namespace {

using test::catalog_config;
using test::shape_of;

constexpr uint64_t kMiB = 1024 * 1024;

TensorInfo bf16(std::string name, std::vector<uint64_t> shape) {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return {std::move(name), "BF16", std::move(shape), n, 2 * n};
}

WeightsSummary weights_of(std::vector<TensorInfo> tensors) {
  WeightsSummary w;
  w.tensors = std::move(tensors);
  return w;
}

WeightsSummary catalog_weights(const std::string& id) {
  auto count = count_from_config(catalog_config(id));
  EXPECT_TRUE(count.ok());
  return count.ok() ? count->stored : WeightsSummary{};
}

// Qwen3-8B: 36 layers, 8 KV heads of 128: one 64-token block in bf16 is
// 2 x 64 x 8 x 128 x 36 x 2 = 9,437,184 bytes; --mem 4096 buys 455 of them.
TEST(CandleVllm, MemBudgetBuysWholeBlocks) {
  CandleVllmSettings st;
  st.model_id = "Qwen/Qwen3-8B";
  auto p = plan_candle_vllm(catalog_weights("Qwen/Qwen3-8B"), shape_of("Qwen/Qwen3-8B"), st);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->kv_bytes_per_block, 9437184u);
  EXPECT_EQ(p->kv_blocks, 4096 * kMiB / 9437184);
  EXPECT_EQ(p->kv_blocks, 455u);
  EXPECT_EQ(p->kv_tokens, 455u * 64);
  EXPECT_EQ(p->max_model_len, 40960u);
  EXPECT_DOUBLE_EQ(p->max_concurrency, 29120.0 / 40960.0);
  EXPECT_FALSE(p->fits);  // one 40,960-token request needs more than 4 GB
  EXPECT_EQ(p->command, "candle-vllm --m Qwen/Qwen3-8B --mem 4096");
  EXPECT_EQ(p->weights_per_gpu, catalog_weights("Qwen/Qwen3-8B").total() * 2);
}

TEST(CandleVllm, TensorParallelShardsKvHeadsAndFp8HalvesThem) {
  CandleVllmSettings st;
  st.num_gpus = 2;
  st.fp8_kv_cache = true;
  st.max_model_len = 8192;
  st.model_id = "/models/Qwen3-8B";
  auto p = plan_candle_vllm(catalog_weights("Qwen/Qwen3-8B"), shape_of("Qwen/Qwen3-8B"), st);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kv_bytes_per_block, 9437184u / 4);
  EXPECT_EQ(p->kv_blocks, 1820u);
  EXPECT_EQ(p->command, "candle-vllm --w /models/Qwen3-8B --d 0,1 --mem 4096 --kvcache-dtype fp8");
  // 16 GPUs over 8 KV heads: each rank still keeps one whole head.
  st.num_gpus = 16;
  st.fp8_kv_cache = false;
  p = plan_candle_vllm(catalog_weights("Qwen/Qwen3-8B"), shape_of("Qwen/Qwen3-8B"), st);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kv_bytes_per_block, 2u * 64 * 1 * 128 * 36 * 2);
}

// DeepSeek-V2-Lite: MLA caches kv_lora_rank 512 + rope 64 per token and layer, unsharded.
TEST(CandleVllm, MlaCachesTheLatent) {
  CandleVllmSettings st;
  st.num_gpus = 2;
  auto p = plan_candle_vllm(catalog_weights("deepseek-ai/DeepSeek-V2-Lite-Chat"),
                            shape_of("deepseek-ai/DeepSeek-V2-Lite-Chat"), st);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->kv_bytes_per_block, 64u * (512 + 64) * 2 * 27);
}

// In-situ quantization: layer linears to the block type (Q4_K: 144 bytes per
// 256), v_proj and expert down projections to Q6_K (210 per 256), rows that
// do not fill a block to Q8_0 (34 per 32) or left in bf16; embeddings,
// lm_head and norms stay bf16.
TEST(CandleVllm, IsqQuantizesLayerLinearsOnly) {
  auto w = weights_of({bf16("model.embed_tokens.weight", {1000, 512}),
                       bf16("model.layers.0.self_attn.q_proj.weight", {512, 512}),
                       bf16("model.layers.0.self_attn.v_proj.weight", {128, 512}),
                       bf16("model.layers.0.mlp.experts.0.down_proj.weight", {512, 1024}),
                       bf16("model.layers.0.mlp.up_proj.weight", {512, 96}),
                       bf16("model.layers.0.mlp.gate_proj.weight", {512, 100}),
                       bf16("model.layers.0.input_layernorm.weight", {512}),
                       bf16("lm_head.weight", {1000, 512})});
  ModelShape s = shape_of("Qwen/Qwen3-8B");
  CandleVllmSettings st;
  st.isq = "q4k";
  st.max_model_len = 1024;
  auto p = plan_candle_vllm(w, s, st);
  ASSERT_TRUE(p.ok());
  const uint64_t expected = 1000 * 512 * 2          // embedding, bf16
                            + 512 * 512 / 256 * 144  // q_proj, Q4_K
                            + 128 * 512 / 256 * 210  // v_proj, Q6_K
                            + 512 * 1024 / 256 * 210 // expert down_proj, Q6_K
                            + 512 * 96 / 32 * 34     // rows of 96: Q8_0
                            + 512 * 100 * 2          // rows of 100: bf16
                            + 512 * 2                // norm
                            + 1000 * 512 * 2;        // lm_head, bf16
  EXPECT_EQ(p->weights_total, expected);
  EXPECT_EQ(p->weights_per_gpu, expected);
  EXPECT_EQ(p->command, "candle-vllm --m MODEL --isq q4k --mem 4096");

  st.num_gpus = 2;  // everything but the embedding and the norm is split
  p = plan_candle_vllm(w, s, st);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->weights_per_gpu, 1000 * 512 * 2 + 512 * 2 + (expected - 1000 * 512 * 2 - 512 * 2) / 2);
}

TEST(CandleVllm, KvFractionSharesTheFreeMemory) {
  CandleVllmSettings st;
  st.kv_fraction = 0.5;
  st.gpu_memory_gib = 80;
  st.max_model_len = 8192;
  auto w = catalog_weights("Qwen/Qwen3-8B");
  auto p = plan_candle_vllm(w, shape_of("Qwen/Qwen3-8B"), st);
  ASSERT_TRUE(p.ok());
  const double free = 80.0 * 1024 * kMiB - double(p->weights_per_gpu + p->context_overhead);
  EXPECT_EQ(p->kv_blocks, uint64_t(free * 0.5) / kMiB * kMiB / p->kv_bytes_per_block);
  EXPECT_TRUE(p->fits);
  EXPECT_NE(p->command.find("--kv-fraction 0.5"), std::string::npos);
}

TEST(CandleVllm, TooLittleMemorySaysWhy) {
  CandleVllmSettings st;
  st.mem_mb = 16384;
  st.max_model_len = 8192;
  st.gpu_memory_gib = 23.55;
  auto p = plan_candle_vllm(catalog_weights("Qwen/Qwen3-8B"), shape_of("Qwen/Qwen3-8B"), st);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->fits);
  ASSERT_FALSE(p->warnings.empty());
  EXPECT_NE(p->warnings.front().find("lower --mem"), std::string::npos) << p->warnings.front();
}

TEST(CandleVllm, BadSettingsAreOneLineErrors) {
  auto w = catalog_weights("Qwen/Qwen3-8B");
  ModelShape s = shape_of("Qwen/Qwen3-8B");
  auto refused = [&](CandleVllmSettings st, const std::string& part) {
    auto p = plan_candle_vllm(w, s, st);
    ASSERT_FALSE(p.ok()) << part;
    EXPECT_NE(p.error().message.find(part), std::string::npos) << p.error().message;
    EXPECT_EQ(p.error().message.find('\n'), std::string::npos);
  };
  CandleVllmSettings st;
  st.isq = "q7k";
  refused(st, "q4k");
  st = {};
  st.num_gpus = 3;
  refused(st, "power-of-two");
  st = {};
  st.max_model_len = 1 << 20;
  refused(st, "exceeds the model's context");
  st = {};
  st.kv_fraction = 0.5;
  refused(st, "needs --gpu");
  st = {};
  st.mem_mb = 0;
  refused(st, "--mem");
}

}  // namespace
}  // namespace hubcap
