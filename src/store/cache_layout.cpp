#include "store/cache_layout.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "store/atomic_file.h"
#include "util/file_set.h"

namespace hubcap {
namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string expand_home(std::string path) {
  if (path == "~" || path.starts_with("~/")) {
    std::string home = env("HOME");
    if (!home.empty()) path = home + path.substr(1);
  }
  return path;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_repo_name_part(std::string_view part) {
  if (part.empty() || part == "." || part == "..") return false;
  for (char c : part) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string folder_depth_prefix(std::string_view path) {
  std::string up;
  for (char c : path)
    if (c == '/') up += "../";
  return up;
}

Status check_ids(std::string_view commit, std::string_view path, std::string_view blob_id) {
  if (!is_commit_hash(commit)) return Error{"not a commit hash: '" + std::string(commit) + "'"};
  if (!is_safe_repo_path(path)) return Error{"refusing unsafe file name '" + std::string(path) + "'"};
  if (!is_valid_blob_id(blob_id)) return Error{"not a valid blob id: '" + std::string(blob_id) + "'"};
  return ok_status();
}

}  // namespace

std::string hf_home_dir() {
  std::string home = env("HF_HOME");
  if (home.empty()) {
    std::string xdg = env("XDG_CACHE_HOME");
    home = (xdg.empty() ? expand_home("~/.cache") : xdg) + "/huggingface";
  }
  return expand_home(home);
}

std::string hub_cache_dir() {
  std::string cache = env("HF_HUB_CACHE");
  if (cache.empty()) cache = env("HUGGINGFACE_HUB_CACHE");
  if (cache.empty()) cache = hf_home_dir() + "/hub";
  return expand_home(cache);
}

std::string repo_folder_name(std::string_view repo_id, std::string_view repo_type) {
  std::string out = std::string(repo_type) + "s";
  size_t start = 0;
  while (true) {
    size_t slash = repo_id.find('/', start);
    out += "--";
    out += repo_id.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

bool is_valid_repo_id(std::string_view repo_id) {
  size_t slash = repo_id.find('/');
  if (slash == std::string_view::npos) return is_repo_name_part(repo_id);
  return is_repo_name_part(repo_id.substr(0, slash)) && is_repo_name_part(repo_id.substr(slash + 1));
}

bool is_commit_hash(std::string_view s) { return s.size() == 40 && is_lower_hex(s); }

bool is_valid_blob_id(std::string_view s) { return (s.size() == 40 || s.size() == 64) && is_lower_hex(s); }

bool is_valid_revision(std::string_view s) { return s.size() <= 255 && is_safe_repo_path(s); }

Result<std::string> repo_dir(const std::string& cache_root, std::string_view repo_id) {
  if (!is_valid_repo_id(repo_id)) return usage_error("not a valid repo id: '" + std::string(repo_id) + "'");
  return cache_root + "/" + repo_folder_name(repo_id);
}

std::string blob_path(const std::string& repo_dir, std::string_view blob_id) {
  return repo_dir + "/blobs/" + std::string(blob_id);
}

std::string incomplete_blob_path(const std::string& repo_dir, std::string_view blob_id) {
  return blob_path(repo_dir, blob_id) + ".incomplete";
}

std::string ranges_blob_path(const std::string& repo_dir, std::string_view blob_id) {
  return blob_path(repo_dir, blob_id) + ".ranges";
}

std::string snapshot_dir(const std::string& repo_dir, std::string_view commit) {
  return repo_dir + "/snapshots/" + std::string(commit);
}

std::string snapshot_file_path(const std::string& repo_dir, std::string_view commit, std::string_view path) {
  return snapshot_dir(repo_dir, commit) + "/" + std::string(path);
}

std::string ref_path(const std::string& repo_dir, std::string_view revision) {
  return repo_dir + "/refs/" + std::string(revision);
}

std::string no_exist_path(const std::string& repo_dir, std::string_view commit, std::string_view path) {
  return repo_dir + "/.no_exist/" + std::string(commit) + "/" + std::string(path);
}

std::string blob_lock_path(const std::string& cache_root, std::string_view repo_id, std::string_view blob_id) {
  return cache_root + "/.locks/" + repo_folder_name(repo_id) + "/" + std::string(blob_id) + ".lock";
}

std::string snapshot_link_target(std::string_view path, std::string_view blob_id) {
  return folder_depth_prefix(path) + "../../blobs/" + std::string(blob_id);
}

Status link_snapshot_file(const std::string& repo_dir, std::string_view commit, std::string_view path,
                          std::string_view blob_id) {
  HUBCAP_TRY(check_ids(commit, path, blob_id));
  std::string link = snapshot_file_path(repo_dir, commit, path);
  HUBCAP_TRY(make_dirs(fs::path(link).parent_path().string()));
  HUBCAP_TRY(make_dirs(repo_dir + "/blobs"));
  std::string temp = sibling_temp_name(link);
  std::string target = snapshot_link_target(path, blob_id);
  if (::symlink(target.c_str(), temp.c_str()) != 0)
    return Error{"cannot create symlink " + temp + ": " + std::strerror(errno)};
  if (::rename(temp.c_str(), link.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return Error{"cannot create symlink " + link + ": " + std::strerror(err)};
  }
  return ok_status();
}

Status write_ref(const std::string& repo_dir, std::string_view revision, std::string_view commit) {
  if (!is_commit_hash(commit)) return Error{"not a commit hash: '" + std::string(commit) + "'"};
  if (!is_valid_revision(revision)) return Error{"refusing unsafe revision name '" + std::string(revision) + "'"};
  if (revision == commit) return ok_status();
  return write_file_atomic(ref_path(repo_dir, revision), std::string(commit));
}

Result<std::string> read_ref(const std::string& repo_dir, std::string_view revision) {
  if (!is_valid_revision(revision)) return Error{"refusing unsafe revision name '" + std::string(revision) + "'"};
  auto text = read_text_file(ref_path(repo_dir, revision));
  if (!text) return Error{"no ref '" + std::string(revision) + "' in " + repo_dir};
  std::string s = *text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
  if (!is_commit_hash(s)) return Error{ref_path(repo_dir, revision) + " does not hold a commit hash"};
  return s;
}

Status write_no_exist_marker(const std::string& repo_dir, std::string_view commit, std::string_view path) {
  if (!is_commit_hash(commit)) return Error{"not a commit hash: '" + std::string(commit) + "'"};
  if (!is_safe_repo_path(path)) return Error{"refusing unsafe file name '" + std::string(path) + "'"};
  return write_file_atomic(no_exist_path(repo_dir, commit, path), "");
}

}  // namespace hubcap
