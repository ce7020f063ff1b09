// `hubcap plan`: predicts the per-GPU memory, KV cache and concurrency an
// engine (vLLM, candle-vllm, llama.cpp) will have for a model and settings.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "arch/catalog.h"
#include "arch/config_count.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "inspect/inspect.h"
#include "plan/candle_vllm_plan.h"
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
  std::string model, config_path, revision;
  bool json = false;
  bool find = false;
  uint64_t max_gpus = 8;
  PerfRequest perf;
  PlanSettings settings;
  LlamaCppSettings llama;
  CandleVllmSettings candle;
};

constexpr size_t kDeploymentsShown = 5;

// What a plan starts from: the config, and the checkpoint's real tensors
// when they could be read.
struct PlanInput {
  nlohmann::json config;
  std::optional<WeightsSummary> weights;  // safetensors / PyTorch tensors
  std::optional<WeightsSummary> gguf;     // GGUF tensors (llama.cpp)
  std::string gguf_quant;                 // the GGUF variant read
  std::string weights_source;             // where the weights' sizes come from, for the output
  std::vector<std::string> notes;
};

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

Result<PlanInput> input_from_config(const nlohmann::json& config, std::string source) {
  PlanInput in;
  in.config = config;
  in.weights_source = std::move(source);
  return in;
}

Result<PlanInput> input_from_catalog(const std::string& id, const Error& why) {
  const CatalogEntry* e = find_in_catalog(id);
  if (!e && why.unreachable) return Error{why.message + "; and " + id + " is not in hubcap's catalog", why.exit_code};
  if (!e) return why;
  auto in = input_from_config(nlohmann::json::parse(e->config_json), "config.json (embedded catalog), counted by architecture");
  in->notes.push_back("the Hub could not be read (" + why.message + "): planned from hubcap's catalog");
  return in;
}

std::string describe_source(const InspectReport& r) {
  std::string where = looks_like_repo_id(r.id) ? "the Hub" : "local files";
  if (r.source == "safetensors") return "safetensors headers (" + where + "), exact";
  if (r.source == "pytorch") return "PyTorch checkpoint (" + where + "), exact";
  if (r.source == "gguf") return "GGUF tensors (" + where + "), exact";
  return "config.json (" + (r.config_origin.empty() ? where : r.config_origin) + "), counted by architecture" +
         (r.exact ? "" : " (an estimate)");
}

PlanInput input_from_report(InspectReport report, nlohmann::json config, const PlanArgs& a) {
  PlanInput in;
  in.config = std::move(config);
  in.weights_source = describe_source(report);
  in.notes = std::move(report.notes);
  if (report.config_from_gguf) in.notes.push_back("no config.json: the model's shape comes from the GGUF metadata");
  if (report.source == "safetensors" || report.source == "pytorch") in.weights = std::move(report.weights);
  if (report.source == "gguf" && !report.weights.tensors.empty()) {
    in.gguf = std::move(report.weights);
    in.gguf_quant = a.llama.weight_type;
  }
  if (report.source == "gguf" && a.settings.engine != "llama.cpp")
    in.weights_source = "config.json, counted by architecture (the repo holds GGUF files: plan them with --engine llama.cpp)";
  return in;
}

