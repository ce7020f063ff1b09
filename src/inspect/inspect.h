#pragma once
// `hubcap inspect`: exact parameter counts of a model, from the cheapest
// source that gives them. Sources, in order:
//   1. the Hub's own safetensors summary in the model-info response
//      (skipped with from_headers),
//   2. safetensors headers (ranged reads, all shards in parallel),
//   3. GGUF headers (one variant or split set),
//   4. PyTorch checkpoints (zip directory + data.pkl only, never executed),
//   5. config.json by architecture (from the repo, or the embedded catalog
//      when the Hub cannot be reached).
// The report names the source used and whether the count is exact.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "formats/weights.h"
#include "util/file_set.h"
#include "util/result.h"

namespace hubcap {

struct InspectRequest {
  std::string target;         // "org/name" on the Hub, or a local file or folder
  std::string revision;       // branch, tag or commit; empty means "main"
  std::string file;           // GGUF file, split set or quant label to read
  bool file_if_gguf = false;  // apply `file` only when the model has GGUF files
  bool from_headers = false;  // ignore the Hub's summary, read the headers
  bool config_only = false;   // count from config.json alone
  size_t parallelism = 32;    // concurrent header reads
};

struct GgufChoice {
  std::string name;            // the variant: a file, or a split set's common name
  std::string quantization;    // label guessed from the name, e.g. "Q4_K_M"
  std::vector<std::string> parts;
  uint64_t size = 0;
  bool is_projector = false;   // mmproj files
  std::map<std::string, uint64_t> parameters;  // per ggml type; empty if unreadable
  uint64_t total = 0;
  std::string error;           // why its header could not be read, if so
};

struct InspectReport {
  std::string id;              // repo id, or the local path
  std::string revision;        // commit sha when known
  std::string source;          // hub-metadata | safetensors | gguf | pytorch | config
  std::string config_origin;   // for source "config": hub | local | catalog
  bool exact = true;
  std::map<std::string, uint64_t> parameters;  // stored elements per dtype
  std::map<std::string, uint64_t> dtype_bytes; // stored bytes per dtype
  uint64_t total = 0;
  uint64_t weight_bytes = 0;
  uint64_t tensor_count = 0;
  std::optional<uint64_t> logical_parameters;  // transformers' num_parameters()
  std::string architecture;
  std::vector<RepoFile> files;                 // every file of the repo or folder
  std::vector<std::string> weight_files;       // the files the numbers came from
  std::vector<GgufChoice> gguf_variants;       // when a repo has several and none was chosen
  std::optional<std::map<std::string, uint64_t>> vision_parameters;
  std::vector<std::string> notes;
  // The tensors behind the counts (from headers, or as the config implies
  // them); empty for the Hub summary and for a GGUF repo listed per variant.
  WeightsSummary weights;
  std::string config_text;  // the model's config.json, when it has one
  bool config_from_gguf = false;  // config_text rebuilt from GGUF metadata (no config.json)
};

Result<InspectReport> inspect_model(const InspectRequest& request);

// True when `target` names something on the Hub rather than a local path.
bool looks_like_repo_id(const std::string& target);

}  // namespace hubcap
