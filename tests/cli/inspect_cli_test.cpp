// `hubcap inspect` end to end: the built binary against a local Hub mirror
// (HF_ENDPOINT set by LocalHub), checking the --json object field by field.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_test_util.h"
#include "formats/ggml_types.h"
#include "server/repo_store.h"
#include "support/gguf_writer.h"
#include "support/local_hub.h"
#include "support/safetensors_writer.h"

namespace hubcap::testing {
namespace {

namespace fs = std::filesystem;
using test::llama_3_1_8b;
using test::llama_tensors;
using test::TensorSpec;

constexpr const char* kSha = "0123456789abcdef0123456789abcdef01234567";
constexpr const char* kLlama = "test-org/llama-8b";
constexpr uint64_t kLlamaParams = 8030261248ull;
constexpr uint64_t kLlamaBytes = 16060522496ull;

std::string fake_oid(const std::string& path) { return LocalHub::fake_lfs_oid(path); }

class InspectCli : public ::testing::Test {
 protected:
  LocalHub hub;

  void seal(const std::string& repo) { hub.seal(repo, kSha); }

  // The `files` array inspect must print for `repo`: every file, sorted, sha256 for LFS files.
  nlohmann::json expected_files(const std::string& repo) {
    std::vector<std::pair<std::string, uint64_t>> files;
    for (const auto& e : fs::recursive_directory_iterator(hub.repo_dir(repo))) {
      std::string rel = fs::relative(e.path(), hub.repo_dir(repo)).generic_string();
      if (e.is_regular_file() && rel[0] != '.') files.emplace_back(rel, e.file_size());
    }
    std::sort(files.begin(), files.end());
    auto out = nlohmann::json::array();
    for (const auto& [path, size] : files)
      out.push_back({{"path", path},
                     {"size", size},
                     {"sha256", is_lfs_file(path, size) ? nlohmann::json(fake_oid(path)) : nlohmann::json(nullptr)}});
    return out;
  }

  void add_llama_repo(const std::string& repo = kLlama) {
    fs::create_directories(hub.repo_dir(repo));
    ASSERT_TRUE(test::write_sharded_safetensors(hub.repo_dir(repo).string(), llama_tensors(llama_3_1_8b()), 4));
    hub.add_file(repo, "config.json", read_text(shared_config("meta-llama__Llama-3.1-8B")));
    seal(repo);
  }

