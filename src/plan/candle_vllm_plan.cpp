#include "plan/candle_vllm_plan.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "formats/ggml_types.h"
#include "plan/tensor_names.h"

namespace hubcap {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
// CUDA context, cuBLAS/NCCL handles and kernels' workspaces of one rank: what
// nvidia-smi shows beyond the tensors for a loaded candle-vllm (an estimate).
constexpr uint64_t kContextBytes = 600 * kMiB;
constexpr uint64_t kPrefillChunk = 8192;  // candle-vllm's default --prefill-chunk-size

struct IsqName {
  const char* flag;  // as --isq takes it
  const char* ggml;  // ggml's type name
};
constexpr IsqName kIsqNames[] = {{"q4_0", "Q4_0"}, {"q4_1", "Q4_1"}, {"q5_0", "Q5_0"}, {"q5_1", "Q5_1"},
                                 {"q8_0", "Q8_0"}, {"q2k", "Q2_K"},  {"q3k", "Q3_K"},  {"q4k", "Q4_K"},
                                 {"q5k", "Q5_K"},  {"q6k", "Q6_K"}};

const GgmlType* isq_type(const std::string& flag) {
  for (const auto& n : kIsqNames)
    if (flag == n.flag) return find_ggml_type_by_name(n.ggml);
  return nullptr;
}

bool is_float(const std::string& dtype) { return dtype == "F32" || dtype == "F16" || dtype == "BF16"; }

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// The linear layers of the transformer blocks (2-d, or stacked experts),
// not norms or routers: what candle-vllm quantizes in place when they are float.
bool is_layer_linear(const TensorInfo& t) {
  return t.shape.size() >= 2 && tensor_layer_index(t.name) && !is_replicated_layer_tensor(t);
}

// The block type a target tensor gets: v_proj and the experts' down
// projections one step up (q6k, or q8_0 when that was asked), falling back
// to Q8_0 and then to no quantization when the row length does not divide
// into blocks.
const GgmlType* isq_type_for(const TensorInfo& t, const GgmlType& base, const GgmlType& precise) {
  const bool keep_precise = is_v_projection_tensor(t.name) ||
                            (is_routed_expert_tensor(t.name) && is_down_projection_tensor(t.name));
  const uint64_t row = t.shape.back();
  for (const GgmlType* type : {keep_precise ? &precise : &base, find_ggml_type_by_name("Q8_0")})
    if (type && row % type->block_elements == 0) return type;
  return nullptr;
}

uint64_t dtype_bytes(const std::string& dtype) { return dtype == "f32" ? 4 : 2; }

// Bytes of one tensor once loaded, before sharding.
uint64_t loaded_bytes(const TensorInfo& t, const CandleVllmSettings& s, const GgmlType* base, const GgmlType* precise) {
  if (!is_float(t.dtype)) return t.bytes;
  if (base && is_layer_linear(t))
    if (const GgmlType* type = isq_type_for(t, *base, *precise))
      return ceil_div(t.elements, type->block_elements) * type->block_bytes;
  return t.elements * dtype_bytes(s.dtype);
}

// Bytes on one rank: linear layers and lm_head split over the ranks, K/V
// projections replicated per head when the ranks outnumber KV heads, the
// embedding and norms whole.
uint64_t rank_bytes(const TensorInfo& t, uint64_t bytes, const ModelShape& shape, uint64_t ranks) {
  if (is_embedding_tensor(t.name)) return bytes;
  if (is_lm_head_tensor(t.name)) return ceil_div(bytes, ranks);
  if (!tensor_layer_index(t.name) || is_replicated_layer_tensor(t)) return bytes;
  if (is_kv_projection_tensor(t.name) && shape.kv_heads && shape.kv_heads < ranks) return ceil_div(bytes, shape.kv_heads);
  return ceil_div(bytes, ranks);
}

// KV bytes of one block on one rank, as candle-vllm's get_cache_config sizes it.
uint64_t kv_bytes_per_block(const ModelShape& shape, const CandleVllmSettings& s) {
  const uint64_t elem = s.fp8_kv_cache ? 1 : dtype_bytes(s.dtype);
  const uint64_t layers = std::max<uint64_t>(1, shape.layers - shape.count(LayerKind::kLinear));
  if (shape.mla()) return s.block_size * (shape.kv_lora_rank + shape.qk_rope_head_dim) * elem * layers;
  const uint64_t heads = shape.kv_heads < s.num_gpus ? 1 : shape.kv_heads / s.num_gpus;
  return elem * s.block_size * heads * shape.head_dim * layers * 2;
}

// Prefill scratch of one chunk: hidden states, attention and MLP activations.
uint64_t activation_bytes(const ModelShape& shape, const CandleVllmSettings& s) {
  const uint64_t mlp = std::max(shape.intermediate, shape.moe_intermediate * std::max<uint64_t>(shape.active_experts, 1));
  return kPrefillChunk * (4 * shape.hidden + 2 * mlp / s.num_gpus) * dtype_bytes(s.dtype);
}

Status validate(const ModelShape& shape, const CandleVllmSettings& s) {
  if (!s.isq.empty() && !isq_type(s.isq)) {
    std::string valid;
    for (const auto& n : kIsqNames) valid += (valid.empty() ? "" : ", ") + std::string(n.flag);
    return usage_error("--isq " + s.isq + " is not a type candle-vllm quantizes to (" + valid + ")");
  }
  if (s.num_gpus == 0 || (s.num_gpus & (s.num_gpus - 1)))
    return usage_error("candle-vllm needs a power-of-two GPU count (--d), not " + std::to_string(s.num_gpus));
  if (shape.heads % s.num_gpus)
    return usage_error(fmt::format("{} attention heads do not divide over {} GPUs", shape.heads, s.num_gpus));
  if (s.dtype != "bf16" && s.dtype != "f16" && s.dtype != "f32")
    return usage_error("--dtype " + s.dtype + " is not one of bf16, f16, f32");
  if (s.block_size == 0 || s.max_num_seqs == 0) return usage_error("--block-size and --max-num-seqs must be positive");
  if (s.kv_fraction < 0 || s.kv_fraction > 1) return usage_error("--kv-fraction must be in (0, 1]");
  if (s.kv_fraction > 0 && s.gpu_memory_gib <= 0) return usage_error("--kv-fraction needs --gpu or --gpu-memory");
  if (s.kv_fraction == 0 && s.mem_mb == 0) return usage_error("--mem must be positive");
  if (s.max_model_len > shape.max_position_embeddings)
    return usage_error(fmt::format("--max-model-len {} exceeds the model's context of {} tokens", s.max_model_len,
                                   shape.max_position_embeddings));
  return ok_status();
}

std::string command_line(const CandleVllmSettings& s, uint64_t mem_mb) {
  const std::string model = s.model_id.empty() ? "MODEL" : s.model_id;
  const bool local = model.front() == '/' || model.front() == '.';
  std::string cmd = fmt::format("candle-vllm {} {}", local ? "--w" : "--m", model);
  if (s.num_gpus > 1) {
    cmd += " --d 0";
    for (uint64_t i = 1; i < s.num_gpus; ++i) cmd += fmt::format(",{}", i);
  }
  if (s.dtype != "bf16") cmd += " --dtype " + s.dtype;
  if (!s.isq.empty()) cmd += " --isq " + s.isq;
  if (s.kv_fraction > 0) cmd += fmt::format(" --kv-fraction {}", s.kv_fraction);
  else cmd += fmt::format(" --mem {}", mem_mb);
  if (s.fp8_kv_cache) cmd += " --kvcache-dtype fp8";
  if (s.max_num_seqs != 8) cmd += fmt::format(" --max-num-seqs {}", s.max_num_seqs);
  if (s.block_size != 64) cmd += fmt::format(" --block-size {}", s.block_size);
  return cmd;
}

}  // namespace

