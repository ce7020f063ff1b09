#include "plan/tensor_names.h"

namespace hubcap {
namespace {

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

}  // namespace

std::optional<uint64_t> tensor_layer_index(std::string_view name) {
  for (std::string_view marker : {".layers.", "layers.", ".h.", ".blocks.", ".layer."}) {
    size_t pos = name.find(marker);
    if (pos == std::string_view::npos || (marker == "layers." && pos != 0)) continue;
    size_t i = pos + marker.size();
    if (i >= name.size() || name[i] < '0' || name[i] > '9') continue;
    uint64_t n = 0;
    for (; i < name.size() && name[i] >= '0' && name[i] <= '9' && n < (uint64_t{1} << 40); ++i) n = n * 10 + uint64_t(name[i] - '0');
    return n;
  }
  return std::nullopt;
}

bool is_embedding_tensor(std::string_view n) {
  return contains(n, "embed_tokens") || contains(n, "wte.") || contains(n, "word_embeddings") ||
         contains(n, "tok_embeddings") || contains(n, "embed_in.");
}

bool is_lm_head_tensor(std::string_view n) {
  return n.rfind("lm_head", 0) == 0 || contains(n, ".lm_head.") || contains(n, "embed_out.") || n == "output.weight";
}

bool is_replicated_layer_tensor(const TensorInfo& t) {
  std::string_view n = t.name;
  if (t.shape.size() <= 1) return true;
  return contains(n, "norm") || contains(n, ".gate.weight") || contains(n, ".router.") || contains(n, "q_a_proj") ||
         contains(n, "kv_a_proj") || contains(n, "e_score_correction");
}

bool is_routed_expert_tensor(std::string_view n) { return contains(n, ".experts.") && !contains(n, "shared_expert"); }

bool is_kv_projection_tensor(std::string_view n) { return contains(n, ".k_proj.") || contains(n, ".v_proj."); }

bool is_v_projection_tensor(std::string_view n) { return contains(n, ".v_proj."); }

bool is_down_projection_tensor(std::string_view n) {
  return contains(n, "down_proj") || contains(n, ".w2.") || contains(n, ".w2_");
}

}  // namespace hubcap
