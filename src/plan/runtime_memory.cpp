#include "plan/runtime_memory.h"

#include <algorithm>

namespace hubcap {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

// Hidden-sized buffers alive at the MLP peak: the residual, the normed input
// and the attention output feeding the residual add.
constexpr uint64_t kHiddenBuffers = 3;
// Fused MoE processes tokens in chunks of at most this many (VLLM_FUSED_MOE_CHUNK_SIZE).
constexpr uint64_t kMoeChunkTokens = 32768;
// Bytes per logit alive at the peak of the profile's sampler pass, which
// samples max_num_seqs rows with top-k and top-p set (gpu_model_runner's
// _dummy_sampler_run). Both paths hold the bf16 logits from compute_logits (2)
// and the sampler's fp32 copy (4). FlashInfer's kernel adds only the softmax
// probabilities (4). PyTorch's top-k/top-p sorts every row: sorted fp32 values
// (4), int64 indices (8) and the radix sort's double buffers for both (12).
// Published V1 logs (vLLM 0.10.1, Qwen2-7B, 256 rows x 152064 logits) leave
// 0.36 GiB + non-torch with FlashInfer and about 1.3 GiB without it.
constexpr uint64_t kFlashinferSamplerBytesPerLogit = 2 + 4 + 4;
constexpr uint64_t kTorchSamplerBytesPerLogit = 2 + 4 + 4 + 8 + 12;
// Non-torch growth: cuBLAS and attention workspaces, plus NCCL and custom
// all-reduce buffers with several GPUs. The V0 worker measured it from before
// CUDA initialisation, so it includes the CUDA context: V0 profiles log
// 0.16-0.43 GiB (median 0.30). V1 measures it from after initialisation: the
// vLLM 0.10.1 logs (A100, Qwen2-7B) leave 0.13-0.17 GiB at TP 1 and
// 0.26-0.28 GiB at TP 2 once weights, KV cache and sampler are taken out.
constexpr uint64_t kNonTorchV0 = 300 * kMiB;
constexpr uint64_t kNonTorchV0Distributed = 50 * kMiB;
constexpr uint64_t kNonTorchV1 = 150 * kMiB;
constexpr uint64_t kNonTorchV1Distributed = 120 * kMiB;
// CUDA graphs: bookkeeping per captured piece (one piece per layer per size),
// plus the output buffers of the largest captured batch.
constexpr uint64_t kGraphBytesPerPiece = 64 * 1024;

uint64_t per_rank(uint64_t n, uint64_t ranks) { return (n + ranks - 1) / std::max<uint64_t>(ranks, 1); }

// Bytes per token of the widest transient in one layer's MLP (dense or MoE).
uint64_t mlp_bytes(const ModelShape& s, const RuntimeInputs& in, uint64_t tokens) {
  const uint64_t dense = tokens * 3 * per_rank(s.intermediate, in.tp);
  if (!s.moe()) return dense * in.dtype_bytes;
  const uint64_t moe_ranks = in.expert_parallel ? 1 : in.tp * in.dp;
  const uint64_t chunk = std::min(tokens, kMoeChunkTokens);
  const uint64_t moe = chunk * s.active_experts * (3 * per_rank(s.moe_intermediate, moe_ranks) + s.hidden);
  const uint64_t router = tokens * s.routed_experts * 4;  // fp32 router logits
  return std::max(dense, moe) * in.dtype_bytes + router;
}

uint64_t attention_bytes(const ModelShape& s, const RuntimeInputs& in, uint64_t tokens) {
  const uint64_t q = per_rank(s.heads, in.tp) * s.head_dim;
  const uint64_t kv = std::max<uint64_t>(1, s.kv_heads / in.tp) * s.head_dim;
  return tokens * (2 * q + 2 * kv) * in.dtype_bytes;  // qkv projection output + attention output
}

}  // namespace

uint64_t forward_activation_bytes(const ModelShape& s, const RuntimeInputs& in) {
  const uint64_t n = in.max_num_batched_tokens;
  const uint64_t hidden = n * kHiddenBuffers * s.hidden * in.dtype_bytes;
  return hidden + std::max(mlp_bytes(s, in, n), attention_bytes(s, in, n));
}

uint64_t sampler_activation_bytes(const ModelShape& s, const RuntimeInputs& in) {
  if (!in.last_stage) return 0;
  const uint64_t rows = std::min(in.max_num_seqs, in.max_num_batched_tokens);
  const uint64_t per_logit = in.flashinfer_sampler ? kFlashinferSamplerBytesPerLogit : kTorchSamplerBytesPerLogit;
  return rows * s.vocab * per_logit;
}

uint64_t activation_peak_bytes(const ModelShape& s, const RuntimeInputs& in) {
  return std::max(forward_activation_bytes(s, in), sampler_activation_bytes(s, in));
}

uint64_t non_torch_bytes(const RuntimeInputs& in) {
  const bool distributed = in.tp * in.pp * in.dp > 1;
  if (!in.v1_engine) return kNonTorchV0 + (distributed ? kNonTorchV0Distributed : 0);
  return kNonTorchV1 + (distributed ? kNonTorchV1Distributed : 0);
}

uint64_t cuda_graph_max_capture_size(const RuntimeInputs& in) {
  return std::min<uint64_t>({512, in.max_num_batched_tokens, 2 * in.max_num_seqs});
}

uint64_t cuda_graph_capture_count(const RuntimeInputs& in) {
  const uint64_t max_size = cuda_graph_max_capture_size(in);
  uint64_t count = 0;
  for (uint64_t size : {1, 2, 4})
    if (size <= max_size) ++count;
  return count + max_size / 8;
}

uint64_t cuda_graph_bytes(const ModelShape& s, const RuntimeInputs& in) {
  if (in.enforce_eager) return 0;
  const uint64_t pieces = cuda_graph_capture_count(in) * (in.layers_on_gpu + 1);
  RuntimeInputs largest = in;
  largest.max_num_batched_tokens = cuda_graph_max_capture_size(in);
  return pieces * kGraphBytesPerPiece + forward_activation_bytes(s, largest);
}

}  // namespace hubcap
