#include "store/verify.h"

#include <sys/stat.h>

#include <algorithm>
#include <mutex>
#include <optional>

#include "store/git_blob.h"
#include "store/sha256.h"
#include "util/parallel.h"

namespace hubcap {

const char* fault_name(FileFault fault) {
  switch (fault) {
    case FileFault::missing: return "missing";
    case FileFault::broken_link: return "broken symlink";
    case FileFault::wrong_size: return "wrong size";
    case FileFault::wrong_hash: return "wrong sha256";
    case FileFault::wrong_git_hash: return "wrong git sha1";
    case FileFault::unreadable: return "unreadable";
    case FileFault::missing_config: return "missing config.json";
  }
  return "unknown";
}

std::vector<std::string> VerifyReport::paths_to_refetch() const {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(p.path);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

// A non-LFS file against the git blob sha1 the Hub listed (if any).
std::optional<FileProblem> check_git_oid(const std::string& full, const RepoFile& want, uint64_t& hashed) {
  if (want.git_oid.empty()) return std::nullopt;
  auto digest = git_blob_sha1_file(full);
  if (!digest) return FileProblem{want.path, FileFault::unreadable, digest.error().message};
  hashed += want.size;
  if (*digest != want.git_oid)
    return FileProblem{want.path, FileFault::wrong_git_hash, "git sha1 " + *digest + ", expected " + want.git_oid};
  return std::nullopt;
}

// Checks one file; nullopt when it is fine. Adds the bytes it hashed.
std::optional<FileProblem> check_file(const std::string& dir, const RepoFile& want, const VerifyOptions& options,
                                      uint64_t& hashed) {
  if (!is_safe_repo_path(want.path)) return FileProblem{want.path, FileFault::missing, "unsafe file name"};
  std::string full = dir + "/" + want.path;
  struct stat link_st {}, st {};
  if (::lstat(full.c_str(), &link_st) != 0) return FileProblem{want.path, FileFault::missing, "not on disk"};
  if (::stat(full.c_str(), &st) != 0) return FileProblem{want.path, FileFault::broken_link, "its blob is missing"};
  if (!S_ISREG(st.st_mode)) return FileProblem{want.path, FileFault::unreadable, "not a regular file"};
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size != want.size)
    return FileProblem{want.path, FileFault::wrong_size,
                       "size " + std::to_string(size) + " bytes, expected " + std::to_string(want.size)};
  if (!options.rehash) return std::nullopt;
  if (want.sha256.empty()) return check_git_oid(full, want, hashed);
  auto digest = sha256_file(full);
  if (!digest) return FileProblem{want.path, FileFault::unreadable, digest.error().message};
  hashed += size;
  if (*digest != want.sha256)
    return FileProblem{want.path, FileFault::wrong_hash, "sha256 " + *digest + ", expected " + want.sha256};
  return std::nullopt;
}

bool has_config(const std::string& dir) {
  struct stat st {};
  return ::stat((dir + "/config.json").c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

VerifyReport verify_files(const std::string& dir, const std::vector<RepoFile>& expected,
                          const VerifyOptions& options) {
  VerifyReport report;
  std::mutex mu;
  parallel_for(expected.size(), options.parallelism, [&](size_t i) {
    uint64_t hashed = 0;
    auto problem = check_file(dir, expected[i], options, hashed);
    std::lock_guard<std::mutex> lock(mu);
    report.bytes_hashed += hashed;
    if (problem) report.problems.push_back(std::move(*problem));
  });
  report.files_checked = expected.size();
  bool config_listed = std::any_of(expected.begin(), expected.end(), [](const RepoFile& f) { return f.path == "config.json"; });
  if (options.require_config && !config_listed && !has_config(dir))
    report.problems.push_back({"config.json", FileFault::missing_config, "the engines need config.json"});
  std::sort(report.problems.begin(), report.problems.end(),
            [](const FileProblem& a, const FileProblem& b) { return a.path < b.path; });
  return report;
}

}  // namespace hubcap
