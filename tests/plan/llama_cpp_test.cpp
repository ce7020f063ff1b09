#include "plan/llama_cpp_plan.h"

#include <gtest/gtest.h>

#include "plan_test_util.h"

namespace hubcap {
namespace {

using test::shape_of;

// ollama/ollama#8990 (llama.cpp inside): Qwen2.5-7B, kv_size 8192, f16 cache:
// "CUDA0 KV buffer size = 448.00 MiB".
TEST(LlamaCpp, KvMatchesPublishedBuffer) {
  ModelShape s = shape_of("Qwen/Qwen2.5-7B-Instruct");
  LlamaCppSettings st;
  st.n_ctx = 8192;
  st.parameters = 7615616512;
  auto p = plan_llama_cpp(s, st);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kv_gpu, 448ull << 20);
  EXPECT_EQ(p->kv_cpu, 0u);
  EXPECT_TRUE(p->output_on_gpu);
}

TEST(LlamaCpp, OffloadSplitsWeightsAndKvByLayer) {
  ModelShape s = shape_of("meta-llama/Llama-3.1-8B");
  LlamaCppSettings st;
  st.n_ctx = 8192;
  st.parameters = 8030261248;
  st.weight_type = "q8_0";
  st.n_gpu_layers = 16;
  st.gpu_memory_gib = 8;
  auto p = plan_llama_cpp(s, st);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->layers_on_gpu, 16u);
  EXPECT_FALSE(p->output_on_gpu);
  EXPECT_EQ(p->kv_gpu, p->kv_cpu);  // half of 32 layers
  EXPECT_EQ(p->weights_gpu + p->weights_cpu, p->weights_total);
  EXPECT_EQ(p->weights_total, uint64_t(8030261248.0 * 8.5 / 8.0));
  EXPECT_EQ(p->command, "llama-server -m MODEL-q8_0.gguf -c 8192 -ngl 16");
  EXPECT_FALSE(plan_llama_cpp(s, {8192, "f16", "f16", -1, 512, "Q9_X", 1, 0, "", ""}).ok());
}

}  // namespace
}  // namespace hubcap

namespace hubcap {
namespace {

TensorInfo gguf_tensor(std::string name, uint64_t bytes) { return {std::move(name), "Q4_K", {256}, 256, bytes}; }

// With the GGUF's own tensors, sizes are exact and -ngl N offloads the last N blocks.
TEST(LlamaCpp, GgufTensorsGiveExactLayerBytes) {
  WeightsSummary w;
  w.tensors = {gguf_tensor("token_embd.weight", 7000), gguf_tensor("blk.0.attn_q.weight", 500),
               gguf_tensor("blk.31.attn_q.weight", 1000), gguf_tensor("output_norm.weight", 10),
               gguf_tensor("output.weight", 3000)};
  LlamaCppSettings st;
  st.n_ctx = 4096;
  st.weight_type = "IQ3_XXS";  // not in the bits-per-weight table: not needed with tensors
  st.n_gpu_layers = 1;
  st.gguf_source = "-hf org/model-GGUF:IQ3_XXS";
  auto p = plan_llama_cpp(test::shape_of("meta-llama/Llama-3.1-8B"), st, &w);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(p->weights_exact);
  EXPECT_EQ(p->weights_total, 11510u);
  EXPECT_EQ(p->weights_gpu, 1000u);
  EXPECT_EQ(p->weights_cpu, 10510u);
  EXPECT_EQ(p->command, "llama-server -hf org/model-GGUF:IQ3_XXS -c 4096 -ngl 1");
  st.n_gpu_layers = -1;
  p = plan_llama_cpp(test::shape_of("meta-llama/Llama-3.1-8B"), st, &w);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->weights_gpu, 500u + 1000 + 3010);
  EXPECT_EQ(p->weights_cpu, 7000u);
}

}  // namespace
}  // namespace hubcap
