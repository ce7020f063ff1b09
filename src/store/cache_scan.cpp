#include "store/cache_scan.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <tuple>
#include <filesystem>
#include <map>
#include <set>

#include "store/atomic_file.h"
#include "store/cache_layout.h"

namespace hubcap {
namespace fs = std::filesystem;

namespace {

struct RepoName {
  std::string type;
  std::string id;
};

// "models--org--name" -> {"model", "org/name"}; nullopt for anything else.
std::optional<RepoName> parse_repo_folder(const std::string& name) {
  size_t sep = name.find("--");
  if (sep == std::string::npos) return std::nullopt;
  std::string plural = name.substr(0, sep);
  if (plural != "models" && plural != "datasets" && plural != "spaces") return std::nullopt;
  std::string id = name.substr(sep + 2);
  for (size_t at = id.find("--"); at != std::string::npos; at = id.find("--", at + 1)) id.replace(at, 2, "/");
  if (id.empty()) return std::nullopt;
  return RepoName{plural.substr(0, plural.size() - 1), id};
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

// The blob id of a partial download's file: blobs/{id}.incomplete (either
// tool's) or blobs/{id}.ranges (hubcap's parallel ranges).
std::optional<std::string> partial_blob_id(std::string_view name) {
  for (std::string_view suffix : {".incomplete", ".ranges"})
    if (name.ends_with(suffix)) return std::string(name.substr(0, name.size() - suffix.size()));
  return std::nullopt;
}

uint64_t allocated_bytes(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
}

void scan_blobs(const fs::path& dir, CachedRepo& repo) {
  std::error_code ec;
  for (fs::directory_iterator it(dir / "blobs", ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::error_code size_ec;
    uint64_t size = fs::is_regular_file(it->symlink_status(size_ec)) ? fs::file_size(it->path(), size_ec) : 0;
    if (size_ec) size = 0;
    if (auto partial = partial_blob_id(name)) {
      if (name.ends_with(".ranges")) size = std::min(size, allocated_bytes(it->path()));  // it may have holes
      repo.incomplete.push_back({*partial, size});
      repo.size_on_disk += size;
    } else if (name.ends_with(".lock") || name.find(".tmp.") != std::string::npos) {
      continue;  // lock files and our own in-flight temporaries are not content
    } else if (is_valid_blob_id(name) && fs::is_regular_file(it->symlink_status(size_ec))) {
      repo.blobs.push_back({name, size});
      repo.size_on_disk += size;
    } else {
      repo.problems.push_back("unexpected entry in blobs/: " + name);
    }
  }
  auto by_id = [](const CachedBlob& a, const CachedBlob& b) { return a.id < b.id; };
  std::sort(repo.blobs.begin(), repo.blobs.end(), by_id);
  std::sort(repo.incomplete.begin(), repo.incomplete.end(), by_id);
}

// refs/{name} -> commit, for every ref file at any depth.
std::map<std::string, std::vector<std::string>> scan_refs(const fs::path& dir, CachedRepo& repo) {
  std::map<std::string, std::vector<std::string>> refs_by_commit;
  fs::path refs = dir / "refs";
  std::error_code ec;
  for (fs::recursive_directory_iterator it(refs, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec)) continue;
    std::string name = it->path().lexically_relative(refs).generic_string();
    auto text = read_text_file(it->path().string());
    std::string commit = text ? trim(*text) : "";
    if (!is_commit_hash(commit)) {
      repo.problems.push_back("ref '" + name + "' does not hold a commit hash");
      continue;
    }
    refs_by_commit[commit].push_back(name);
  }
  for (auto& [commit, names] : refs_by_commit) std::sort(names.begin(), names.end());
  return refs_by_commit;
}

CachedFile scan_snapshot_entry(const fs::directory_entry& entry, const fs::path& snapshot, CachedRepo& repo) {
  CachedFile file;
  std::error_code ec;
  file.path = entry.path().lexically_relative(snapshot).generic_string();
  if (entry.is_symlink(ec)) {
    file.blob_id = fs::read_symlink(entry.path(), ec).filename().string();
  }
  auto status = fs::status(entry.path(), ec);  // follows the link
  if (!fs::is_regular_file(status)) {
    file.broken = true;
    repo.problems.push_back("broken symlink: " + snapshot.filename().string() + "/" + file.path);
    return file;
  }
  file.size = fs::file_size(entry.path(), ec);
  if (ec) file.size = 0;
  return file;
}

CachedRevision scan_snapshot(const fs::path& snapshot, CachedRepo& repo) {
  CachedRevision rev;
  rev.commit = snapshot.filename().string();
  std::error_code ec;
  std::map<std::string, uint64_t> blob_sizes;
  for (fs::recursive_directory_iterator it(snapshot, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->symlink_status(type_ec).type() == fs::file_type::directory) continue;
    CachedFile file = scan_snapshot_entry(*it, snapshot, repo);
    blob_sizes[file.blob_id.empty() ? "file:" + file.path : file.blob_id] = file.size;
    rev.files.push_back(std::move(file));
  }
  for (const auto& [id, size] : blob_sizes) rev.size_on_disk += size;
  std::sort(rev.files.begin(), rev.files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return rev;
}

void scan_snapshots(const fs::path& dir, CachedRepo& repo) {
  std::error_code ec;
  for (fs::directory_iterator it(dir / "snapshots", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_directory(type_ec)) {
      repo.problems.push_back("unexpected file in snapshots/: " + it->path().filename().string());
      continue;
    }
    repo.revisions.push_back(scan_snapshot(it->path(), repo));
  }
  std::sort(repo.revisions.begin(), repo.revisions.end(),
            [](const auto& a, const auto& b) { return a.commit < b.commit; });
}

}  // namespace

Result<CachedRepo> scan_repo(const std::string& dir) {
  fs::path path(dir);
  auto name = parse_repo_folder(path.filename().string());
  std::error_code ec;
  if (!name || !fs::is_directory(path, ec)) return Error{dir + " is not a cached repo folder"};
  CachedRepo repo;
  repo.repo_id = name->id;
  repo.repo_type = name->type;
  repo.dir = dir;
  scan_blobs(path, repo);
  auto refs = scan_refs(path, repo);
  scan_snapshots(path, repo);
  for (auto& rev : repo.revisions) {
    auto it = refs.find(rev.commit);
    if (it == refs.end()) continue;
    rev.refs = std::move(it->second);
    refs.erase(it);
  }
  for (const auto& [commit, names] : refs)
    for (const auto& ref : names) repo.problems.push_back("ref '" + ref + "' points to missing snapshot " + commit);
  return repo;
}

Result<CacheScan> scan_cache(const std::string& cache_root) {
  CacheScan scan;
  std::error_code ec;
  if (!fs::exists(cache_root, ec)) return scan;
  fs::directory_iterator it(cache_root, ec);
  if (ec) return Error{"cannot read cache folder " + cache_root + ": " + ec.message()};
  for (fs::directory_iterator end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name == ".locks" || name == "CACHEDIR.TAG" || name.starts_with(".")) continue;
    auto repo = scan_repo(it->path().string());
    if (repo) {
      scan.repos.push_back(std::move(*repo));
    } else {
      scan.warnings.push_back("not a cached repo: " + name);
    }
  }
  std::sort(scan.repos.begin(), scan.repos.end(), [](const auto& a, const auto& b) {
    return std::tie(a.repo_type, a.repo_id) < std::tie(b.repo_type, b.repo_id);
  });
  return scan;
}

const CachedRevision* find_revision(const CachedRepo& repo, const std::string& commit) {
  for (const auto& rev : repo.revisions)
    if (rev.commit == commit) return &rev;
  return nullptr;
}

}  // namespace hubcap
