#pragma once
// What a checkpoint tensor is, read from its name (transformers' naming, as
// safetensors and PyTorch checkpoints store it): the engines place and
// quantize tensors by these roles.
#include <cstdint>
#include <optional>
#include <string_view>

#include "formats/weights.h"

namespace hubcap {

// The layer index in names like "model.layers.12.mlp..." or "transformer.h.3.attn...".
std::optional<uint64_t> tensor_layer_index(std::string_view name);

bool is_embedding_tensor(std::string_view name);
bool is_lm_head_tensor(std::string_view name);
// Inside a layer, tensors every rank keeps whole: norms, biases, routers,
// MLA's low-rank down projections, 1-d scales.
bool is_replicated_layer_tensor(const TensorInfo& t);
bool is_routed_expert_tensor(std::string_view name);  // not shared experts
bool is_kv_projection_tensor(std::string_view name);  // k_proj / v_proj
bool is_v_projection_tensor(std::string_view name);
bool is_down_projection_tensor(std::string_view name);  // down_proj / w2

}  // namespace hubcap
