#include "hub/model_info.h"

#include <cctype>

namespace hubcap {
namespace {

using nlohmann::json;

// Field readers: absent or null gives the fallback; a wrong type is an error.
struct Fields {
  Fields(const json& o, std::string c) : obj(o), context(std::move(c)) {}
  const json& obj;
  std::string context;
  std::optional<Error> error;

  const json* find(const char* key) {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
  }
  // Records the first type error; returns `fallback` for the caller to return.
  template <class T>
  T fail(const char* key, const char* want, T fallback) {
    if (!error) error = Error{context + ": field '" + key + "' is not " + want};
    return fallback;
  }
  std::string str(const char* key) {
    const json* v = find(key);
    if (!v) return "";
    if (!v->is_string()) return fail(key, "a string", std::string());
    return v->get<std::string>();
  }
  uint64_t count(const char* key) {
    const json* v = find(key);
    if (!v) return 0;
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
      return fail(key, "a non-negative integer", uint64_t{0});
    return v->get<uint64_t>();
  }
  bool flag(const char* key) {
    const json* v = find(key);
    if (!v) return false;
    if (!v->is_boolean()) return fail(key, "true or false", false);
    return v->get<bool>();
  }
  std::vector<std::string> strings(const char* key) {
    std::vector<std::string> out;
    const json* v = find(key);
    if (!v) return out;
    if (!v->is_array()) return fail(key, "a list", out);
    for (const auto& item : *v)
      if (item.is_string()) out.push_back(item.get<std::string>());
    return out;
  }
};

bool is_hex40(const std::string& s) {
  if (s.size() != 40) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

Result<json> parse_json(std::string_view body, const char* what) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Error{std::string("the Hub sent malformed JSON for ") + what};
  return j;
}

std::string gated_value(const json& obj, std::optional<Error>& error) {
  auto it = obj.find("gated");
  if (it == obj.end() || it->is_null() || (it->is_boolean() && !it->get<bool>())) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_boolean()) return "auto";
  error = Error{"model info: field 'gated' is not false, \"auto\" or \"manual\""};
  return "";
}

std::optional<SafetensorsSummary> safetensors_summary(Fields& f) {
  const json* v = f.find("safetensors");
  if (!v || !v->is_object()) return std::nullopt;
  Fields s{*v, "model info safetensors"};
  SafetensorsSummary out;
  out.total = s.count("total");
  if (const json* params = s.find("parameters"); params && params->is_object()) {
    Fields p{*params, "model info safetensors parameters"};
    for (const auto& [dtype, _] : params->items()) out.parameters[dtype] = p.count(dtype.c_str());
    if (p.error) f.error = p.error;
  }
  if (s.error) f.error = s.error;
  return out;
}

std::optional<HubGgufSummary> gguf_summary(Fields& f) {
  const json* v = f.find("gguf");
  if (!v || !v->is_object()) return std::nullopt;
  Fields g{*v, "model info gguf"};
  HubGgufSummary out;
  out.total = g.count("total");
  out.architecture = g.str("architecture");
  if (g.find("context_length")) out.context_length = g.count("context_length");
  if (g.error) f.error = g.error;
  return out;
}

Result<ModelInfo> model_info_from(json j) {
  if (!j.is_object()) return Error{"model info: expected a JSON object"};
  Fields f{j, "model info"};
  ModelInfo info;
  info.id = f.str("id");
  info.sha = f.str("sha");
  info.is_private = f.flag("private");
  info.gated = gated_value(j, f.error);
  info.tags = f.strings("tags");
  info.library_name = f.str("library_name");
  info.pipeline_tag = f.str("pipeline_tag");
  info.downloads = f.count("downloads");
  info.likes = f.count("likes");
  info.safetensors = safetensors_summary(f);
  info.gguf = gguf_summary(f);
  if (const json* siblings = f.find("siblings"); siblings && siblings->is_array())
    for (const auto& s : *siblings)
      if (s.is_object() && s.contains("rfilename") && s["rfilename"].is_string())
        info.siblings.push_back(s["rfilename"].get<std::string>());
  if (f.error) return *f.error;
  if (info.id.empty()) return Error{"model info: no 'id' in the Hub's answer"};
  if (!is_hex40(info.sha)) return Error{"model info for " + info.id + ": no valid commit 'sha' in the Hub's answer"};
  info.raw = std::move(j);
  return info;
}

Result<RepoFile> tree_file(const json& entry) {
  Fields f{entry, "tree entry"};
  RepoFile file{f.str("path"), f.count("size"), "", ""};
  if (std::string oid = f.str("oid"); is_hex40(oid)) {
    for (char& c : oid) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    file.git_oid = std::move(oid);
  }
  if (const json* lfs = f.find("lfs"); lfs && lfs->is_object()) {
    Fields l{*lfs, "tree entry lfs"};
    file.sha256 = l.str("oid");
    if (l.error) return *l.error;
  }
  if (f.error) return *f.error;
  if (!is_safe_repo_path(file.path)) return Error{"the Hub listed an unsafe file name '" + file.path + "'"};
  return file;
}

}  // namespace

Result<ModelInfo> parse_model_info(std::string_view body) {
  try {
    auto j = parse_json(body, "model info");
    if (!j) return j.error();
    return model_info_from(std::move(*j));
  } catch (const std::exception& e) {
    return Error{std::string("model info: ") + e.what()};
  }
}

Result<std::vector<RepoFile>> parse_tree_page(std::string_view body) {
  try {
    auto j = parse_json(body, "a file listing");
    if (!j) return j.error();
    if (!j->is_array()) return Error{"file listing: expected a JSON list"};
    std::vector<RepoFile> files;
    for (const auto& entry : *j) {
      if (!entry.is_object()) return Error{"file listing: expected objects"};
      auto type = entry.find("type");
      if (type == entry.end() || !type->is_string() || *type != "file") continue;
      auto file = tree_file(entry);
      if (!file) return file.error();
      files.push_back(std::move(*file));
    }
    return files;
  } catch (const std::exception& e) {
    return Error{std::string("file listing: ") + e.what()};
  }
}

}  // namespace hubcap
