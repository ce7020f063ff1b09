#include "plan/memory_model.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "arch/config_count.h"
#include "plan/plan_validate.h"
#include "plan/runtime_memory.h"
#include "plan/vllm_command.h"
#include "plan/vllm_version.h"
#include "plan/weight_split.h"

namespace hubcap {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct Dtype {
  std::string name;
  uint64_t bytes = 2;
};

// The activation dtype vLLM picks: the config's for "auto" (float32 models run
// in bfloat16), float16 where the GPU lacks bfloat16.
Result<Dtype> activation_dtype(const ModelShape& s, const std::string& requested, const GpuSpec& gpu) {
  std::string name;
  if (requested == "auto") name = s.dtype == "F16" ? "float16" : "bfloat16";
  else if (requested == "bfloat16" || requested == "bf16") name = "bfloat16";
  else if (requested == "float16" || requested == "half" || requested == "fp16") name = "float16";
  else if (requested == "float32" || requested == "float" || requested == "fp32") return Dtype{"float32", 4};
  else return usage_error("unknown --dtype '" + requested + "' (valid: auto, bfloat16, float16, float32)");
  const bool bf16_capable = gpu.name == "custom" || gpu.tflops_bf16 > 0;
  if (name == "bfloat16" && !bf16_capable) name = "float16";
  return Dtype{name, 2};
}

// V0 enabled chunked prefill by default only from this context length up.
constexpr uint64_t kV0ChunkedPrefillFromLen = 32768;

// Engine defaults that depend on the GPU (vLLM's serve defaults: V1 gives GPUs
// of 70 GiB or more, A100 excepted, larger steps; V0 profiled a whole
// max_model_len prompt unless chunked prefill was on).
void apply_defaults(const ModelShape& s, const PlanSettings& st, const GpuSpec& gpu, const VllmBehaviour& vb,
                    PlanReport& r) {
  const bool big_gpu = vb.v1_engine && gpu.memory_gib >= 70 && gpu.name.rfind("A100", 0) != 0;
  r.max_model_len = st.max_model_len ? uint64_t(st.max_model_len) : s.max_position_embeddings;
  uint64_t batched = big_gpu ? 8192 : 2048;
  if (!vb.v1_engine && r.max_model_len < kV0ChunkedPrefillFromLen) batched = std::max<uint64_t>(r.max_model_len, 2048);
  r.max_num_seqs = st.max_num_seqs ? uint64_t(st.max_num_seqs) : (big_gpu ? 1024 : 256);
  r.max_num_batched_tokens = st.max_num_batched_tokens ? uint64_t(st.max_num_batched_tokens) : batched;
  r.max_num_seqs = std::min(r.max_num_seqs, r.max_num_batched_tokens);
  r.block_size = st.block_size ? st.block_size : (s.mla() ? 64 : 16);
}

// The weights to plan with: `exact` when given (not copied: --find plans
// many deployments of one tensor list), else counted from the config into
// `counted`.
Result<const WeightsSummary*> model_weights(const nlohmann::json& config, const WeightsSummary* exact, PlanReport& r,
                                            std::optional<WeightsSummary>& counted) {
  if (exact) {
    r.weights_exact = true;
    return exact;
  }
  auto count = count_from_config(config);
  if (!count.ok()) return count.error();
  if (!count->exact) r.warnings.push_back("weights estimated from an unknown architecture's config");
  if (count->vision) r.warnings.push_back("vision tower not counted in the weights");
  counted = std::move(count->stored);
  return &*counted;
}

// Blackwell GPUs run MXFP4 experts natively; NVIDIA GPUs before them get the
// padded Marlin/Triton layout (AMD's ROCm path is not modelled).
bool pads_mxfp4(const GpuSpec& gpu) {
  const bool blackwell = gpu.name.rfind("B", 0) == 0 || gpu.name.rfind("RTX 50", 0) == 0;
  return gpu.vendor != "amd" && !blackwell;
}

// One PP stage's memory and KV cache.
struct StagePlan {
  PerGpuMemory mem;
  KvLayout layout;
  KvAllocation kv;
};

StagePlan plan_stage(const ModelShape& s, const PlanSettings& st, const VllmBehaviour& vb, const PlanReport& r,
                     uint64_t weights,
                     const StageLayers& layers, bool last, uint64_t kv_element_bytes, uint64_t dtype_bytes) {
  StagePlan p;
  p.mem.total = uint64_t(r.gpu.memory_gib * kGiB);
  p.mem.budget = uint64_t(std::floor(r.gpu.memory_gib * st.gpu_memory_utilization * kGiB));
  RuntimeInputs in{r.tp, r.pp, r.dp, r.expert_parallel, dtype_bytes, r.max_num_batched_tokens, r.max_num_seqs,
                   layers.count, last, st.enforce_eager, vb.v1_engine, vb.flashinfer_sampler};
  p.mem.weights = weights;
  p.mem.activation = activation_peak_bytes(s, in);
  p.mem.non_torch = non_torch_bytes(in);
  p.mem.cuda_graph = cuda_graph_bytes(s, in);
  int64_t used = int64_t(p.mem.weights + p.mem.activation + p.mem.non_torch) +
                 (vb.cuda_graphs_in_budget ? int64_t(p.mem.cuda_graph) : 0);
  p.mem.kv_cache = int64_t(p.mem.budget) - used;
  p.layout = kv_layout(s, kv_element_bytes, r.tp, layers.first, layers.count, r.block_size);
  p.kv = allocate_kv(p.layout, uint64_t(std::max<int64_t>(p.mem.kv_cache, 0)), r.max_model_len,
                     r.max_num_batched_tokens);
  return p;
}

// Longest single sequence whose KV fits `available` bytes (binary search).
uint64_t longest_sequence(const KvLayout& layout, uint64_t available, uint64_t limit, uint64_t batched) {
  uint64_t lo = 0, hi = limit;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;
    if (kv_bytes_for_sequence(layout, mid, batched) <= available) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

std::string gib(double bytes) { return fmt::format("{:.2f} GiB", bytes / kGiB); }

void judge_fit(const StagePlan& p, const ModelShape& s, PlanReport& r) {
  const uint64_t available = uint64_t(std::max<int64_t>(p.mem.kv_cache, 0));
  r.max_fitting_model_len = longest_sequence(p.layout, available, s.max_position_embeddings, r.max_num_batched_tokens);
  if (p.mem.kv_cache <= 0) {
    r.reasons.push_back(fmt::format("weights, activations and overhead ({}) exceed the budget of {} per GPU",
                                    gib(double(p.mem.budget - p.mem.kv_cache)), gib(double(p.mem.budget))));
  } else if (r.max_fitting_model_len < r.max_model_len) {
    r.reasons.push_back(fmt::format(
        "one {}-token sequence needs {} of KV cache but {} is left; the longest that fits is {} tokens",
        r.max_model_len, gib(double(kv_bytes_for_sequence(p.layout, r.max_model_len, r.max_num_batched_tokens))),
        gib(double(available)), r.max_fitting_model_len));
  }
  r.fits = r.reasons.empty();
}

void add_shape_warnings(const ModelShape& s, const PlanSettings& st, const PlanReport& r,
                        std::vector<std::string>& w) {
  if (s.count(LayerKind::kLinear))
    w.push_back(fmt::format("{} linear-attention/Mamba layers: their fixed per-sequence state is not counted",
                            s.count(LayerKind::kLinear)));
  if (!s.mla() && s.kv_heads < r.tp)
    w.push_back(fmt::format("tp {} exceeds the {} KV heads: each GPU keeps a replica of one KV head", r.tp, s.kv_heads));
  if (!st.quantization.empty() && st.quantization != "fp8")
    w.push_back("runtime quantization '" + st.quantization + "' is not modelled: weights as stored");
  if (st.quantization == "fp8" && !s.quantization.empty())
    w.push_back("the checkpoint is already quantized (" + s.quantization + "): weights as stored");
  if (r.gpu.vendor == "amd") w.push_back("AMD GPU: vLLM's ROCm defaults may differ from the CUDA ones modelled here");
  w.push_back("activation, non-torch and CUDA graph memory are fitted estimates, not measurements");
}

}  // namespace

Result<PlanReport> plan_model(const nlohmann::json& config, const WeightsSummary* exact_weights,
                              const PlanSettings& st) {
  auto shape = read_model_shape(config);
  if (!shape.ok()) return shape.error();
  const ModelShape& s = *shape;
  PlanReport r;
  r.architecture = s.model_type;
  auto gpu = resolve_gpu(st);
  if (!gpu.ok()) return gpu.error();
  r.gpu = *gpu;
  auto par = resolve_parallel(s, st);
  if (!par.ok()) return par.error();
  r.tp = par->tp, r.pp = par->pp, r.dp = par->dp, r.num_gpus = par->num_gpus();
  r.expert_parallel = st.enable_expert_parallel && s.moe();
  HUBCAP_TRY(validate_lengths(s, st));
  auto dtype = activation_dtype(s, st.dtype, r.gpu);
  if (!dtype.ok()) return dtype.error();
  r.dtype = dtype->name;
  r.kv_cache_dtype = st.kv_cache_dtype;
  auto kv_bytes = kv_element_bytes(st.kv_cache_dtype, dtype->bytes);
  if (!kv_bytes.ok()) return kv_bytes.error();
  auto behaviour = vllm_behaviour(st.vllm_version, st.sampler);
  if (!behaviour.ok()) return behaviour.error();
  apply_defaults(s, st, r.gpu, *behaviour, r);

  std::optional<WeightsSummary> counted;
  auto weights = model_weights(config, exact_weights, r, counted);
  if (!weights.ok()) return weights.error();
  SplitSettings split{r.tp, r.pp, r.dp, dtype->bytes, st.quantization == "fp8" && s.quantization.empty(),
                      r.expert_parallel, pads_mxfp4(r.gpu)};
  const auto stage_weights = weight_bytes_per_stage(**weights, s, split);
  const auto stages = pp_stages(s.layers, r.pp);

  // vLLM sizes every worker's KV cache by the most constrained one.
  std::optional<StagePlan> worst;
  for (size_t i = 0; i < stages.size(); ++i) {
    StagePlan p = plan_stage(s, st, *behaviour, r, stage_weights[i], stages[i], i + 1 == stages.size(), *kv_bytes, dtype->bytes);
    if (!worst || p.kv.num_blocks < worst->kv.num_blocks ||
        (p.kv.num_blocks == worst->kv.num_blocks && p.mem.kv_cache < worst->mem.kv_cache))
      worst = p;
  }
  r.per_gpu = worst->mem;
  r.kv = worst->kv;
  r.kv_cache_bytes_per_token = worst->layout.bytes_per_token();
  judge_fit(*worst, s, r);
  add_shape_warnings(s, st, r, r.warnings);
  r.command = vllm_serve_command(st, r);
  return r;
}

}  // namespace hubcap
