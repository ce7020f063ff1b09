#include "server/repo_store.h"

#include <algorithm>
#include <fstream>

#include "hub/hub_config.h"
#include "store/git_blob.h"
#include "store/sha256.h"
#include "util/digest.h"
#include "util/file_set.h"

namespace hubcap {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr uint64_t kLfsThreshold = 10ull << 20;

std::string lfs_pointer(const std::string& sha256, uint64_t size) {
  return "version https://git-lfs.github.com/spec/v1\noid sha256:" + sha256 + "\nsize " + std::to_string(size) +
         "\n";
}

bool is_hex(const std::string& s, size_t len) {
  return s.size() == len && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

Result<json> read_settings(const fs::path& dir) {
  fs::path file = dir / ".hub.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return json::object();
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error{file.string() + ": not a JSON object"};
  return j;
}

// Fills the typed fields of `repo` from its settings.
Status apply_settings(LocalRepo& repo) {
  const json& s = repo.settings;
  auto bad = [&](const char* field) { return Error{repo.id + "/.hub.json: bad '" + field + "'"}; };
  if (auto it = s.find("sha"); it != s.end()) {
    if (!it->is_string() || !is_hex(it->get<std::string>(), 40)) return bad("sha");
    repo.sha = it->get<std::string>();
  }
  if (auto it = s.find("gated"); it != s.end()) {
    if (it->is_string()) repo.gated = it->get<std::string>();
    else if (it->is_boolean()) repo.gated = it->get<bool>() ? "auto" : "";
    else return bad("gated");
  }
  if (auto it = s.find("private"); it != s.end()) {
    if (!it->is_boolean()) return bad("private");
    repo.is_private = it->get<bool>();
  }
  if (auto it = s.find("refs"); it != s.end()) {
    if (!it->is_array()) return bad("refs");
    for (const auto& r : *it)
      if (r.is_string()) repo.refs.push_back(r.get<std::string>());
  }
  if (auto it = s.find("lfs"); it != s.end() && !it->is_object()) return bad("lfs");
  return ok_status();
}

Result<std::vector<LocalFile>> scan_files(const fs::path& dir) {
  std::vector<LocalFile> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().filename().string().starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::string rel = fs::relative(it->path(), dir).generic_string();
    if (!is_safe_repo_path(rel)) continue;
    uint64_t size = it->file_size();
    files.push_back({rel, size, is_lfs_file(rel, size)});
  }
  if (ec) return Error{dir.string() + ": " + ec.message()};
  std::sort(files.begin(), files.end(), [](const LocalFile& a, const LocalFile& b) { return a.path < b.path; });
  return files;
}

std::string derived_sha(const std::vector<LocalFile>& files) {
  Digest d(DigestKind::kSha1);
  for (const auto& f : files) d.update(f.path + '\0' + std::to_string(f.size) + '\n');
  return d.finish();
}

}  // namespace

bool is_lfs_file(std::string_view path, uint64_t size) {
  for (std::string_view ext : {".safetensors", ".gguf", ".bin", ".pt", ".pth"})
    if (path.ends_with(ext)) return true;
  return size >= kLfsThreshold;
}

std::string sha256_hex(std::string_view bytes) {
  Digest d(DigestKind::kSha256);
  d.update(bytes);
  return d.finish();
}

const LocalFile* LocalRepo::find(std::string_view path) const {
  auto it = std::lower_bound(files.begin(), files.end(), path,
                             [](const LocalFile& f, std::string_view p) { return f.path < p; });
  return it != files.end() && it->path == path ? &*it : nullptr;
}

bool LocalRepo::has_revision(std::string_view revision) const {
  return revision == "main" || revision == sha || std::find(refs.begin(), refs.end(), revision) != refs.end();
}

std::string LocalRepo::explicit_lfs_oid(const std::string& path) const {
  auto lfs = settings.find("lfs");
  if (lfs == settings.end()) return "";
  auto it = lfs->find(path);
  if (it == lfs->end() || !it->is_string() || !is_hex(it->get<std::string>(), 64)) return "";
  return it->get<std::string>();
}

