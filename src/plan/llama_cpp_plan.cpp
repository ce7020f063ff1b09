#include "plan/llama_cpp_plan.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <string_view>

#include <fmt/format.h>

#include "plan/kv_cache.h"

namespace hubcap {
namespace {

// Average bits per weight of llama.cpp's file types (mixes of block types;
// as llama-quantize reports them for Llama-class models).
struct GgufType {
  const char* name;
  double bits;
};
constexpr GgufType kGgufTypes[] = {{"F32", 32},     {"F16", 16},      {"BF16", 16},    {"Q8_0", 8.5},
                                   {"Q6_K", 6.56},  {"Q5_K_M", 5.69}, {"Q5_K_S", 5.54}, {"Q5_0", 5.5},
                                   {"Q4_K_M", 4.85}, {"Q4_K_S", 4.58}, {"Q4_0", 4.5},   {"IQ4_XS", 4.25},
                                   {"Q3_K_M", 3.91}, {"Q3_K_S", 3.5},  {"Q2_K", 2.96},  {"IQ2_XXS", 2.06}};

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Weight bytes by where llama.cpp places them: token_embd stays in RAM, each
// block goes to the GPU when offloaded, the output layer with -ngl > n_layer.
struct WeightLayout {
  uint64_t total = 0, output = 0;
  std::vector<uint64_t> layers;  // one per block
};

WeightLayout estimated_layout(const ModelShape& s, uint64_t parameters, double bits) {
  WeightLayout w;
  w.total = uint64_t(double(parameters) * bits / 8.0);
  const uint64_t embed = uint64_t(double(s.vocab * s.hidden) * bits / 8.0);
  w.output = s.tie_word_embeddings ? 0 : embed;
  w.layers.assign(s.layers, (w.total - std::min(w.total, embed + w.output)) / s.layers);
  return w;
}

std::optional<uint64_t> block_index(std::string_view name) {
  if (!name.starts_with("blk.")) return std::nullopt;
  uint64_t n = 0;
  size_t i = 4;
  for (; i < name.size() && name[i] >= '0' && name[i] <= '9' && n < (uint64_t{1} << 32); ++i) n = n * 10 + uint64_t(name[i] - '0');
  if (i == 4 || i >= name.size() || name[i] != '.') return std::nullopt;
  return n;
}

WeightLayout exact_layout(const WeightsSummary& tensors, uint64_t layers) {
  WeightLayout w;
  w.layers.assign(layers, 0);
  for (const auto& t : tensors.tensors) {
    w.total += t.bytes;
    auto block = block_index(t.name);
    if (block && *block < layers) w.layers[*block] += t.bytes;
    else if (t.name.starts_with("output")) w.output += t.bytes;
  }
  return w;
}

}  // namespace

Result<double> gguf_bits_per_weight(const std::string& type) {
  std::string upper, valid;
  for (char c : type) upper += char(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& t : kGgufTypes) {
    if (upper == t.name) return t.bits;
    valid += (valid.empty() ? "" : ", ") + std::string(t.name);
  }
  return usage_error("unknown GGUF type '" + type + "' (known: " + valid + ")");
}

Result<LlamaCppPlan> plan_llama_cpp(const ModelShape& s, const LlamaCppSettings& st, const WeightsSummary* gguf_tensors) {
  Result<double> bits = gguf_tensors ? Result<double>(0.0) : gguf_bits_per_weight(st.weight_type);
  if (!bits.ok()) return bits.error();
  if (st.n_ctx == 0 || st.n_ubatch == 0) return usage_error("--ctx-size and --ubatch-size must be positive");
  if (st.n_ctx > s.max_position_embeddings)
    return usage_error("--ctx-size " + std::to_string(st.n_ctx) + " exceeds the model's context of " +
                       std::to_string(s.max_position_embeddings) + " tokens");
  auto kv = llama_cpp_kv_bytes(s, st.n_ctx, st.cache_type_k, st.cache_type_v, st.n_ubatch);
  if (!kv.ok()) return kv.error();
  LlamaCppPlan p;
  const WeightLayout w = gguf_tensors ? exact_layout(*gguf_tensors, s.layers) : estimated_layout(s, st.parameters, *bits);
  p.weights_exact = gguf_tensors != nullptr;
  p.weights_total = w.total;
  const uint64_t ngl = st.n_gpu_layers < 0 ? s.layers + 1 : uint64_t(st.n_gpu_layers);
  p.layers_on_gpu = std::min<uint64_t>(ngl, s.layers);
  p.output_on_gpu = ngl > s.layers;
  for (uint64_t i = s.layers - p.layers_on_gpu; i < s.layers; ++i) p.weights_gpu += w.layers[i];
  if (p.output_on_gpu) p.weights_gpu += w.output;
  p.weights_cpu = p.weights_total - std::min(p.weights_total, p.weights_gpu);
  p.kv_gpu = *kv / s.layers * p.layers_on_gpu;
  p.kv_cpu = *kv - p.kv_gpu;
  // One micro-batch's logits (fp32) and MLP scratch on the GPU.
  if (p.layers_on_gpu > 0)
    p.compute_buffer_gpu = st.n_ubatch * (s.vocab * 4 + 3 * std::max(s.intermediate, s.moe_intermediate) * 4);
  const double used = double(p.weights_gpu + p.kv_gpu + p.compute_buffer_gpu);
  p.fits = st.gpu_memory_gib <= 0 || used <= st.gpu_memory_gib * kGiB;
  const std::string source = !st.gguf_source.empty() ? st.gguf_source
                             : fmt::format("-m {}-{}.gguf", st.model_id.empty() ? "MODEL" : st.model_id, st.weight_type);
  p.command = fmt::format("llama-server {} -c {} -ngl {}{}{}", source, st.n_ctx,
                          st.n_gpu_layers < 0 ? 999 : st.n_gpu_layers,
                          st.cache_type_k == "f16" ? "" : " --cache-type-k " + st.cache_type_k,
                          st.cache_type_v == "f16" ? "" : " --cache-type-v " + st.cache_type_v);
  return p;
}

}  // namespace hubcap