// MODEL: a Hub repo id, a local folder or file, or a catalog id. The
// checkpoint's headers give the exact tensors; config.json (or --config)
// gives the shape.
Result<PlanInput> resolve_model(const PlanArgs& a) {
  std::optional<nlohmann::json> config_override;
  if (!a.config_path.empty()) {
    auto config = read_config_file(a.config_path);
    if (!config) return config.error();
    if (a.model.empty()) return input_from_config(*config, "config.json (--config), counted by architecture");
    config_override = std::move(*config);
  }
  if (a.model.empty()) return usage_error("give a MODEL (Hub repo, local folder or catalog id) or --config FILE");
  std::error_code ec;
  if (a.model.ends_with(".json") && std::filesystem::is_regular_file(a.model, ec)) {
    auto config = read_config_file(a.model);
    if (!config) return config.error();
    return input_from_config(*config, "config.json (local), counted by architecture");
  }
  InspectRequest request;
  request.target = a.model;
  request.revision = a.revision;
  request.from_headers = true;
  if (a.settings.engine == "llama.cpp") {
    request.file = a.llama.weight_type;
    request.file_if_gguf = true;
  }
  auto report = inspect_model(request);
  if (!report) return input_from_catalog(a.model, report.error());
  if (config_override) {
    report->config_from_gguf = false;
    return input_from_report(std::move(*report), std::move(*config_override), a);
  }
  if (report->config_text.empty()) {
    if (find_in_catalog(a.model)) return input_from_catalog(a.model, Error{"it has no config.json"});
    return Error{a.model + ": no config.json to read the model's shape from" +
                 (report->source == "gguf" ? "; give the original model's config.json with --config FILE" : "")};
  }
  auto config = nlohmann::json::parse(report->config_text, nullptr, false);
  if (config.is_discarded() || !config.is_object()) return Error{a.model + ": config.json is not a JSON object"};
  return input_from_report(std::move(*report), std::move(config), a);
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

const WeightsSummary* exact(const PlanInput& in) { return in.weights ? &*in.weights : nullptr; }

nlohmann::json with_source(nlohmann::json j, const PlanInput& in) {
  j["weights_source"] = in.weights_source;
  if (!in.notes.empty()) j["notes"] = in.notes;
  return j;
}

std::string source_text(const PlanInput& in) {
  std::string out = "weights: " + in.weights_source + "\n";
  for (const auto& n : in.notes) out += "note: " + n + "\n";
  return out;
}

int run_find(const PlanInput& in, const PlanArgs& a, const PlanSettings& st) {
  const nlohmann::json& config = in.config;
  SearchRequest req{a.perf.concurrency, a.max_gpus, st.gpu == "any"};
  PlanSettings base = st;
  if (req.any_gpu) base.gpu.clear();
  auto found = find_deployments(config, exact(in), base, req);
  if (!found.ok()) return refuse(found.error());
  if (found->empty())
    return refuse(Error{"no deployment of up to " + std::to_string(a.max_gpus) + " GPUs holds " +
                        std::to_string(req.concurrency) + " sequence(s) at this context; try --max-gpus, a shorter "
                        "--max-model-len or --kv-cache-dtype fp8"});
  if (a.json) {
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < found->size() && i < kDeploymentsShown; ++i)
      list.push_back(plan_with_perf_json(config, (*found)[i], a, st.model_id));
    print_json(with_source({{"deployments", list}, {"found", found->size()}}, in));
    return 0;
  }
  std::cout << source_text(in) << found->size() << " deployments fit; the smallest:\n\n"
            << deployments_text(*found, kDeploymentsShown) << "\n";
  print_plan(config, found->front(), a, st.model_id);
  return 0;
}

int run_llama_cpp(const PlanInput& in, const PlanArgs& a, const PlanSettings& st) {
  const nlohmann::json& config = in.config;
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
  if (in.gguf && looks_like_repo_id(a.model)) ls.gguf_source = "-hf " + a.model + ":" + in.gguf_quant;
  else if (in.gguf) ls.gguf_source = "-m " + a.model;
  auto plan = plan_llama_cpp(*shape, ls, in.gguf ? &*in.gguf : nullptr);
  if (!plan.ok()) return refuse(plan.error());
  if (a.json) print_json(with_source(llama_cpp_json(*plan, ls), in));
  else std::cout << source_text(in) << llama_cpp_text(*plan, ls);
  return 0;
}

