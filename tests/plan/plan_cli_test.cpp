// `hubcap plan` end to end through the built binary.
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/run_hubcap.h"

namespace {

using hubcap::testing::HubcapRun;

// Runs hubcap offline: catalog ids resolve from the embedded catalog and the
// test never reaches the network. Arguments are split on spaces.
HubcapRun hubcap(const std::string& args) {
  std::vector<std::string> argv;
  std::istringstream in(args);
  for (std::string word; in >> word;) argv.push_back(word);
  return hubcap::testing::run_hubcap(argv, {{"HF_HUB_OFFLINE", "1"}});
}

TEST(PlanCli, JsonHasTheDocumentedFields) {
  HubcapRun r = hubcap("plan meta-llama/Llama-3.1-8B-Instruct --gpu H100 --max-model-len 8192 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["gpu"]["name"], "H100 SXM");
  EXPECT_DOUBLE_EQ(j["gpu"]["memory_gib"].get<double>(), 79.22);
  EXPECT_EQ(j["tp"], 1);
  EXPECT_EQ(j["pp"], 1);
  EXPECT_EQ(j["dp"], 1);
  for (const char* k : {"weights_gib", "activation_gib", "cuda_graph_gib", "non_torch_gib", "kv_cache_gib", "budget_gib"})
    EXPECT_TRUE(j["per_gpu"].contains(k)) << k;
  EXPECT_EQ(j["kv_cache_bytes_per_token"], 131072);
  EXPECT_GT(j["kv_cache_tokens"].get<uint64_t>(), 300000u);
  EXPECT_TRUE(j["fits"].get<bool>());
  EXPECT_TRUE(j["warnings"].is_array());
  EXPECT_EQ(j["command"], "vllm serve meta-llama/Llama-3.1-8B-Instruct --max-model-len 8192");
}

TEST(PlanCli, TextShowsBreakdownAndCommand) {
  HubcapRun r = hubcap("plan meta-llama/Llama-3.1-70B-Instruct --gpu H100 --tp 4 --kv-cache-dtype fp8 --max-model-len 32768");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("weights"), std::string::npos);
  EXPECT_NE(r.out.find("KV cache"), std::string::npos);
  EXPECT_NE(r.out.find("[WWW"), std::string::npos);
  EXPECT_NE(r.out.find("vllm serve meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size 4 --max-model-len 32768 "
                       "--kv-cache-dtype fp8"),
            std::string::npos);
}

TEST(PlanCli, ModelTooBigSaysWhy) {
  HubcapRun r = hubcap("plan meta-llama/Llama-3.1-70B-Instruct --gpu L4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["fits"].get<bool>());
  ASSERT_EQ(j["reasons"].size(), 1u);
  EXPECT_NE(j["reasons"][0].get<std::string>().find("exceed the budget"), std::string::npos);
}

TEST(PlanCli, LlamaCppEngine) {
  HubcapRun r = hubcap("plan Qwen/Qwen2.5-7B-Instruct --engine llama.cpp --gpu L4 --ctx-size 8192 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["engine"], "llama.cpp");
  EXPECT_DOUBLE_EQ(j["gpu"]["kv_cache_gib"].get<double>(), 0.438);  // 448 MiB
  EXPECT_TRUE(j["fits"].get<bool>());
  EXPECT_EQ(j["command"], "llama-server -m Qwen/Qwen2.5-7B-Instruct-Q4_K_M.gguf -c 8192 -ngl 999");
}

TEST(PlanCli, BadInputIsOneLineAndExitOne) {
  struct Case {
    const char* args;
    const char* needle;
  } cases[] = {
      {"plan meta-llama/Llama-3.1-8B --gpu H1000", "known GPUs: H100 SXM"},
      {"plan meta-llama/Llama-3.1-8B --gpu H100 --tp 3", "valid --tp: 1, 2, 4, 8, 16, 32"},
      {"plan meta-llama/Llama-3.1-8B --gpu H100 --max-model-len -1", "must not be negative"},
      {"plan meta-llama/Llama-3.1-8B --gpu H100 --max-model-len 200000", "exceeds the model's context of 131072"},
      {"plan meta-llama/Llama-3.1-8B --gpu H100 --pp 40", "exceeds the model's 32 layers"},
      {"plan meta-llama/Llama-3.1-8B --gpu H100 --kv-cache-dtype int3", "fp8_e5m2"},
      {"plan meta-llama/Llama-3.1-8B --gpu H100 --vllm-version ten", "expected X.Y such as 0.10"},
      {"plan meta-llama/Llama-3.1-8B --gpu H100 --sampler triton", "flashinfer"},
      {"plan no-such/model --gpu H100", "not in hubcap's catalog"},
      {"plan meta-llama/Llama-3.1-8B", "give --gpu NAME"},
      {"plan meta-llama/Llama-3.1-8B --engine sglang --gpu H100", "not supported"},
      {"plan meta-llama/Llama-3.1-8B --engine candle-vllm --isq q9", "q4k"},
      {"plan meta-llama/Llama-3.1-8B --engine llama.cpp --gguf-type Q9", "known: F32"},
      {"plan meta-llama/Llama-3.1-8B --gpu any", "--gpu any needs --find"},
  };
  for (const auto& c : cases) {
    HubcapRun r = hubcap(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(r.err_lines().size(), 1u) << c.args << "\n" << r.err;
    EXPECT_EQ(r.out, "") << c.args;
  }
}

}  // namespace
