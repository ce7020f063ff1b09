#pragma once
// Checks the files of a snapshot (or a --local-dir folder) against what the
// Hub says they should be: present, the right size, the right sha256. This is
// `hubcap verify`; its report tells `--repair` exactly which files to fetch.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/file_set.h"
#include "util/result.h"

namespace hubcap {

enum class FileFault {
  missing,         // no entry at all
  broken_link,     // symlink whose blob is gone
  wrong_size,      // size differs from RepoFile::size
  wrong_hash,      // sha256 differs from RepoFile::sha256
  wrong_git_hash,  // a non-LFS file's git blob sha1 differs from RepoFile::git_oid
  unreadable,      // exists but could not be read
  missing_config,  // a safetensors/pytorch bundle without config.json
};

const char* fault_name(FileFault fault);

struct FileProblem {
  std::string path;  // repo path
  FileFault fault;
  std::string detail;  // one line for the user, e.g. "size 10 bytes, expected 12"
};

struct VerifyOptions {
  bool rehash = true;           // false: sizes and links only (fast)
  bool require_config = false;  // report config.json missing (set for safetensors/pytorch bundles)
  size_t parallelism = 4;       // files hashed at once
};

struct VerifyReport {
  std::vector<FileProblem> problems;  // sorted by path
  size_t files_checked = 0;
  uint64_t bytes_hashed = 0;
  bool ok() const { return problems.empty(); }
  // The repo paths a repair must fetch again (each once, sorted).
  std::vector<std::string> paths_to_refetch() const;
};

// Checks every file of `expected` under `dir` (symlinks are followed).
// Files without a sha256 (not in LFS) are checked against their git_oid
// (git blob sha1), or by size only when it is unknown. Never
// fails as a whole: per-file trouble is a problem in the report; unsafe
// repo paths are reported as missing and never opened.
VerifyReport verify_files(const std::string& dir, const std::vector<RepoFile>& expected,
                          const VerifyOptions& options = {});

}  // namespace hubcap