int run_candle_vllm(const PlanInput& in, const PlanArgs& a, const PlanSettings& st) {
  auto shape = read_model_shape(in.config);
  if (!shape.ok()) return refuse(shape.error());
  WeightsSummary derived;
  if (!in.weights) {
    auto count = count_from_config(in.config);
    if (!count.ok()) return refuse(count.error());
    derived = std::move(count->stored);
  }
  CandleVllmSettings cs = a.candle;
  cs.model_id = st.model_id;
  cs.num_gpus = st.num_gpus ? st.num_gpus : std::max<uint64_t>(st.tp, 1);
  cs.max_model_len = st.max_model_len > 0 ? uint64_t(st.max_model_len) : 0;
  if (st.max_num_seqs > 0) cs.max_num_seqs = uint64_t(st.max_num_seqs);
  if (st.block_size) cs.block_size = st.block_size;
  if (st.dtype == "float16") cs.dtype = "f16";
  else if (st.dtype == "float32") cs.dtype = "f32";
  cs.fp8_kv_cache = st.kv_cache_dtype.starts_with("fp8");
  if (!st.gpu.empty() || st.gpu_memory_gib > 0) {
    auto gpu = resolve_gpu(st);
    if (!gpu.ok()) return refuse(gpu.error());
    cs.gpu_memory_gib = gpu->memory_gib;
  }
  auto plan = plan_candle_vllm(in.weights ? *in.weights : derived, *shape, cs);
  if (!plan.ok()) return refuse(plan.error());
  if (a.json) print_json(with_source(candle_vllm_json(*plan, cs), in));
  else std::cout << source_text(in) << candle_vllm_text(*plan, cs);
  return 0;
}

int run_plan(const PlanArgs& a) {
  PlanSettings st = a.settings;
  if (st.engine != "vllm" && st.engine != "llama.cpp" && st.engine != "candle-vllm")
    return refuse(usage_error("--engine " + st.engine + " is not supported (vllm, candle-vllm, llama.cpp)"));
  auto input = resolve_model(a);
  if (!input.ok()) return refuse(input.error());
  st.model_id = a.model.empty() ? "MODEL" : a.model;
  if (st.engine == "llama.cpp") return run_llama_cpp(*input, a, st);
  if (st.engine == "candle-vllm") return run_candle_vllm(*input, a, st);
  if (a.find) return run_find(*input, a, st);
  if (st.gpu == "any") return refuse(usage_error("--gpu any needs --find"));
  auto report = plan_model(input->config, exact(*input), st);
  if (!report.ok()) return refuse(report.error());
  if (a.json) {
    print_json(with_source(plan_with_perf_json(input->config, *report, a, st.model_id), *input));
    return 0;
  }
  std::cout << source_text(*input) << "\n";
  print_plan(input->config, *report, a, st.model_id);
  return 0;
}

}  // namespace

void add_plan_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("plan", "Predict vLLM's per-GPU memory, KV cache and concurrency for a model");
  auto a = std::make_shared<PlanArgs>();
  PlanSettings& s = a->settings;
  cmd->add_option("model", a->model, "Hub repo (org/name), local model folder or file, or catalog id");
  cmd->add_option("--revision", a->revision, "branch, tag or commit of a Hub repo (main)");
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
  cmd->add_option("--engine", s.engine, "serving engine: vllm, candle-vllm or llama.cpp");
  cmd->add_option("--mem", a->candle.mem_mb, "candle-vllm: KV cache MB per GPU (4096)");
  cmd->add_option("--kv-fraction", a->candle.kv_fraction, "candle-vllm: KV cache as this share of the memory free after loading");
  cmd->add_option("--isq", a->candle.isq, "candle-vllm: in-situ quantization (q4k, q8_0, ...)");
  cmd->add_option("--vllm-version", s.vllm_version, "vLLM release whose memory accounting to follow, e.g. 0.10 (default: the newest)");
  cmd->add_option("--sampler", s.sampler, "vLLM's top-k/top-p sampler in the profile: auto (by version), flashinfer, pytorch");
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
