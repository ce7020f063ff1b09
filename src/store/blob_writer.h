#pragma once
// Writes one blob of the cache the safe way: bytes go to
// blobs/{etag}.incomplete (the name huggingface_hub uses, so either tool
// resumes the other's partial file), are hashed as they arrive, and only a
// file whose size and sha256 match is renamed to blobs/{etag}. A blob that
// fails verification never becomes visible.
//
// The caller holds the BlobLock for this blob (blob_lock.h) for the
// writer's whole life. A BlobWriter is used by one thread; closing it
// without commit() keeps the .incomplete file for the next run to resume.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/sha256.h"
#include "util/file_set.h"
#include "util/result.h"

namespace hubcap {

// True when blobs/{id} exists as a regular file of `size` bytes: the
// download can be skipped (another revision or tool already fetched it).
bool has_blob(const std::string& repo_dir, std::string_view blob_id, uint64_t size);

// Bytes a download of `files` still has to fetch into `repo_dir`: files
// whose blob id is known (sha256 for LFS, else the git oid) and present
// count 0, and a partial blobs/{id}.incomplete counts only its missing tail;
// other files count in full. For the free-space check before a download.
uint64_t bytes_missing(const std::string& repo_dir, const std::vector<RepoFile>& files);

class BlobWriter {
 public:
  // Opens (creating) blobs/{id}.incomplete. Bytes already there are kept
  // and hashed so the download resumes at offset(); a partial file longer
  // than expected_size is discarded. Errors for a malformed blob id or a
  // filesystem failure.
  static Result<BlobWriter> open(const std::string& repo_dir, std::string_view blob_id, uint64_t expected_size);

  ~BlobWriter();
  BlobWriter(BlobWriter&& other) noexcept;
  BlobWriter& operator=(BlobWriter&&) = delete;
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  // Bytes on disk: where a Range request should start ("bytes=<offset>-").
  uint64_t offset() const { return offset_; }
  uint64_t expected_size() const { return expected_size_; }
  const std::string& incomplete_path() const { return incomplete_; }

  // Appends at offset() and hashes. Error when the bytes would run past
  // expected_size (a server sending more than announced) or the disk fails.
  Status append(const void* data, size_t size);
  Status append(std::string_view bytes) { return append(bytes.data(), bytes.size()); }

  // Drops what is on disk and starts again at 0 (the server ignored Range).
  Status restart();

  // Checks the size, and the sha256 when `expected_sha256` is not empty (LFS
  // files), then flushes and renames the file to blobs/{id}. On a mismatch
  // the .incomplete file is deleted (its bytes are wrong; retry from 0) and
  // the error names the file. Returns the sha256 of the bytes written.
  Result<std::string> commit(std::string_view expected_sha256);

 private:
  BlobWriter() = default;
  void close_fd();
  void start_writeback();
  int fd_ = -1;
  std::string incomplete_, final_;
  uint64_t offset_ = 0, expected_size_ = 0;
  uint64_t writeback_from_ = 0;  // bytes before this are already being written back
  Sha256 hasher_;
};

}  // namespace hubcap