  void expect_llama_headers(const nlohmann::json& j) {
    EXPECT_EQ(j["id"], kLlama);
    EXPECT_EQ(j["revision"], kSha);
    EXPECT_EQ(j["source"], "safetensors");
    EXPECT_EQ(j["parameters"], nlohmann::json({{"BF16", kLlamaParams}}));
    EXPECT_EQ(j["total"], kLlamaParams);
    EXPECT_EQ(j["weight_bytes"], kLlamaBytes);
    EXPECT_EQ(j["logical_parameters"], kLlamaParams);
    EXPECT_EQ(j["exact"], true);
    EXPECT_EQ(j["tensors"], 291u);
    EXPECT_EQ(j["weight_files"].size(), 4u);
    EXPECT_EQ(j["files"], expected_files(kLlama));
  }
};

TEST_F(InspectCli, HubSummaryIsTheFirstSource) {
  add_llama_repo();
  hub.set_settings(kLlama, {{"safetensors", {{"parameters", {{"BF16", kLlamaParams}}}, {"total", kLlamaParams}}}});
  auto j = hubcap_json({"inspect", kLlama, "--json"});
  EXPECT_EQ(j["id"], kLlama);
  EXPECT_EQ(j["revision"], kSha);
  EXPECT_EQ(j["source"], "hub-metadata");
  EXPECT_EQ(j["parameters"], nlohmann::json({{"BF16", kLlamaParams}}));
  EXPECT_EQ(j["total"], kLlamaParams);
  EXPECT_EQ(j["weight_bytes"], kLlamaBytes);
  EXPECT_EQ(j["logical_parameters"], kLlamaParams);
  EXPECT_EQ(j["exact"], true);
  EXPECT_EQ(j["files"], expected_files(kLlama));
}

TEST_F(InspectCli, FromHeadersIgnoresTheSummary) {
  add_llama_repo();
  // A summary that disagrees with the headers proves which one was read.
  hub.set_settings(kLlama, {{"safetensors", {{"parameters", {{"BF16", 1}}}, {"total", 1}}}});
  expect_llama_headers(hubcap_json({"inspect", kLlama, "--from-headers", "--json"}));
}

TEST_F(InspectCli, HeadersWhenTheHubHasNoSummary) {
  add_llama_repo();
  expect_llama_headers(hubcap_json({"inspect", kLlama, "--json"}));
}

TEST_F(InspectCli, ReadableTableNamesSourceAndTotal) {
  add_llama_repo();
  HubcapRun r = run_hubcap({"inspect", kLlama});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("source: safetensors headers"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("8,030,261,248"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(kSha), std::string::npos) << r.out;
}

// Qwen2.5-0.5B ties its embeddings, but this checkpoint stores lm_head anyway.
std::vector<TensorSpec> qwen_0_5b_with_lm_head() {
  test::LlamaShape shape{896, 4864, 24, 14, 2, 151936, false, 64, "BF16"};
  auto tensors = llama_tensors(shape);
  for (int layer = 0; layer < 24; ++layer) {
    std::string p = "model.layers." + std::to_string(layer) + ".self_attn.";
    tensors.push_back({p + "q_proj.bias", "BF16", {896}});
    tensors.push_back({p + "k_proj.bias", "BF16", {128}});
    tensors.push_back({p + "v_proj.bias", "BF16", {128}});
  }
  return tensors;
}

TEST_F(InspectCli, TiedEmbeddingsWithStoredLmHead) {
  const std::string repo = "test-org/qwen-0.5b";
  auto tensors = qwen_0_5b_with_lm_head();
  uint64_t stored = test::total_elements(tensors);
  ASSERT_EQ(stored, 494032768ull + 151936ull * 896ull);
  fs::create_directories(hub.repo_dir(repo));
  ASSERT_TRUE(test::write_sharded_safetensors(hub.repo_dir(repo).string(), tensors, 1));
  hub.add_file(repo, "config.json", read_text(shared_config("Qwen__Qwen2.5-0.5B")));
  seal(repo);
  auto j = hubcap_json({"inspect", repo, "--json"});
  EXPECT_EQ(j["source"], "safetensors");
  EXPECT_EQ(j["parameters"], nlohmann::json({{"BF16", stored}}));
  EXPECT_EQ(j["total"], stored);
  EXPECT_EQ(j["weight_bytes"], 2 * stored);
  EXPECT_EQ(j["logical_parameters"], 494032768ull);
  bool noted = false;
  for (const auto& n : j["notes"]) noted |= n.get<std::string>().find("lm_head") != std::string::npos;
  EXPECT_TRUE(noted) << j["notes"].dump();
}

// Element counts per ggml type name of a writer's tensors.
nlohmann::json gguf_counts(const GgufWriter& w) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& t : w.tensors()) {
    uint64_t n = 1;
    for (uint64_t d : t.dims) n *= d;
    std::string name(find_ggml_type(t.ggml_type)->name);
    out[name] = out.value(name, uint64_t{0}) + n;
  }
  return out;
}

uint64_t sum(const nlohmann::json& counts) {
  uint64_t s = 0;
  for (const auto& [k, v] : counts.items()) s += v.get<uint64_t>();
  return s;
}

GgufWriter small_gguf(uint32_t ggml_type, const std::string& arch) {
  GgufWriter w;
  w.kv_string("general.architecture", arch);
  w.tensor("token_embd.weight", ggml_type, {4096, 32000});
  w.tensor("output_norm.weight", 0 /* F32 */, {4096});
  return w;
}

class InspectGguf : public InspectCli {
 protected:
  const std::string repo = "test-org/llama-gguf";
  GgufWriter q4 = llama2_7b_q4_k_m();
  GgufWriter q8 = small_gguf(8 /* Q8_0 */, "llama");
  GgufWriter mmproj = small_gguf(1 /* F16 */, "clip");

  void SetUp() override {
    fs::path dir = hub.repo_dir(repo);
    fs::create_directories(dir);
    q4.write((dir / "llama-2-7b.Q4_K_M.gguf").string());
    q8.write((dir / "llama-2-7b.Q8_0.gguf").string());
    auto parts = split_gguf(q4, 2);
    parts[0].write((dir / "llama-2-7b.Q4_K_S-00001-of-00002.gguf").string());
    parts[1].write((dir / "llama-2-7b.Q4_K_S-00002-of-00002.gguf").string());
    mmproj.write((dir / "mmproj-model-f16.gguf").string());
    seal(repo);
  }

