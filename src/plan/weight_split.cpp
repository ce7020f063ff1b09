#include "plan/weight_split.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "plan/tensor_names.h"

namespace hubcap {
namespace {

constexpr uint64_t kVocabPadding = 64;  // vLLM pads vocab-parallel rows to a multiple of this

enum class Placement { kShard, kReplicate, kVocab, kKvProj, kExperts };
enum class Site { kFirstStage, kLastStage, kLayer };

struct TensorRole {
  Placement placement = Placement::kShard;
  Site site = Site::kLayer;
  uint64_t layer = 0;
};

TensorRole classify(const TensorInfo& t) {
  std::string_view n = t.name;
  TensorRole r;
  if (auto layer = tensor_layer_index(n)) {
    r.layer = *layer;
    if (is_routed_expert_tensor(n)) r.placement = Placement::kExperts;
    else if (is_replicated_layer_tensor(t)) r.placement = Placement::kReplicate;
    else if (is_kv_projection_tensor(n)) r.placement = Placement::kKvProj;
    return r;
  }
  if (is_embedding_tensor(n)) return {Placement::kVocab, Site::kFirstStage, 0};
  if (is_lm_head_tensor(n)) return {Placement::kVocab, Site::kLastStage, 0};
  if (n.find("norm") != std::string_view::npos || n.find("ln_f") != std::string_view::npos) return {Placement::kReplicate, Site::kLastStage, 0};
  return {Placement::kReplicate, Site::kFirstStage, 0};  // position embeddings and the like
}

bool is_float(const std::string& dtype) { return dtype == "F32" || dtype == "F16" || dtype == "BF16"; }

// Bytes the tensor takes once loaded: float tensors in the activation dtype
// (or fp8 for runtime-quantized linears), quantized tensors as stored.
uint64_t loaded_bytes(const TensorInfo& t, const TensorRole& role, const SplitSettings& s) {
  if (!is_float(t.dtype)) return t.bytes;
  bool linear = role.site == Site::kLayer && (role.placement == Placement::kShard ||
                                              role.placement == Placement::kKvProj || role.placement == Placement::kExperts);
  if (s.runtime_fp8 && linear) return t.elements;
  return t.elements * s.dtype_bytes;
}

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint64_t round_up(uint64_t a, uint64_t b) { return ceil_div(a, b) * b; }

// vLLM's mxfp4.py pads MXFP4 experts for the Marlin MoE kernel, which needs
// n % 256 == 0 and k % 128 == 0 in both GEMMs: the per-rank intermediate
// size goes up to a multiple of 128 and the hidden size to a multiple of 256
// (gpt-oss: 2880 -> 2944 and 3072). Blocks and scales grow along both
// dimensions, the gate_up bias along the intermediate one, the down bias
// along the hidden one. Checked against the logged "Model loading took" of
// gpt-oss-20b (A100, 0.19: 13.72 GiB) and gpt-oss-120b (H100, 0.10.1:
// 65.97 GiB; 4 x A100 TP 4, 0.10.1.1: 17.22 GiB).
constexpr uint64_t kMarlinIntermediateTile = 128;
constexpr uint64_t kMarlinHiddenTile = 256;

struct Ratio {
  uint64_t num = 1, den = 1;
};

Ratio mxfp4_padding(const TensorInfo& t, const ModelShape& shape, const SplitSettings& s) {
  const uint64_t ranks = s.expert_parallel ? 1 : s.tp * s.dp;
  const uint64_t inter = ceil_div(shape.moe_intermediate, ranks);
  if (inter == 0 || shape.hidden == 0) return {};
  const Ratio i{round_up(inter, kMarlinIntermediateTile), inter};
  const Ratio h{round_up(shape.hidden, kMarlinHiddenTile), shape.hidden};
  const bool bias = t.shape.size() <= 2;
  if (t.name.find("gate_up") != std::string::npos) return bias ? i : Ratio{i.num * h.num, i.den * h.den};
  if (is_down_projection_tensor(t.name)) return bias ? h : Ratio{i.num * h.num, i.den * h.den};
  return {};
}

// Bytes of one tensor on one GPU.
uint64_t shard_bytes(const TensorInfo& t, const TensorRole& role, const ModelShape& shape, const SplitSettings& s) {
  const uint64_t bytes = loaded_bytes(t, role, s);
  switch (role.placement) {
    case Placement::kReplicate: return bytes;
    case Placement::kShard: return ceil_div(bytes, s.tp);
    case Placement::kExperts: {
      const uint64_t shard = ceil_div(bytes, s.tp * s.dp);
      if (!s.mxfp4_padded || shape.quantization != "mxfp4") return shard;
      const Ratio r = mxfp4_padding(t, shape, s);
      return shard / r.den * r.num + shard % r.den * r.num / r.den;
    }
    case Placement::kKvProj: {
      if (shape.kv_heads >= s.tp) return ceil_div(bytes, s.tp);
      return ceil_div(bytes, shape.kv_heads);  // one replicated head per rank
    }
    case Placement::kVocab: {
      const uint64_t rows = t.shape.empty() ? 1 : t.shape[0];
      if (rows == 0) return bytes;
      const uint64_t padded = ceil_div(rows, kVocabPadding * s.tp) * kVocabPadding * s.tp;
      return ceil_div(bytes, rows) * padded / s.tp;
    }
  }
  return bytes;
}

bool has_lm_head(const WeightsSummary& w) {
  return std::any_of(w.tensors.begin(), w.tensors.end(), [](const TensorInfo& t) { return is_lm_head_tensor(t.name); });
}

}  // namespace

std::vector<StageLayers> pp_stages(uint64_t layers, uint64_t pp) {
  pp = std::max<uint64_t>(pp, 1);
  std::vector<uint64_t> counts(pp, layers / pp);
  for (uint64_t i = 2; i < layers % pp + 2 && i <= pp; ++i) ++counts[pp - i];
  std::vector<StageLayers> out;
  uint64_t first = 0;
  for (uint64_t c : counts) {
    out.push_back({first, c});
    first += c;
  }
  return out;
}

std::vector<uint64_t> weight_bytes_per_stage(const WeightsSummary& weights, const ModelShape& shape,
                                             const SplitSettings& s) {
  const auto stages = pp_stages(shape.layers, s.pp);
  std::vector<uint64_t> bytes(stages.size(), 0);
  auto stage_of_layer = [&](uint64_t layer) {
    for (size_t i = 0; i < stages.size(); ++i)
      if (layer < stages[i].first + stages[i].count) return i;
    return stages.size() - 1;
  };
  const TensorInfo* embedding = nullptr;
  for (const auto& t : weights.tensors) {
    TensorRole role = classify(t);
    size_t stage = role.site == Site::kFirstStage ? 0
                   : role.site == Site::kLastStage ? stages.size() - 1
                                                  : stage_of_layer(role.layer);
    bytes[stage] += shard_bytes(t, role, shape, s);
    if (role.placement == Placement::kVocab && role.site == Site::kFirstStage) embedding = &t;
  }
  // Tied embeddings: the last stage needs its own copy of the lm_head shard.
  if (stages.size() > 1 && embedding && !has_lm_head(weights))
    bytes.back() += shard_bytes(*embedding, {Placement::kVocab, Site::kLastStage, 0}, shape, s);
  const uint64_t rope_cache = shape.max_position_embeddings * shape.rotary_dim * s.dtype_bytes;
  for (auto& b : bytes) b += rope_cache;
  return bytes;
}

}  // namespace hubcap
