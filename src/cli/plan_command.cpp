// `hubcap plan`: predicts the per-GPU memory, KV cache and concurrency vLLM
// will have for a model and serving settings.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "arch/catalog.h"
#include "arch/config_count.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "plan/deployment_search.h"
#include "plan/llama_cpp_plan.h"
#include "plan/plan_validate.h"
#include "plan/memory_model.h"
#include "plan/plan_render.h"
#include "plan/roofline.h"

namespace hubcap::cli {
namespace {

constexpr uintmax_t kMaxConfigBytes = 16 << 20;

struct PlanArgs {
  std::string model, config_path;
  bool json = false;
  bool find = false;
  uint64_t max_gpus = 8;
  PerfRequest perf;
  PlanSettings settings;
  LlamaCppSettings llama;
};

constexpr size_t kDeploymentsShown = 5;

Result<nlohmann::json> read_config_file(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error{path.string() + ": cannot read (" + ec.message() + ")"};
  if (size > kMaxConfigBytes) return Error{path.string() + ": too large for a config.json"};
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error{path.string() + ": not a JSON object"};
  return j;
}

// MODEL: a local folder holding config.json, a config file, or a catalog id.
Result<nlohmann::json> resolve_model(const PlanArgs& a) {
  if (!a.config_path.empty()) return read_config_file(a.config_path);
  if (a.model.empty()) return usage_error("give a MODEL (catalog id or local folder) or --config FILE");
  std::filesystem::path p(a.model);
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) return read_config_file(p / "config.json");
  if (std::filesystem::is_regular_file(p, ec)) return read_config_file(p);
  if (const CatalogEntry* e = find_in_catalog(a.model)) return nlohmann::json::parse(e->config_json);
  std::string hint;
  for (const CatalogEntry* e : search_catalog(a.model)) {
    hint += (hint.empty() ? "; did you mean " : ", ") + e->id;
    if (hint.size() > 200) break;
  }
  return Error{a.model + ": not a local folder or a model in hubcap's catalog" + hint +
               " (or give --config FILE)"};
}

// Every refusal is exit 1: a plan that cannot be made is a failed run.
int refuse(Error e) {
  e.exit_code = 1;
  return report_error(e);
}

PerfEstimate performance(const nlohmann::json& config, const PlanReport& r, const PerfRequest& q) {
  auto shape = read_model_shape(config);
  return shape.ok() ? estimate_performance(*shape, r, q) : PerfEstimate{};
}

void print_plan(const nlohmann::json& config, const PlanReport& r, const PlanArgs& a, const std::string& model) {
  PerfEstimate perf = performance(config, r, a.perf);
  std::cout << plan_text(r, model) << "\n" << perf_text(perf, a.perf);
}

nlohmann::json plan_with_perf_json(const nlohmann::json& config, const PlanReport& r, const PlanArgs& a,
                                   const std::string& model) {
  nlohmann::json j = plan_json(r, model);
  j["performance"] = perf_json(performance(config, r, a.perf), a.perf);
  return j;
}

int run_find(const nlohmann::json& config, const PlanArgs& a, const PlanSettings& st) {
  SearchRequest req{a.perf.concurrency, a.max_gpus, st.gpu == "any"};
  PlanSettings base = st;
  if (req.any_gpu) base.gpu.clear();
  auto found = find_deployments(config, nullptr, base, req);
  if (!found.ok()) return refuse(found.error());
  if (found->empty())
    return refuse(Error{"no deployment of up to " + std::to_string(a.max_gpus) + " GPUs holds " +
                        std::to_string(req.concurrency) + " sequence(s) at this context; try --max-gpus, a shorter "
                        "--max-model-len or --kv-cache-dtype fp8"});
  if (a.json) {
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < found->size() && i < kDeploymentsShown; ++i)
      list.push_back(plan_with_perf_json(config, (*found)[i], a, st.model_id));
    print_json({{"deployments", list}, {"found", found->size()}});
    return 0;
  }
  std::cout << found->size() << " deployments fit; the smallest:\n\n"
            << deployments_text(*found, kDeploymentsShown) << "\n";
  print_plan(config, found->front(), a, st.model_id);
  return 0;
}

int run_llama_cpp(const nlohmann::json& config, const PlanArgs& a, const PlanSettings& st) {
  auto shape = read_model_shape(config);
  if (!shape.ok()) return refuse(shape.error());
  auto count = count_from_config(config);
  if (!count.ok()) return refuse(count.error());
  LlamaCppSettings ls = a.llama;
  ls.model_id = st.model_id;
  ls.parameters = count->logical_parameters;
  if (!ls.n_ctx) ls.n_ctx = st.max_model_len > 0 ? uint64_t(st.max_model_len) : std::min<uint64_t>(4096, shape->max_position_embeddings);
  if (!st.gpu.empty() || st.gpu_memory_gib > 0) {
    auto gpu = resolve_gpu(st);
    if (!gpu.ok()) return refuse(gpu.error());
    ls.gpu_memory_gib = gpu->memory_gib;
  }
  auto plan = plan_llama_cpp(*shape, ls);
  if (!plan.ok()) return refuse(plan.error());
  if (a.json) print_json(llama_cpp_json(*plan, ls));
  else std::cout << llama_cpp_text(*plan, ls);
  return 0;
}

