#include "formats/gguf_config.h"

#include <algorithm>
#include <string>
#include <string_view>

namespace hubcap {
namespace {

// llama.cpp architecture names whose transformers model_type is spelled apart.
// Bytes outside printable ASCII (a hostile header) become '?': the config
// must always serialize.
std::string model_type_of(std::string arch) {
  for (char& c : arch)
    if (c < 0x20 || c > 0x7e) c = '?';
  static const std::pair<std::string_view, std::string_view> kRenamed[] = {
      {"qwen2moe", "qwen2_moe"}, {"qwen3moe", "qwen3_moe"}, {"deepseek2", "deepseek_v2"},
      {"gpt-oss", "gpt_oss"},    {"gemma3", "gemma3_text"}, {"command-r", "cohere"}};
  for (const auto& [from, to] : kRenamed)
    if (arch == from) return std::string(to);
  return arch;
}

// A scalar, or the largest entry of a per-layer array.
std::optional<uint64_t> max_uint(const GgufValue& v) {
  if (v.type != GgufValueType::kArray) return v.as_uint();
  std::optional<uint64_t> best;
  for (const auto& item : v.items)
    if (auto n = item.as_uint()) best = std::max(best.value_or(0), *n);
  return best;
}

// Per-layer KV head counts where some layers have none (recurrent layers of
// hybrid models): those layers are "linear_attention".
nlohmann::json layer_types_from(const GgufValue& kv_heads) {
  if (kv_heads.type != GgufValueType::kArray || kv_heads.items.empty()) return nullptr;
  auto types = nlohmann::json::array();
  bool any_linear = false;
  for (const auto& item : kv_heads.items) {
    const bool linear = item.as_uint().value_or(0) == 0;
    any_linear = any_linear || linear;
    types.push_back(linear ? "linear_attention" : "full_attention");
  }
  return any_linear ? types : nullptr;
}

}  // namespace

nlohmann::json config_from_gguf(const GgufMetadata& m, bool has_output_tensor) {
  nlohmann::json config = nlohmann::json::object();
  const std::string arch = m.get_string("general.architecture").value_or("");
  config["model_type"] = model_type_of(arch);
  config["tie_word_embeddings"] = !has_output_tensor;
  const std::pair<const char*, const char*> kFields[] = {
      {"block_count", "num_hidden_layers"},
      {"embedding_length", "hidden_size"},
      {"feed_forward_length", "intermediate_size"},
      {"attention.head_count", "num_attention_heads"},
      {"attention.head_count_kv", "num_key_value_heads"},
      {"attention.key_length", "head_dim"},
      {"context_length", "max_position_embeddings"},
      {"attention.sliding_window", "sliding_window"},
      {"vocab_size", "vocab_size"},
      {"expert_count", "num_experts"},
      {"expert_used_count", "num_experts_per_tok"},
      {"expert_feed_forward_length", "moe_intermediate_size"},
      {"expert_shared_count", "n_shared_experts"},
      {"attention.kv_lora_rank", "kv_lora_rank"},
  };
  for (const auto& [suffix, field] : kFields)
    if (const GgufValue* v = m.find(arch + "." + suffix))
      if (auto n = max_uint(*v)) config[field] = *n;
  if (const GgufValue* kv = m.find(arch + ".attention.head_count_kv"))
    if (auto types = layer_types_from(*kv); !types.is_null()) config["layer_types"] = std::move(types);
  if (!config.contains("vocab_size"))
    if (const GgufValue* tokens = m.find("tokenizer.ggml.tokens"); tokens && tokens->type == GgufValueType::kArray)
      config["vocab_size"] = tokens->length;
  if (config.contains("kv_lora_rank"))
    if (auto rope = m.get_uint(arch + ".rope.dimension_count")) config["qk_rope_head_dim"] = *rope;
  return config;
}

}  // namespace hubcap
