#pragma once
// Serving settings for the capacity planner, named and defaulted as vLLM's
// engine arguments are. Zero / empty means "the engine's default".
#include <cstdint>
#include <string>

namespace hubcap {

struct PlanSettings {
  std::string model_id;        // for the command line; may be empty
  std::string gpu;             // catalog name; may be empty when gpu_memory_gib is set
  double gpu_memory_gib = 0;   // overrides the catalog's memory
  uint64_t num_gpus = 0;       // 0: tp * pp * dp
  uint64_t tp = 0, pp = 1, dp = 1;  // tp 0: num_gpus / (pp * dp), else 1
  bool enable_expert_parallel = false;
  int64_t max_model_len = 0;           // 0: the model's max_position_embeddings
  int64_t max_num_seqs = 0;            // 0: 1024 on >= 70 GiB GPUs other than A100, else 256 (V0: 256)
  int64_t max_num_batched_tokens = 0;  // 0: 8192 on >= 70 GiB GPUs other than A100, else 2048
                                       // (V0: max(max_model_len, 2048) below 32K context)
  double gpu_memory_utilization = 0.9;
  std::string dtype = "auto";          // auto, bfloat16, float16, float32
  std::string kv_cache_dtype = "auto"; // auto, fp8, fp8_e4m3, fp8_e5m2
  std::string quantization;            // runtime quantization, e.g. "fp8"; empty: the checkpoint's
  uint64_t block_size = 0;             // 0: 16 (64 for MLA models, as FlashMLA needs)
  bool enforce_eager = false;
  // The vLLM release that will serve ("0.10", "0.21.1"); empty: the newest.
  // Releases differ in what they subtract before sizing the KV cache (see
  // plan/vllm_version.h).
  std::string vllm_version;
  // Top-k/top-p path of the profile's sampler pass: auto (by version),
  // flashinfer or pytorch (FlashInfer not installed or disabled).
  std::string sampler = "auto";
  std::string engine = "vllm";
};

}  // namespace hubcap
