#pragma once
// How vLLM spreads a checkpoint's tensors over GPUs: column/row-parallel
// linears sharded by TP, KV projections replicated when TP exceeds the KV
// heads, norms and routers replicated, vocab-parallel embeddings and lm_head
// padded to 64 rows per shard group, layers split over PP stages (embeddings
// on the first, lm_head and final norm on the last), routed experts over
// TP x DP (whole experts with expert parallelism, slices without).
#include <cstdint>
#include <string>
#include <vector>

#include "formats/weights.h"
#include "plan/model_shape.h"

namespace hubcap {

struct SplitSettings {
  uint64_t tp = 1, pp = 1, dp = 1;
  uint64_t dtype_bytes = 2;     // activation dtype: unquantized float tensors are loaded in it
  bool runtime_fp8 = false;     // --quantization fp8 on an unquantized checkpoint
  bool expert_parallel = false; // whole experts per rank rather than slices
  // MXFP4 experts repacked for the Marlin / Triton kernels of GPUs without
  // native FP4 (everything before Blackwell): padded to kernel tile sizes.
  bool mxfp4_padded = false;
};

// Layers of each PP stage as vLLM assigns them (the remainder goes to the
// stages just before the last): {first layer, layer count} per stage.
struct StageLayers {
  uint64_t first = 0, count = 0;
};
std::vector<StageLayers> pp_stages(uint64_t layers, uint64_t pp);

// Bytes of weights each GPU of each PP stage holds (index = stage), including
// the rotary cos/sin cache vLLM builds at load time.
std::vector<uint64_t> weight_bytes_per_stage(const WeightsSummary& weights, const ModelShape& shape,
                                             const SplitSettings& s);

}  // namespace hubcap
