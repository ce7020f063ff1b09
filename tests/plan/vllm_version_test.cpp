// Release-dependent accounting: which releases subtract what.
#include <gtest/gtest.h>

#include "plan/runtime_memory.h"
#include "plan/vllm_version.h"
#include "plan_test_util.h"

namespace hubcap {
namespace {

TEST(VllmVersion, NewestByDefault) {
  auto b = vllm_behaviour("");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->v1_engine);
  EXPECT_TRUE(b->cuda_graphs_in_budget);
  EXPECT_TRUE(b->flashinfer_sampler);
}

TEST(VllmVersion, ReleaseBoundaries) {
  EXPECT_FALSE(vllm_behaviour("0.6.6")->v1_engine);
  EXPECT_FALSE(vllm_behaviour("0.6.6")->flashinfer_sampler);
  EXPECT_TRUE(vllm_behaviour("0.8")->v1_engine);
  EXPECT_TRUE(vllm_behaviour("v0.10.1.1")->flashinfer_sampler);
  EXPECT_FALSE(vllm_behaviour("0.10.1")->cuda_graphs_in_budget);
  EXPECT_FALSE(vllm_behaviour("0.11.0")->flashinfer_sampler);
  EXPECT_FALSE(vllm_behaviour("0.28.1")->flashinfer_sampler);
  EXPECT_TRUE(vllm_behaviour("0.29.0")->flashinfer_sampler);
  EXPECT_FALSE(vllm_behaviour("0.20.2")->cuda_graphs_in_budget);
  EXPECT_TRUE(vllm_behaviour("0.21.0")->cuda_graphs_in_budget);
  EXPECT_TRUE(vllm_behaviour("1.0")->cuda_graphs_in_budget);
  EXPECT_FALSE(vllm_behaviour("0.10", "pytorch")->flashinfer_sampler);
  EXPECT_TRUE(vllm_behaviour("0.21", "flashinfer")->flashinfer_sampler);
}

TEST(VllmVersion, BadInputIsOneLine) {
  for (const char* v : {"ten", "0", "0.", ".5", "-1.2", "0.10x", "999.1"}) {
    auto b = vllm_behaviour(v);
    ASSERT_FALSE(b.ok()) << v;
    EXPECT_NE(b.error().message.find("--vllm-version"), std::string::npos);
  }
  EXPECT_FALSE(vllm_behaviour("0.10", "cuda").ok());
}

// The sampler pass of 256 rows x 152064 logits: 10 bytes a logit with
// FlashInfer, 30 with PyTorch's sort.
TEST(VllmVersion, SamplerPeakFollowsThePath) {
  ModelShape s = test::shape_of("Qwen/Qwen2.5-7B-Instruct");
  RuntimeInputs in;
  in.max_num_seqs = 256;
  in.max_num_batched_tokens = 2048;
  in.flashinfer_sampler = true;
  EXPECT_EQ(sampler_activation_bytes(s, in), uint64_t{256} * 152064 * 10);
  in.flashinfer_sampler = false;
  EXPECT_EQ(sampler_activation_bytes(s, in), uint64_t{256} * 152064 * 30);
}

}  // namespace
}  // namespace hubcap
