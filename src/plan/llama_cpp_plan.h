#pragma once
// llama.cpp (llama-server) accounting: GGUF weights at a quantization's
// bits per weight, KV cache for n_ctx cells with its cache types, layer
// offload (-ngl) between VRAM and RAM, and the compute buffer. Weights are
// exact when the GGUF file's tensors are given, else estimated from the
// parameter count at the file type's bits per weight; the compute buffer is
// an estimate (logits and MLP scratch of one micro-batch).
#include <cstdint>
#include <string>

#include "formats/weights.h"
#include "plan/model_shape.h"
#include "util/result.h"

namespace hubcap {

struct LlamaCppSettings {
  uint64_t n_ctx = 4096;
  std::string cache_type_k = "f16", cache_type_v = "f16";
  int64_t n_gpu_layers = -1;   // -1: all layers and the output layer (-ngl 999)
  uint64_t n_ubatch = 512;
  std::string weight_type = "Q4_K_M";  // GGUF file type
  uint64_t parameters = 0;     // logical parameter count of the model
  double gpu_memory_gib = 0;   // VRAM of one GPU
  std::string model_id;
  std::string gguf_source;     // "-hf repo:QUANT" or "-m file" for the command; empty: from model_id
};

struct LlamaCppPlan {
  uint64_t weights_total = 0, weights_gpu = 0, weights_cpu = 0;
  uint64_t kv_gpu = 0, kv_cpu = 0, compute_buffer_gpu = 0;
  uint64_t layers_on_gpu = 0;
  bool output_on_gpu = false;
  bool fits = false;  // VRAM use within the GPU's memory
  bool weights_exact = false;  // from the GGUF file's tensors
  std::string command;
};

// Bits per weight of a GGUF file type ("Q4_K_M" 4.85, "Q8_0" 8.5, "F16" 16,
// ...), or an Error listing the known types.
Result<double> gguf_bits_per_weight(const std::string& type);

// `gguf_tensors`, when given, are the GGUF file's tensors (llama.cpp names:
// token_embd, blk.N.*, output); -ngl N puts the last N blocks on the GPU.
Result<LlamaCppPlan> plan_llama_cpp(const ModelShape& shape, const LlamaCppSettings& settings,
                                    const WeightsSummary* gguf_tensors = nullptr);

}  // namespace hubcap
