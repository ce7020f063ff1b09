#pragma once
// What a vLLM release does differently when it sizes the KV cache. The
// planner follows the newest release unless told which one will serve, since
// the same settings leave different KV memory under different releases.
#include <string>

#include "util/result.h"

namespace hubcap {

struct VllmBehaviour {
  // V1 engine (default from 0.8): the profile baseline is taken after CUDA
  // initialisation, so the CUDA context is outside the non-torch growth, and
  // max_num_batched_tokens defaults by GPU. The V0 worker counted the context
  // and, without chunked prefill, profiled a whole max_model_len prompt.
  bool v1_engine = true;
  // The CUDA graph pool is estimated and subtracted before the KV cache is
  // sized (vllm#30515, on by default since 0.21.0: the engine logs "CUDA
  // graph memory profiling is enabled (default since v0.21.0)"). Earlier
  // releases captured the graphs after sizing the KV cache, outside the budget.
  bool cuda_graphs_in_budget = true;
  // The sampler pass of the profile run uses FlashInfer's top-k/top-p kernel
  // rather than PyTorch's sort-based top-k/top-p, whose sort buffers are far
  // larger: 0.8 to 0.10 when FlashInfer is installed (as in the vllm-openai
  // images); 0.11 made it opt-in (VLLM_USE_FLASHINFER_SAMPLER=1; the 0.15.1
  // log has no "Using FlashInfer for top-p & top-k sampling" line); the
  // 0.29.0 log shows it on by default again. Releases in between are taken
  // as opt-in, for want of a log that says otherwise.
  bool flashinfer_sampler = true;
};

// Behaviour of release `version` ("0.10", "0.10.1.1", "v0.21.0"; empty: the
// newest). `sampler` overrides the top-k/top-p path: "auto" (by version),
// "flashinfer" or "pytorch". Errors: a version or sampler that cannot be read,
// in one line naming the valid forms.
Result<VllmBehaviour> vllm_behaviour(const std::string& version, const std::string& sampler = "auto");

}  // namespace hubcap
