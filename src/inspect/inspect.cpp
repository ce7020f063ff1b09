#include "inspect/inspect.h"

#include <algorithm>
#include <filesystem>

#include "arch/catalog.h"
#include "arch/config_count.h"
#include "formats/dtype.h"
#include "formats/gguf_config.h"
#include "formats/gguf_variants.h"
#include "formats/safetensors.h"
#include "formats/torch_checkpoint.h"
#include "hub/hub_client.h"
#include "hub/hub_file_set.h"
#include "util/parallel.h"
#include "util/prefetched_file_set.h"

namespace hubcap {
namespace {

bool top_level_with_suffix(const FileSet& files, std::string_view suffix) {
  return std::any_of(files.files().begin(), files.files().end(), [&](const RepoFile& f) {
    return f.path.find('/') == std::string::npos && f.path.ends_with(suffix);
  });
}

bool any_with_suffix(const FileSet& files, std::string_view suffix) {
  return std::any_of(files.files().begin(), files.files().end(),
                     [&](const RepoFile& f) { return f.path.ends_with(suffix); });
}

void set_weights(InspectReport& report, const WeightsSummary& weights) {
  report.parameters = weights.parameters;
  report.total = weights.total();
  report.weight_bytes = weights.weight_bytes;
  report.tensor_count = weights.tensors.size();
  report.dtype_bytes.clear();
  for (const auto& t : weights.tensors) report.dtype_bytes[t.dtype] += t.bytes;
  report.weights = weights;
}

// The Hub's summary carries counts per dtype; bytes follow from the dtype widths.
Status set_hub_summary(InspectReport& report, const std::map<std::string, uint64_t>& parameters) {
  report.parameters = parameters;
  report.total = 0;
  report.weight_bytes = 0;
  for (const auto& [dtype, n] : parameters) {
    report.total += n;
    const DtypeInfo* info = find_dtype(dtype);
    if (!info) return Error{"the Hub's safetensors summary lists unknown dtype '" + dtype + "'"};
    auto bytes = dtype_bytes(*info, n);
    if (!bytes) return bytes.error();
    report.dtype_bytes[dtype] = *bytes;
    report.weight_bytes += *bytes;
  }
  return ok_status();
}

std::optional<std::string> read_config(FileSet& files) {
  if (!files.find("config.json")) return std::nullopt;
  auto text = read_small_file(files, "config.json", 16u << 20);
  if (!text) return std::nullopt;
  return std::move(*text);
}

// Adds the transformers-style count, computed from the stored tensors and config.json.
void add_logical_count(InspectReport& report, const WeightsSummary& weights, const std::optional<std::string>& config) {
  nlohmann::json parsed;
  const nlohmann::json* config_json = nullptr;
  if (config) {
    parsed = nlohmann::json::parse(*config, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object()) {
      config_json = &parsed;
      if (parsed.contains("model_type") && parsed["model_type"].is_string())
        report.architecture = parsed["model_type"].get<std::string>();
    }
  }
  LogicalCount logical = logical_from_tensors(weights, config_json);
  report.logical_parameters = logical.logical_parameters;
  for (auto& n : logical.notes) report.notes.push_back(std::move(n));
}

Status apply_config_count(InspectReport& report, std::string_view config_text, std::string origin) {
  auto counted = count_from_config_text(config_text);
  if (!counted) return Error{"config.json: " + counted.error().message};
  set_weights(report, counted->stored);
  report.source = "config";
  report.config_origin = std::move(origin);
  report.exact = counted->exact;
  report.architecture = counted->architecture;
  report.logical_parameters = counted->logical_parameters;
  if (counted->vision) report.vision_parameters = counted->vision->parameters;
  for (auto& n : counted->notes) report.notes.push_back(n);
  report.weight_files.clear();
  return ok_status();
}

std::vector<GgufChoice> describe_variants(FileSet& files, const std::vector<GgufVariant>& variants,
                                          size_t parallelism) {
  std::vector<GgufChoice> choices(variants.size());
  parallel_for(variants.size(), parallelism, [&](size_t i) {
    const GgufVariant& v = variants[i];
    GgufChoice& c = choices[i];
    c.name = v.name;
    c.quantization = v.quant;
    c.parts = v.parts;
    c.size = v.total_bytes;
    c.is_projector = v.is_projector;
    auto summary = read_gguf_variant(files, v, 4);
    if (!summary) {
      c.error = summary.error().message;
      return;
    }
    c.parameters = summary->weights.parameters;
    c.total = summary->weights.total();
  });
  return choices;
}

Status inspect_gguf(FileSet& files, const InspectRequest& request, InspectReport& report) {
  auto variants = list_gguf_variants(files);
  size_t models = std::count_if(variants.begin(), variants.end(), [](const GgufVariant& v) { return !v.is_projector; });
  if (request.file.empty() && models > 1) {
    report.source = "gguf";
    report.gguf_variants = describe_variants(files, variants, request.parallelism);
    report.notes.push_back("several GGUF variants: counts are listed per variant; choose one with --file");
    return ok_status();
  }
  auto chosen = select_gguf_variant(variants, request.file);
  if (!chosen) return chosen.error();
  auto summary = read_gguf_variant(files, *chosen, request.parallelism);
  if (!summary) return summary.error();
  set_weights(report, summary->weights);
  report.source = "gguf";
  report.weight_files = chosen->parts;
  if (summary->parts.empty()) return ok_status();
  report.architecture = gguf_model_facts(summary->parts[0].metadata).architecture;
  if (report.config_text.empty()) {
    const auto& tensors = summary->weights.tensors;
    bool untied = std::any_of(tensors.begin(), tensors.end(), [](const TensorInfo& t) { return t.name == "output.weight"; });
    report.config_text = config_from_gguf(summary->parts[0].metadata, untied).dump();
    report.config_from_gguf = true;
  }
  return ok_status();
}

// Reads weights from the first format present; false when no weights exist.
Result<bool> inspect_weight_files(FileSet& files, const InspectRequest& request, InspectReport& report,
                                  const std::optional<std::string>& config) {
  const bool has_gguf = any_with_suffix(files, ".gguf");
  bool gguf_requested = !request.file.empty() && (has_gguf || !request.file_if_gguf);
  if (!gguf_requested && top_level_with_suffix(files, ".safetensors")) {
    auto st = read_safetensors_files(files, request.parallelism);
    if (!st) return st.error();
    set_weights(report, st->summary);
    report.source = "safetensors";
    report.weight_files = st->shards;
    add_logical_count(report, st->summary, config);
    return true;
  }
  if (has_gguf) {
    HUBCAP_TRY(inspect_gguf(files, request, report));
    return true;
  }
  if (gguf_requested) return Error{"--file names a GGUF file, but " + files.describe() + " has no .gguf files"};
  if (std::any_of(files.files().begin(), files.files().end(),
                  [](const RepoFile& f) { return is_torch_weights_file_name(f.path); })) {
    auto which = find_torch_checkpoint_files(files);
    if (!which) return which.error();
    auto pt = read_torch_checkpoint_files(files, request.parallelism);
    if (!pt) return pt.error();
    set_weights(report, *pt);
    report.source = "pytorch";
    report.weight_files = which->files;
    add_logical_count(report, *pt, config);
    return true;
  }
  return false;
}

Result<InspectReport> inspect_file_set(FileSet& files, const InspectRequest& request, InspectReport report,
                                       const std::string& config_origin) {
  report.files = files.files();
  auto config = read_config(files);
  if (config) report.config_text = *config;
  if (!request.config_only) {
    auto found = inspect_weight_files(files, request, report, config);
    if (!found) return found.error();
    if (*found) return report;
  }
  if (!config)
    return Error{files.describe() + ": no weights (safetensors, GGUF or PyTorch) and no config.json to count from"};
  HUBCAP_TRY(apply_config_count(report, *config, config_origin));
  if (!request.config_only) report.notes.push_back("no readable weights: counted from config.json by architecture");
  return report;
}

// Offline, or the Hub unreachable: the embedded catalog may still know the model.
Result<InspectReport> inspect_from_catalog(const InspectRequest& request, const Error& why) {
  const CatalogEntry* entry = find_in_catalog(request.target);
  if (!entry) return why;
  InspectReport report;
  report.id = entry->id;
  report.config_text = entry->config_json;
  HUBCAP_TRY(apply_config_count(report, entry->config_json, "catalog"));
  report.notes.push_back("the Hub was not reachable (" + why.message + "): counted from the embedded catalog's config.json");
  return report;
}

Result<InspectReport> inspect_remote(const InspectRequest& request) {
  HubClient client;
  auto files = open_hub_file_set(client, request.target, request.revision);
  if (!files) {
    if (files.error().unreachable) return inspect_from_catalog(request, files.error());
    return files.error();
  }
  InspectReport report;
  report.id = request.target;
  report.revision = (*files)->info().sha;
  const auto& summary = (*files)->info().safetensors;
  bool use_summary = summary && !request.from_headers && !request.config_only && request.file.empty();
  if (!use_summary) {
    // The small files every source reads first, fetched together in one round trip.
    PrefetchedFileSet prefetched(**files, {"config.json", "model.safetensors.index.json", "pytorch_model.bin.index.json"});
    return inspect_file_set(prefetched, request, std::move(report), "hub");
  }
  report.files = (*files)->files();
  HUBCAP_TRY(set_hub_summary(report, summary->parameters));
  report.source = "hub-metadata";
  if (auto config = read_config(**files)) {
    report.config_text = *config;
    // The summary gives no tensor list; the config-based count supplies the logical view.
    auto counted = count_from_config_text(*config);
    if (counted) {
      report.architecture = counted->architecture;
      report.logical_parameters = counted->logical_parameters;
      report.notes.push_back(std::string("logical_parameters counted from config.json") +
                             (counted->exact ? "" : " (an estimate: unknown architecture)"));
    }
  }
  return report;
}

}  // namespace

bool looks_like_repo_id(const std::string& target) {
  if (target.empty() || target.front() == '.' || target.front() == '/' || target.front() == '~') return false;
  size_t slash = target.find('/');
  if (slash != target.rfind('/')) return false;
  return std::all_of(target.begin(), target.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/'; });
}

Result<InspectReport> inspect_model(const InspectRequest& request) {
  std::error_code ec;
  if (std::filesystem::exists(request.target, ec)) {
    auto files = open_local_file_set(request.target);
    if (!files) return files.error();
    InspectReport report;
    report.id = request.target;
    return inspect_file_set(**files, request, std::move(report), "local");
  }
  if (!looks_like_repo_id(request.target))
    return usage_error("'" + request.target + "' is neither a local file or folder nor a Hub repo id (org/name)");
  return inspect_remote(request);
}

}  // namespace hubcap
