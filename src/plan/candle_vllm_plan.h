#pragma once
// candle-vllm accounting. Unlike vLLM it does not profile: the KV cache is a
// fixed budget, `--mem` MB per GPU, cut into blocks of `--block-size` tokens
// (64 on CUDA builds); or, with `--kv-fraction F`, a fraction of the memory
// left free after loading. Weights are the checkpoint's, or, with `--isq`,
// the transformer blocks' linear layers quantized in place to a GGML block
// type (v_proj and the experts' down projections one step more precise, as
// candle-vllm keeps them), embeddings, lm_head and norms in the model dtype.
// Tensor parallelism over `--d` devices shards the linear layers and
// lm_head; the token embedding is replicated.
#include <cstdint>
#include <string>
#include <vector>

#include "formats/weights.h"
#include "plan/model_shape.h"
#include "util/result.h"

namespace hubcap {

struct CandleVllmSettings {
  std::string model_id;         // for the command line
  uint64_t num_gpus = 1;        // --d 0,1,...: one rank per GPU, tensor parallel
  uint64_t mem_mb = 4096;       // --mem: KV cache MB per GPU (candle-vllm's default)
  double kv_fraction = 0;       // --kv-fraction: > 0 sizes KV from the free memory instead
  std::string isq;              // --isq: q4_0 q4_1 q5_0 q5_1 q8_0 q2k q3k q4k q5k q6k; empty: none
  std::string dtype = "bf16";   // --dtype: bf16, f16, f32
  bool fp8_kv_cache = false;    // --kvcache-dtype fp8
  uint64_t block_size = 64;     // --block-size
  uint64_t max_num_seqs = 8;    // --max-num-seqs
  uint64_t max_model_len = 0;   // context a request may reach (0: the model's)
  double gpu_memory_gib = 0;    // of one GPU; 0: no fit check
};

struct CandleVllmPlan {
  uint64_t weights_per_gpu = 0;        // bytes on one rank
  uint64_t weights_total = 0;          // over all ranks' unique bytes
  uint64_t context_overhead = 0;       // CUDA context and workspaces (an estimate)
  uint64_t kv_cache_bytes = 0;         // per GPU
  uint64_t kv_bytes_per_block = 0;     // per GPU
  uint64_t kv_blocks = 0, kv_tokens = 0;
  uint64_t max_model_len = 0;
  double max_concurrency = 0;          // kv_tokens / max_model_len
  bool fits = false;
  std::vector<std::string> warnings;
  std::string command;
};

// The GGML type names --isq accepts, as candle-vllm spells them.
const std::vector<std::string>& candle_isq_types();

// Plans `weights` (the checkpoint's tensors) served by candle-vllm. Errors
// (one line, exit code 2): an unknown --isq type, --d not a power of two,
// zero sizes, a context beyond the model's, a --kv-fraction outside (0, 1]
// or without --gpu.
Result<CandleVllmPlan> plan_candle_vllm(const WeightsSummary& weights, const ModelShape& shape,
                                        const CandleVllmSettings& settings);

}  // namespace hubcap
