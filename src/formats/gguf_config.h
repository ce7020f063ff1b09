#pragma once
// A transformers-style config.json rebuilt from a GGUF file's metadata, for
// GGUF repos that ship no config.json: llama.cpp stores the same facts under
// "{arch}.block_count", "{arch}.attention.head_count_kv" and so on. Only the
// fields that size memory are filled (layers, widths, heads, head size, MoE,
// MLA, sliding window, context, vocabulary, tied embeddings); per-layer
// arrays (head_count_kv of hybrid models) become layer_types.
#include <nlohmann/json.hpp>

#include "formats/gguf.h"

namespace hubcap {

// `has_output_tensor`: the file stores "output.weight" (an untied lm_head).
// Never fails: keys that are missing or mistyped are left out, and whoever
// reads the config reports what is missing.
nlohmann::json config_from_gguf(const GgufMetadata& metadata, bool has_output_tensor);

}  // namespace hubcap