int run_plan(const PlanArgs& a) {
  auto config = resolve_model(a);
  if (!config.ok()) return refuse(config.error());
  PlanSettings st = a.settings;
  st.model_id = a.model.empty() ? "MODEL" : a.model;
  if (st.engine == "llama.cpp") return run_llama_cpp(*config, a, st);
  if (st.engine != "vllm") return refuse(usage_error("--engine " + st.engine + " is not supported (vllm, llama.cpp)"));
  if (a.find) return run_find(*config, a, st);
  if (st.gpu == "any") return refuse(usage_error("--gpu any needs --find"));
  auto report = plan_model(*config, nullptr, st);
  if (!report.ok()) return refuse(report.error());
  if (a.json) print_json(plan_with_perf_json(*config, *report, a, st.model_id));
  else print_plan(*config, *report, a, st.model_id);
  return 0;
}

}  // namespace

void add_plan_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("plan", "Predict vLLM's per-GPU memory, KV cache and concurrency for a model");
  auto a = std::make_shared<PlanArgs>();
  PlanSettings& s = a->settings;
  cmd->add_option("model", a->model, "catalog id (e.g. meta-llama/Llama-3.1-8B-Instruct) or local model folder");
  cmd->add_option("--config", a->config_path, "a config.json to plan from");
  cmd->add_option("--gpu", s.gpu, "GPU name from the catalog (H100, A100-80GB, L4, RTX 4090, MI300X, ...), or any with --find");
  cmd->add_option("--gpu-memory", s.gpu_memory_gib, "GPU memory in GiB as the device reports it");
  cmd->add_option("--num-gpus", s.num_gpus, "GPUs in all (tp x pp x dp)");
  cmd->add_option("--tp,--tensor-parallel-size", s.tp, "tensor parallel size");
  cmd->add_option("--pp,--pipeline-parallel-size", s.pp, "pipeline parallel size");
  cmd->add_option("--dp,--data-parallel-size", s.dp, "data parallel size");
  cmd->add_flag("--enable-expert-parallel", s.enable_expert_parallel, "expert parallelism for MoE layers");
  cmd->add_option("--max-model-len", s.max_model_len, "context length (default: the model's)");
  cmd->add_option("--max-num-seqs", s.max_num_seqs, "maximum sequences per step");
  cmd->add_option("--max-num-batched-tokens", s.max_num_batched_tokens, "maximum tokens per step");
  cmd->add_option("--gpu-memory-utilization", s.gpu_memory_utilization, "fraction of GPU memory vLLM may use (0.9)");
  cmd->add_option("--dtype", s.dtype, "auto, bfloat16, float16, float32");
  cmd->add_option("--kv-cache-dtype", s.kv_cache_dtype, "auto, fp8, fp8_e4m3, fp8_e5m2");
  cmd->add_option("--quantization", s.quantization, "runtime quantization (fp8)");
  cmd->add_option("--block-size", s.block_size, "KV cache block size in tokens");
  cmd->add_flag("--enforce-eager", s.enforce_eager, "no CUDA graphs");
  cmd->add_option("--engine", s.engine, "serving engine: vllm or llama.cpp");
  cmd->add_option("--vllm-version", s.vllm_version, "vLLM release whose memory accounting to follow, e.g. 0.10 (default: the newest)");
  cmd->add_option("--ctx-size", a->llama.n_ctx, "llama.cpp: context cells (default --max-model-len, else 4096)");
  cmd->add_option("--cache-type-k", a->llama.cache_type_k, "llama.cpp: K cache type (f16, q8_0, q4_0, ...)");
  cmd->add_option("--cache-type-v", a->llama.cache_type_v, "llama.cpp: V cache type (f16, q8_0, q4_0, ...)");
  cmd->add_option("--n-gpu-layers,--ngl", a->llama.n_gpu_layers, "llama.cpp: layers offloaded to the GPU (all)");
  cmd->add_option("--gguf-type", a->llama.weight_type, "llama.cpp: GGUF file type (Q4_K_M, Q8_0, F16, ...)");
  cmd->add_flag("--find", a->find, "search GPU counts and TP/PP/DP (and GPUs with --gpu any) for the smallest fit");
  cmd->add_option("--max-gpus", a->max_gpus, "largest GPU count --find tries (8)");
  cmd->add_option("--concurrency", a->perf.concurrency, "sequences served at once (for --find and the estimate)");
  cmd->add_option("--input-len", a->perf.input_len, "prompt tokens for the performance estimate (1024)");
  cmd->add_option("--output-len", a->perf.output_len, "generated tokens for the performance estimate (256)");
  cmd->add_flag("--json", a->json, "print JSON");
  cmd->final_callback([a, &exit_code] { exit_code = run_plan(*a); });
}

}  // namespace hubcap::cli
