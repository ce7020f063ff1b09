#pragma once
// Reads a Hugging Face cache folder back: which repos, which revisions, which
// files, how big, and what is wrong. Mirrors huggingface_hub's
// scan_cache_dir, but reports damage per repo instead of giving up, so one
// broken repo does not hide the others.
#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace hubcap {

struct CachedFile {
  std::string path;     // relative to the snapshot, '/'-separated
  std::string blob_id;  // the blob the symlink names; empty for a plain file
  uint64_t size = 0;    // of the blob (0 when broken)
  bool broken = false;  // symlink whose blob is missing
};

struct CachedRevision {
  std::string commit;
  std::vector<std::string> refs;  // refs pointing at this commit, e.g. "main", "refs/pr/1"
  std::vector<CachedFile> files;  // sorted by path
  uint64_t size_on_disk = 0;      // distinct blobs of this revision
};

struct CachedBlob {
  std::string id;
  uint64_t size = 0;
};

struct CachedRepo {
  std::string repo_id;    // "Qwen/Qwen3-8B"
  std::string repo_type;  // "model", "dataset", "space"
  std::string dir;        // the models--... folder
  std::vector<CachedRevision> revisions;  // sorted by commit
  std::vector<CachedBlob> blobs;          // complete blobs, sorted by id
  std::vector<CachedBlob> incomplete;     // blobs/{id}.incomplete or .ranges (partial downloads)
  std::vector<std::string> problems;      // one line each: broken symlinks, dangling refs, stray files
  uint64_t size_on_disk = 0;              // complete + incomplete blobs
};

struct CacheScan {
  std::vector<CachedRepo> repos;        // sorted by (repo_type, repo_id)
  std::vector<std::string> warnings;    // entries of the cache root that are not repos
};

// Scans `cache_root`. A missing root yields an empty scan; only an
// unreadable root is an error.
Result<CacheScan> scan_cache(const std::string& cache_root);

// Scans one repo folder (models--org--name). Error when `dir` is not one.
Result<CachedRepo> scan_repo(const std::string& dir);

// The revision with this commit, or nullptr.
const CachedRevision* find_revision(const CachedRepo& repo, const std::string& commit);

}  // namespace hubcap
