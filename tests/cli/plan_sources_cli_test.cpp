// `hubcap plan` reading the model the way inspect does: safetensors headers
// from a Hub repo (the local mirror) or a local folder, GGUF tensors for
// llama.cpp, and the embedded catalog when the Hub cannot be read.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "cli/cli_test_util.h"
#include "formats/ggml_types.h"
#include "support/gguf_writer.h"
#include "support/local_hub.h"
#include "support/safetensors_writer.h"
#include "support/temp_dir.h"

namespace hubcap::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSha = "89abcdef0123456789abcdef0123456789abcdef";
constexpr const char* kRepo = "test-org/llama-8b-tied";
// Llama-3.1-8B stored without lm_head (tied), while its config says untied:
// only a plan that reads the headers gets 8,030,261,248 - 525,336,576 = 7,504,924,672
// bf16 parameters, plus vLLM's rotary cache of 131072 x 128 x 2 bytes.
constexpr uint64_t kTiedWeightBytes = 7504924672ull * 2 + 131072 * 128 * 2;

void write_tied_llama(const fs::path& dir) {
  test::LlamaShape shape = test::llama_3_1_8b();
  shape.tied = true;
  fs::create_directories(dir);
  ASSERT_TRUE(test::write_sharded_safetensors(dir.string(), test::llama_tensors(shape), 4));
  ASSERT_TRUE(test::write_file((dir / "config.json").string(), read_text(shared_config("meta-llama__Llama-3.1-8B"))));
}

class PlanSources : public ::testing::Test {
 protected:
  LocalHub hub;
};

TEST_F(PlanSources, HubRepoIsPlannedFromItsSafetensorsHeaders) {
  write_tied_llama(hub.repo_dir(kRepo));
  hub.seal(kRepo, kSha);
  auto j = hubcap_json({"plan", kRepo, "--gpu", "H100", "--max-model-len", "8192", "--json"});
  EXPECT_EQ(j["weights_source"], "safetensors headers (the Hub), exact");
  EXPECT_EQ(j["weights_exact"], true);
  EXPECT_EQ(j["per_gpu"]["weights_bytes"], kTiedWeightBytes);
  EXPECT_EQ(j["command"], std::string("vllm serve ") + kRepo + " --max-model-len 8192");
}

TEST_F(PlanSources, LocalFolderIsPlannedFromItsHeaders) {
  TempDir dir("hubcap-plan-local");
  write_tied_llama(dir.path() / "model");
  auto j = hubcap_json({"plan", (dir.path() / "model").string(), "--gpu", "H100", "--max-model-len", "8192", "--json"});
  EXPECT_EQ(j["weights_source"], "safetensors headers (local files), exact");
  EXPECT_EQ(j["per_gpu"]["weights_bytes"], kTiedWeightBytes);
}

TEST_F(PlanSources, CandleVllmUsesTheHeadersToo) {
  write_tied_llama(hub.repo_dir(kRepo));
  hub.seal(kRepo, kSha);
  auto j = hubcap_json({"plan", kRepo, "--engine", "candle-vllm", "--isq", "q4k", "--tp", "2", "--mem", "8192",
                        "--max-model-len", "8192", "--gpu", "RTX 4090", "--json"});
  EXPECT_EQ(j["weights_source"], "safetensors headers (the Hub), exact");
  EXPECT_EQ(j["engine"], "candle-vllm");
  // 8 KV heads over 2 GPUs, 32 layers: 2 x 64 x 4 x 128 x 32 x 2 bytes a block.
  EXPECT_EQ(j["kv_cache_blocks"], 8192ull * 1024 * 1024 / (2 * 64 * 4 * 128 * 32 * 2));
  EXPECT_EQ(j["kv_cache_tokens"], 2048u * 64);
  EXPECT_EQ(j["fits"], true);
  EXPECT_EQ(j["command"], std::string("candle-vllm --m ") + kRepo + " --d 0,1 --isq q4k --mem 8192");
}

uint64_t tensor_bytes(const GgufWriter& w, bool (*keep)(const std::string&)) {
  uint64_t total = 0;
  for (const auto& t : w.tensors())
    if (keep(t.name)) total += t.bytes;
  return total;
}