const std::vector<std::string>& candle_isq_types() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& n : kIsqNames) v.push_back(n.flag);
    return v;
  }();
  return names;
}

Result<CandleVllmPlan> plan_candle_vllm(const WeightsSummary& weights, const ModelShape& shape,
                                        const CandleVllmSettings& settings) {
  CandleVllmSettings s = settings;
  if (!s.max_model_len) s.max_model_len = shape.max_position_embeddings;
  HUBCAP_TRY(validate(shape, s));
  CandleVllmPlan p;
  const GgmlType* base = s.isq.empty() ? nullptr : isq_type(s.isq);
  const GgmlType* precise = isq_type(s.isq == "q8_0" ? "q8_0" : "q6k");
  bool quantized_checkpoint = false;
  for (const auto& t : weights.tensors) {
    const uint64_t bytes = loaded_bytes(t, s, base, precise);
    p.weights_total += bytes;
    p.weights_per_gpu += rank_bytes(t, bytes, shape, s.num_gpus);
    quantized_checkpoint = quantized_checkpoint || (!is_float(t.dtype) && is_layer_linear(t));
  }
  if (base && quantized_checkpoint) p.warnings.push_back("--isq on an already quantized checkpoint: its quantized layers stay as stored");
  p.context_overhead = kContextBytes + activation_bytes(shape, s);
  p.kv_bytes_per_block = kv_bytes_per_block(shape, s);
  uint64_t mem_mb = s.mem_mb;
  const double gpu_bytes = s.gpu_memory_gib * kGiB;
  if (s.kv_fraction > 0) {
    const double free = gpu_bytes - double(p.weights_per_gpu + p.context_overhead);
    mem_mb = free > 0 ? uint64_t(free * s.kv_fraction) / kMiB : 0;
    p.warnings.push_back("--kv-fraction: candle-vllm also subtracts its kernel workspaces from that share; the KV cache may come out smaller");
  }
  p.kv_blocks = mem_mb * kMiB / p.kv_bytes_per_block;
  p.kv_cache_bytes = p.kv_blocks * p.kv_bytes_per_block;
  p.kv_tokens = p.kv_blocks * s.block_size;
  p.max_model_len = s.max_model_len;
  p.max_concurrency = double(p.kv_tokens) / double(s.max_model_len);
  if (p.kv_tokens < s.max_model_len)
    p.warnings.push_back(fmt::format("the KV cache holds {} tokens, less than one {}-token request", p.kv_tokens, s.max_model_len));
  const double used = double(p.weights_per_gpu + p.kv_cache_bytes + p.context_overhead);
  if (gpu_bytes > 0 && used > gpu_bytes)
    p.warnings.insert(p.warnings.begin(),
                      fmt::format("weights, KV cache and overhead need {:.2f} GiB of the GPU's {:.2f} GiB: lower --mem, "
                                  "add GPUs or quantize with --isq", used / kGiB, s.gpu_memory_gib));
  p.fits = p.kv_tokens >= s.max_model_len && (gpu_bytes <= 0 || used <= gpu_bytes);
  p.warnings.push_back("CUDA context and prefill scratch are estimates; candle-vllm does not report them");
  p.command = command_line(s, mem_mb);
  return p;
}

}  // namespace hubcap