  void expect_q4(const nlohmann::json& j) {
    EXPECT_EQ(j["id"], repo);
    EXPECT_EQ(j["revision"], kSha);
    EXPECT_EQ(j["source"], "gguf");
    EXPECT_EQ(j["parameters"], gguf_counts(q4));
    EXPECT_EQ(j["total"], sum(gguf_counts(q4)));
    EXPECT_EQ(j["total"], 6738415616ull);  // Llama-2-7B
    EXPECT_EQ(j["weight_files"], nlohmann::json({"llama-2-7b.Q4_K_M.gguf"}));
    EXPECT_EQ(j["files"], expected_files(repo));
    EXPECT_FALSE(j.contains("gguf_variants"));
  }
};

TEST_F(InspectGguf, ListsVariantsWithoutFile) {
  auto j = hubcap_json({"inspect", repo, "--json"});
  EXPECT_EQ(j["source"], "gguf");
  EXPECT_EQ(j["files"], expected_files(repo));
  const auto& v = j["gguf_variants"];
  ASSERT_EQ(v.size(), 4u) << v.dump();
  std::map<std::string, nlohmann::json> by_quant;
  for (const auto& e : v) by_quant[e["is_projector"].get<bool>() ? "mmproj" : e["quantization"].get<std::string>()] = e;
  ASSERT_EQ(by_quant.size(), 4u) << v.dump();
  EXPECT_EQ(by_quant["Q4_K_M"]["size"], q4.file_size());
  EXPECT_EQ(by_quant["Q4_K_M"]["parameters"], gguf_counts(q4));
  EXPECT_EQ(by_quant["Q4_K_M"]["total"], 6738415616ull);
  EXPECT_EQ(by_quant["Q8_0"]["size"], q8.file_size());
  EXPECT_EQ(by_quant["Q8_0"]["parameters"], gguf_counts(q8));
  auto parts = split_gguf(q4, 2);
  EXPECT_EQ(by_quant["Q4_K_S"]["parts"].size(), 2u);
  EXPECT_EQ(by_quant["Q4_K_S"]["size"], parts[0].file_size() + parts[1].file_size());
  EXPECT_EQ(by_quant["Q4_K_S"]["total"], 6738415616ull);
  EXPECT_EQ(by_quant["mmproj"]["parameters"], gguf_counts(mmproj));
}

TEST_F(InspectGguf, FileByQuantLabel) { expect_q4(hubcap_json({"inspect", repo, "--file", "Q4_K_M", "--json"})); }

TEST_F(InspectGguf, FileByExactName) {
  expect_q4(hubcap_json({"inspect", repo, "--file", "llama-2-7b.Q4_K_M.gguf", "--json"}));
}

TEST_F(InspectGguf, SplitSetBySetName) {
  auto j = hubcap_json({"inspect", repo, "--file", "Q4_K_S", "--json"});
  EXPECT_EQ(j["source"], "gguf");
  EXPECT_EQ(j["parameters"], gguf_counts(q4));
  EXPECT_EQ(j["weight_files"].size(), 2u);
}

TEST_F(InspectGguf, UnknownFileIsAUsageErrorNamingTheChoices) {
  HubcapRun r = run_hubcap({"inspect", repo, "--file", "Q2_K", "--json"});
  expect_one_line_error(r, 2);
  EXPECT_NE(r.err.find("Q4_K_M"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Q8_0"), std::string::npos) << r.err;
}

// Sums a torch fixture's expected.json tensors per dtype.
nlohmann::json torch_counts(const std::string& expected_json) {
  auto expected = nlohmann::json::parse(read_text(expected_json));
  nlohmann::json out = nlohmann::json::object();
  for (const auto& t : expected["tensors"]) {
    uint64_t n = 1;
    for (uint64_t d : t["shape"]) n *= d;
    std::string dtype = t["dtype"];
    out[dtype] = out.value(dtype, uint64_t{0}) + n;
  }
  return out;
}

const std::string kTorchData = std::string(HUBCAP_SOURCE_DIR) + "/tests/data/torch/";

TEST_F(InspectCli, PytorchOnlyRepo) {
  const std::string repo = "test-org/opt-tiny";
  hub.add_file(repo, "pytorch_model.bin", read_text(kTorchData + "opt_tiny/pytorch_model.bin"));
  seal(repo);
  auto j = hubcap_json({"inspect", repo, "--json"});
  auto counts = torch_counts(kTorchData + "opt_tiny/pytorch_model.bin.expected.json");
  EXPECT_EQ(j["id"], repo);
  EXPECT_EQ(j["revision"], kSha);
  EXPECT_EQ(j["source"], "pytorch");
  EXPECT_EQ(j["parameters"], counts);
  EXPECT_EQ(j["total"], sum(counts));
  EXPECT_EQ(j["weight_bytes"], 2 * sum(counts));  // all F16
  EXPECT_EQ(j["files"], expected_files(repo));
}

TEST_F(InspectCli, ConfigOnlyRepo) {
  const std::string repo = "test-org/config-only";
  hub.add_file(repo, "config.json", read_text(shared_config("meta-llama__Llama-3.1-8B")));
  seal(repo);
  auto j = hubcap_json({"inspect", repo, "--json"});
  EXPECT_EQ(j["source"], "config");
  EXPECT_EQ(j["config_origin"], "hub");
  EXPECT_EQ(j["exact"], true);
  EXPECT_EQ(j["revision"], kSha);
  EXPECT_EQ(j["parameters"], nlohmann::json({{"BF16", kLlamaParams}}));
  EXPECT_EQ(j["weight_bytes"], kLlamaBytes);
  EXPECT_EQ(j["logical_parameters"], kLlamaParams);
  EXPECT_EQ(j["files"], expected_files(repo));
}

TEST_F(InspectCli, ConfigOnlyFlagSkipsTheWeights) {
  add_llama_repo();
  auto j = hubcap_json({"inspect", kLlama, "--config-only", "--json"});
  EXPECT_EQ(j["source"], "config");
  EXPECT_EQ(j["exact"], true);
  EXPECT_EQ(j["logical_parameters"], kLlamaParams);
  EXPECT_EQ(j["weight_files"], nlohmann::json::array());
}

void expect_catalog_llama(const nlohmann::json& j) {
  EXPECT_EQ(j["id"], "meta-llama/Llama-3.1-8B");
  EXPECT_EQ(j["source"], "config");
  EXPECT_EQ(j["config_origin"], "catalog");
  EXPECT_EQ(j["logical_parameters"], kLlamaParams);
  EXPECT_EQ(j["total"], kLlamaParams);
  EXPECT_EQ(j["exact"], true);
}

TEST_F(InspectCli, OfflineUsesTheCatalog) {
  expect_catalog_llama(hubcap_json({"inspect", "meta-llama/Llama-3.1-8B", "--json"}, {{"HF_HUB_OFFLINE", "1"}}));
}

TEST_F(InspectCli, UnreachableHubUsesTheCatalog) {
  expect_catalog_llama(
      hubcap_json({"inspect", "meta-llama/Llama-3.1-8B", "--json"}, {{"HF_ENDPOINT", "http://127.0.0.1:1"}}));
}

TEST_F(InspectCli, OfflineRepoNotInCatalog) {
  HubcapRun r = run_hubcap({"inspect", "test-org/not-in-catalog", "--json"}, {{"HF_HUB_OFFLINE", "1"}});
  expect_one_line_error(r, 1);
  EXPECT_NE(r.err.find("test-org/not-in-catalog"), std::string::npos) << r.err;
}

TEST_F(InspectCli, LocalFolder) {
  add_llama_repo();
  auto j = hubcap_json({"inspect", hub.repo_dir(kLlama).string(), "--json"});
  EXPECT_EQ(j["id"], hub.repo_dir(kLlama).string());
  EXPECT_EQ(j["revision"], nullptr);
  EXPECT_EQ(j["source"], "safetensors");
  EXPECT_EQ(j["parameters"], nlohmann::json({{"BF16", kLlamaParams}}));
  EXPECT_EQ(j["weight_bytes"], kLlamaBytes);
  EXPECT_EQ(j["logical_parameters"], kLlamaParams);
}

TEST_F(InspectCli, LocalSafetensorsFile) {
  TempDir dir;
  std::string path = (dir.path() / "model.safetensors").string();
  ASSERT_TRUE(test::write_safetensors(path, {{"a", "F16", {3, 4}}, {"b", "F32", {}}}));
  auto j = hubcap_json({"inspect", path, "--json"});
  EXPECT_EQ(j["source"], "safetensors");
  EXPECT_EQ(j["parameters"], nlohmann::json({{"F16", 12}, {"F32", 1}}));
  EXPECT_EQ(j["total"], 13u);
  EXPECT_EQ(j["weight_bytes"], 28u);
}

TEST_F(InspectCli, LocalGgufFile) {
  TempDir dir;
  std::string path = (dir.path() / "model.Q8_0.gguf").string();
  GgufWriter w = small_gguf(8, "llama");
  w.write(path);
  auto j = hubcap_json({"inspect", path, "--json"});
  EXPECT_EQ(j["source"], "gguf");
  EXPECT_EQ(j["parameters"], gguf_counts(w));
}

TEST_F(InspectCli, LocalPtFile) {
  auto j = hubcap_json({"inspect", kTorchData + "mixed.pt", "--json"});
  auto counts = torch_counts(kTorchData + "mixed.pt.expected.json");
  EXPECT_EQ(j["source"], "pytorch");
  EXPECT_EQ(j["parameters"], counts);
  EXPECT_EQ(j["total"], sum(counts));
}

TEST_F(InspectCli, MissingRepo) {
  expect_one_line_error(run_hubcap({"inspect", "test-org/missing", "--json"}), 1);
}

TEST_F(InspectCli, MissingRevision) {
  add_llama_repo();
  HubcapRun r = run_hubcap({"inspect", kLlama, "--revision", "no-such-branch", "--json"});
  expect_one_line_error(r, 1);
  EXPECT_NE(r.err.find("no-such-branch"), std::string::npos) << r.err;
}

TEST_F(InspectCli, GatedRepoNeedsAToken) {
  add_llama_repo();
  hub.set_settings(kLlama, {{"gated", "manual"}});
  HubcapRun r = run_hubcap({"inspect", kLlama, "--json"});
  expect_one_line_error(r, 1);
  EXPECT_NE(r.err.find("HF_TOKEN"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Bearer"), std::string::npos) << r.err;
  expect_llama_headers(hubcap_json({"inspect", kLlama, "--json"}, {{"HF_TOKEN", "token"}}));
}

TEST_F(InspectCli, RetriesServerErrors) {
  add_llama_repo();
  hub.server().add_fault({"/api/models/", FaultKind::kServiceUnavailable, 2});
  expect_llama_headers(hubcap_json({"inspect", kLlama, "--json"}));
}

TEST_F(InspectCli, DotDotShardInIndexIsRefused) {
  const std::string repo = "test-org/evil-index";
  fs::create_directories(hub.repo_dir(repo));
  ASSERT_TRUE(test::write_safetensors(hub.repo_dir(repo).string() + "/model-00001-of-00001.safetensors",
                                      {{"a", "F16", {4}}}));
  hub.add_file(repo, "model.safetensors.index.json",
               R"({"metadata": {}, "weight_map": {"a": "model-00001-of-00001.safetensors", "b": "../../etc/passwd"}})");
  seal(repo);
  HubcapRun r = run_hubcap({"inspect", repo, "--json"});
  expect_one_line_error(r, 1);
  EXPECT_NE(r.err.find(".."), std::string::npos) << r.err;
}

TEST_F(InspectCli, MalformedSafetensorsHeader) {
  const std::string repo = "test-org/broken";
  hub.add_file(repo, "model.safetensors", test::raw_safetensors_file("{\"a\": {\"dtype\": \"F16\", \"shape\": [", 16));
  seal(repo);
  expect_one_line_error(run_hubcap({"inspect", repo, "--json"}), 1);
}

TEST_F(InspectCli, HostilePickleIsNeverRun) {
  const std::string repo = "test-org/hostile";
  hub.add_file(repo, "pytorch_model.bin", read_text(kTorchData + "hostile/os_system_checkpoint.pt"));
  seal(repo);
  HubcapRun r = run_hubcap({"inspect", repo, "--json"});
  expect_one_line_error(r, 1);
  EXPECT_NE(r.err.find("refusing to load pickle global"), std::string::npos) << r.err;
}

TEST_F(InspectCli, BadRepoIdIsAUsageError) {
  expect_one_line_error(run_hubcap({"inspect", "not a repo!", "--json"}), 2);
  expect_one_line_error(run_hubcap({"inspect", "a/b/c", "--json"}), 2);
}

TEST_F(InspectCli, MissingArgumentsIsAUsageError) {
  expect_one_line_error(run_hubcap({"inspect", "--json"}), 2);
  expect_one_line_error(run_hubcap({"inspect", "org/m", "--no-such-flag"}), 2);
  expect_one_line_error(run_hubcap({}), 2);
}

}  // namespace
}  // namespace hubcap::testing