std::optional<fs::path> RepoStore::repo_dir(std::string_view id) const {
  if (!validate_repo_id(id)) return std::nullopt;
  fs::path dir = root_ / std::string(id);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  return dir;
}

bool RepoStore::exists(std::string_view id) const { return repo_dir(id).has_value(); }

std::vector<std::string> RepoStore::repo_ids() const {
  std::vector<std::string> ids;
  std::error_code ec;
  auto visible_dirs = [&](const fs::path& dir) {
    std::vector<std::string> names;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_directory() && it->path().filename().string()[0] != '.') names.push_back(it->path().filename().string());
    return names;
  };
  for (const auto& top : visible_dirs(root_)) {
    // A folder holding files is a repo "name"; one holding only folders is an org.
    bool has_files = false;
    for (fs::directory_iterator it(root_ / top, ec), end; !ec && it != end; it.increment(ec))
      has_files |= it->is_regular_file() && it->path().filename().string()[0] != '.';
    if (has_files) ids.push_back(top);
    else
      for (const auto& name : visible_dirs(root_ / top)) ids.push_back(top + "/" + name);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::optional<LocalRepo>> RepoStore::load(std::string_view id) const {
  auto dir = repo_dir(id);
  if (!dir) return std::optional<LocalRepo>();
  LocalRepo repo;
  repo.id = std::string(id);
  repo.dir = *dir;
  auto settings = read_settings(*dir);
  if (!settings) return settings.error();
  repo.settings = std::move(*settings);
  HUBCAP_TRY(apply_settings(repo));
  auto files = scan_files(*dir);
  if (!files) return files.error();
  repo.files = std::move(*files);
  if (repo.sha.empty()) repo.sha = derived_sha(repo.files);
  return std::optional<LocalRepo>(std::move(repo));
}

Result<std::string> RepoStore::hashed(const fs::path& file, bool sha256) const {
  std::error_code ec;
  uint64_t size = fs::file_size(file, ec);
  auto mtime = fs::last_write_time(file, ec).time_since_epoch().count();
  if (ec) return Error{file.string() + ": " + ec.message()};
  std::string key = (sha256 ? "sha256|" : "git|") + file.string() + "|" + std::to_string(size) + "|" +
                    std::to_string(mtime);
  {
    std::lock_guard<std::mutex> guard(cache_mu_);
    if (auto it = hash_cache_.find(key); it != hash_cache_.end()) return it->second;
  }
  auto digest = sha256 ? sha256_file(file.string()) : git_blob_sha1_file(file.string());
  if (!digest) return Error{file.string() + ": " + digest.error().message};
  std::string hex = *digest;
  std::lock_guard<std::mutex> guard(cache_mu_);
  hash_cache_[key] = hex;
  return hex;
}

Result<std::string> RepoStore::oid(const LocalRepo& repo, const LocalFile& file) const {
  if (!file.lfs) return hashed(repo.dir / file.path, false);
  if (auto given = repo.explicit_lfs_oid(file.path); !given.empty()) return given;
  return hashed(repo.dir / file.path, true);
}

std::optional<std::string> RepoStore::cheap_oid(const LocalRepo& repo, const LocalFile& file) const {
  if (file.lfs) {
    if (auto given = repo.explicit_lfs_oid(file.path); !given.empty()) return given;
    if (file.size >= kLfsThreshold) return std::nullopt;
  }
  auto hex = oid(repo, file);
  return hex ? std::optional<std::string>(*hex) : std::nullopt;
}

Result<std::string> RepoStore::git_oid(const LocalRepo& repo, const LocalFile& file) const {
  if (!file.lfs) return oid(repo, file);
  auto sha256 = oid(repo, file);
  if (!sha256) return sha256.error();
  return git_blob_sha1(lfs_pointer(*sha256, file.size));
}

}  // namespace hubcap