TEST_F(PlanSources, LlamaCppReadsTheChosenGgufVariant) {
  const std::string repo = "test-org/llama-2-7b-gguf";
  GgufWriter q4 = llama2_7b_q4_k_m();
  fs::create_directories(hub.repo_dir(repo));
  q4.write((hub.repo_dir(repo) / "llama-2-7b.Q4_K_M.gguf").string());
  q4.write((hub.repo_dir(repo) / "llama-2-7b.Q8_0.gguf").string());
  auto config = nlohmann::json::parse(read_text(shared_config("TheBloke__Llama-2-7B-AWQ")));
  config.erase("quantization_config");
  hub.add_file(repo, "config.json", config.dump());
  hub.seal(repo, kSha);
  auto j = hubcap_json({"plan", repo, "--engine", "llama.cpp", "--gguf-type", "Q4_K_M", "--ctx-size", "4096",
                        "--gpu", "L4", "--json"});
  EXPECT_EQ(j["weights_source"], "GGUF tensors (the Hub), exact");
  EXPECT_EQ(j["weights_estimated"], false);
  const uint64_t on_gpu = tensor_bytes(q4, [](const std::string& n) { return n != "token_embd.weight"; });
  const double gib = std::round(double(on_gpu) / (1024.0 * 1024 * 1024) * 1000) / 1000;
  EXPECT_DOUBLE_EQ(j["gpu"]["weights_gib"].get<double>(), gib);
  EXPECT_EQ(j["command"], "llama-server -hf " + repo + ":Q4_K_M -c 4096 -ngl 999");
}

TEST_F(PlanSources, GatedRepoFallsBackToTheCatalog) {
  const std::string repo = "meta-llama/Llama-3.1-8B";
  write_tied_llama(hub.repo_dir(repo));
  hub.seal(repo, kSha);
  hub.set_settings(repo, {{"gated", "manual"}});
  auto j = hubcap_json({"plan", repo, "--gpu", "H100", "--max-model-len", "8192", "--json"});
  EXPECT_EQ(j["weights_source"], "config.json (embedded catalog), counted by architecture");
  ASSERT_EQ(j["notes"].size(), 1u);
  EXPECT_NE(j["notes"][0].get<std::string>().find("planned from hubcap's catalog"), std::string::npos);
  // The catalog's config is untied: lm_head counted.
  EXPECT_EQ(j["per_gpu"]["weights_bytes"], 8030261248ull * 2 + 131072 * 128 * 2);
}

TEST_F(PlanSources, UnknownRepoIsOneLine) {
  auto r = run_hubcap({"plan", "test-org/nothing-here", "--gpu", "H100"});
  expect_one_line_error(r, 1);
  EXPECT_NE(r.err.find("test-org/nothing-here"), std::string::npos) << r.err;
}

TEST_F(PlanSources, GgufOnlyRepoIsShapedByItsMetadata) {
  const std::string repo = "test-org/only-gguf";
  fs::create_directories(hub.repo_dir(repo));
  llama2_7b_q4_k_m().write((hub.repo_dir(repo) / "model.Q4_K_M.gguf").string());
  hub.seal(repo, kSha);
  auto j = hubcap_json({"plan", repo, "--engine", "llama.cpp", "--gguf-type", "Q4_K_M", "--ctx-size", "4096", "--json"});
  EXPECT_EQ(j["weights_source"], "GGUF tensors (the Hub), exact");
  ASSERT_EQ(j["notes"].size(), 1u);
  EXPECT_EQ(j["notes"][0], "no config.json: the model's shape comes from the GGUF metadata");
  // Llama-2-7B: 32 layers x 4096 cells x (K + V) x 4096 x 2 bytes = 2 GiB.
  EXPECT_DOUBLE_EQ(j["gpu"]["kv_cache_gib"].get<double>(), 2.0);
  auto too_long = run_hubcap({"plan", repo, "--engine", "llama.cpp", "--gguf-type", "Q4_K_M", "--ctx-size", "8192"});
  expect_one_line_error(too_long, 1);
  EXPECT_NE(too_long.err.find("exceeds the model's context of 4096"), std::string::npos) << too_long.err;

  // With the config given, the GGUF's own tensors still size the weights.
  TempDir dir("hubcap-plan-config");
  auto config = nlohmann::json::parse(read_text(shared_config("TheBloke__Llama-2-7B-AWQ")));
  config.erase("quantization_config");
  ASSERT_TRUE(test::write_file((dir.path() / "config.json").string(), config.dump()));
  auto with_config = hubcap_json({"plan", repo, "--engine", "llama.cpp", "--gguf-type", "Q4_K_M", "--config",
                                  (dir.path() / "config.json").string(), "--json"});
  EXPECT_EQ(with_config["weights_source"], "GGUF tensors (the Hub), exact");
  EXPECT_EQ(with_config["weights_estimated"], false);
  EXPECT_FALSE(with_config.contains("notes"));
}

}  // namespace
}  // namespace hubcap::testing
