#pragma once
// The files of one model: a local folder, or a Hub repo at a resolved
// revision. Format readers find shards and companion files through it, so the
// same reader code serves local and remote models.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/range_reader.h"
#include "util/result.h"

namespace hubcap {

struct RepoFile {
  // A constructor (not aggregate init) so that RepoFile{path, size, sha256}
  // keeps compiling without missing-field warnings as fields are added.
  RepoFile(std::string path_ = "", uint64_t size_ = 0, std::string sha256_ = "", std::string git_oid_ = "")
      : path(std::move(path_)), size(size_), sha256(std::move(sha256_)), git_oid(std::move(git_oid_)) {}

  std::string path;    // relative, '/'-separated, e.g. "original/params.json"
  uint64_t size = 0;
  std::string sha256;  // LFS object id (hex); empty for files not stored in LFS
  // Git blob sha1 (40 hex) of what git stores: the file itself, or for LFS
  // files their pointer. The Hub's tree lists it as "oid"; empty when unknown.
  std::string git_oid;
};

class FileSet {
 public:
  virtual ~FileSet() = default;

  // Every file, sorted by path.
  virtual const std::vector<RepoFile>& files() const = 0;

  // Opens one file for random access. Thread-safe: readers open shards in
  // parallel. Refuses paths that fail is_safe_repo_path().
  virtual Result<std::unique_ptr<RangeReader>> open(const std::string& path) = 0;

  // A short label for messages: "Qwen/Qwen3-8B@<sha>" or a local path.
  virtual std::string describe() const = 0;

  const RepoFile* find(const std::string& path) const;
};

// Reads a whole (small) file such as config.json or an index. Fails when the
// file is larger than max_bytes, so a hostile repo cannot exhaust memory.
Result<std::string> read_small_file(FileSet& files, const std::string& path,
                                    uint64_t max_bytes = 64ull << 20);

// A local folder (every regular file below it, recursively) or a single file.
Result<std::unique_ptr<FileSet>> open_local_file_set(const std::string& path);

// True for a relative path with no "..", "." or empty segments, no leading
// '/', no backslash, no NUL and no URL scheme. Repo file names from headers,
// indexes and servers must pass this before they are used as paths.
bool is_safe_repo_path(std::string_view path);

}  // namespace hubcap
