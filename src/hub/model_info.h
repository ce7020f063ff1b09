#pragma once
// The Hub's description of a model repo (GET /api/models/{repo}) and of its
// files (GET /api/models/{repo}/tree/{rev}), parsed from untrusted JSON.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/file_set.h"
#include "util/result.h"

namespace hubcap {

// The Hub's own count of safetensors parameters, per dtype.
struct SafetensorsSummary {
  std::map<std::string, uint64_t> parameters;  // "BF16" -> count
  uint64_t total = 0;
};

struct HubGgufSummary {
  uint64_t total = 0;
  std::string architecture;
  std::optional<uint64_t> context_length;
};

struct ModelInfo {
  std::string id;
  std::string sha;  // the commit the revision resolved to
  bool is_private = false;
  std::string gated;  // "" when not gated, else "auto" or "manual"
  std::vector<std::string> siblings;  // file names (rfilename)
  std::vector<std::string> tags;
  std::string library_name;
  std::string pipeline_tag;
  uint64_t downloads = 0;
  uint64_t likes = 0;
  std::optional<SafetensorsSummary> safetensors;
  std::optional<HubGgufSummary> gguf;
  nlohmann::json raw;  // the whole answer, for fields not modelled here
};

// Parses a model info answer. Requires "id" and a 40-hex "sha" (the commit
// every later read is pinned to); other fields are optional, wrong types
// are errors.
Result<ModelInfo> parse_model_info(std::string_view body);

// Parses one page of a tree listing into its files (directories skipped).
// Every path must pass is_safe_repo_path(); sha256 is the LFS oid when the
// entry has "lfs"; git_oid is the entry's "oid" when it is 40 hex digits.
Result<std::vector<RepoFile>> parse_tree_page(std::string_view body);

}  // namespace hubcap
