#pragma once
// The engine's memory beyond weights and KV cache, per GPU, as vLLM's
// start-up profile measures it:
//  - activation peak of the profile run: one forward pass over
//    max_num_batched_tokens dummy tokens, then (on the last PP stage) a
//    sampler pass over max_num_seqs rows of logits;
//  - non-torch memory allocated after start-up (cuBLAS/attention workspaces,
//    NCCL and custom all-reduce buffers when more than one GPU);
//  - CUDA graph pool for the captured batch sizes.
// These are models fitted to published start-up logs, not measurements; the
// constants below say what each term stands for.
#include <cstdint>

#include "plan/model_shape.h"

namespace hubcap {

struct RuntimeInputs {
  uint64_t tp = 1, pp = 1, dp = 1;
  bool expert_parallel = false;
  uint64_t dtype_bytes = 2;
  uint64_t max_num_batched_tokens = 2048;
  uint64_t max_num_seqs = 256;
  uint64_t layers_on_gpu = 0;   // layers of this PP stage
  bool last_stage = true;       // holds lm_head and runs the sampler
  bool enforce_eager = false;
  bool v1_engine = true;           // see VllmBehaviour
  bool flashinfer_sampler = false; // see VllmBehaviour
};

// Peak bytes the profile run's forward pass allocates beyond the weights.
uint64_t forward_activation_bytes(const ModelShape& shape, const RuntimeInputs& in);
// Peak bytes of the sampler pass on the last stage (0 elsewhere).
uint64_t sampler_activation_bytes(const ModelShape& shape, const RuntimeInputs& in);
// max(forward, sampler): the "PyTorch activation peak" vLLM subtracts.
uint64_t activation_peak_bytes(const ModelShape& shape, const RuntimeInputs& in);
// Non-torch memory growth after start-up.
uint64_t non_torch_bytes(const RuntimeInputs& in);
// The CUDA graph batch sizes vLLM captures by default: 1, 2, 4, then every
// multiple of 8 up to min(512, max_num_batched_tokens, 2 * max_num_seqs).
uint64_t cuda_graph_capture_count(const RuntimeInputs& in);
uint64_t cuda_graph_max_capture_size(const RuntimeInputs& in);
// Memory of the captured graphs (0 with enforce_eager).
uint64_t cuda_graph_bytes(const ModelShape& shape, const RuntimeInputs& in);

}  // namespace hubcap
