#pragma once
// Writes one blob of the cache the safe way: bytes go to
// blobs/{etag}.incomplete (the name huggingface_hub uses, so either tool
// resumes the other's partial file), are hashed as they arrive, and only a
// file whose size and sha256 match is renamed to blobs/{etag}. A blob that
// fails verification never becomes visible.
//
// Parallel byte ranges (ranged_fetch.h) write bytes ahead of the in-order
// prefix straight to their place in the file and hash them once the prefix
// reaches them, so no chunk waits in memory. While such holes may exist the
// file is named blobs/{etag}.ranges, a name huggingface_hub ignores (it
// resumes an .incomplete file from its size, and would keep the holes), and
// a trailer past the blob's end records the in-order prefix, so the next
// open() after a kill -9 keeps that prefix and drops the rest.
//
// The caller holds the BlobLock for this blob (blob_lock.h) for the
// writer's whole life. A BlobWriter is used by one thread, except
// write_at(), which other threads may call during a ranged phase. Closing it
// without commit() leaves blobs/{etag}.incomplete holding the in-order
// prefix, for the next run (of either tool) to resume.
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

// Bytes of blob `blob_id` a download would resume from: the size of
// blobs/{id}.incomplete, or the in-order prefix a .ranges file records;
// 0 when there is neither.
uint64_t resumable_bytes(const std::string& repo_dir, std::string_view blob_id);

class BlobWriter {
 public:
  // Opens (creating) blobs/{id}.incomplete. Bytes already there are kept
  // and hashed so the download resumes at offset(); a partial file longer
  // than expected_size is discarded. A .ranges file left by a killed run
  // becomes the .incomplete file, cut to its recorded prefix, when that is
  // longer. Errors for a malformed blob id or a filesystem failure.
  static Result<BlobWriter> open(const std::string& repo_dir, std::string_view blob_id, uint64_t expected_size);

  ~BlobWriter();
  BlobWriter(BlobWriter&& other) noexcept;
  BlobWriter& operator=(BlobWriter&&) = delete;
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  // Bytes on disk in order: where a Range request should start ("bytes=<offset>-").
  uint64_t offset() const { return offset_; }
  uint64_t expected_size() const { return expected_size_; }
  // The partial file's name at rest (errors name it, whatever the phase).
  const std::string& incomplete_path() const { return incomplete_; }

  // Appends at offset() and hashes. Error when the bytes would run past
  // expected_size (a server sending more than announced) or the disk fails.
  Status append(const void* data, size_t size);
  Status append(std::string_view bytes) { return append(bytes.data(), bytes.size()); }

  // Drops what is on disk and starts again at 0 (the server ignored Range).
  Status restart();

  // Starts a ranged phase: the file becomes blobs/{id}.ranges with its
  // trailer. Until end_ranges(), write_at() may put bytes anywhere past
  // offset(), from any thread.
  Status begin_ranges();
  // Writes bytes at `position` (>= offset(), inside the blob) without
  // hashing them; absorb() hashes them later. Thread-safe against other
  // write_at() calls and against append()/absorb() on other bytes.
  Status write_at(uint64_t position, const void* data, size_t size) const;
  Status write_at(uint64_t position, std::string_view bytes) const {
    return write_at(position, bytes.data(), bytes.size());
  }
  // The `size` bytes at offset() were written by write_at(): reads them back
  // (from the page cache, normally), hashes them and moves offset() past them.
  Status absorb(uint64_t size);
  // Ends the ranged phase: cuts the file to offset() (dropping bytes ahead
  // of it, and the trailer) and renames it back to .incomplete. Called by
  // commit(), restart() and the destructor when needed.
  Status end_ranges();

  // Checks the size, and the sha256 when `expected_sha256` is not empty (LFS
  // files), then flushes and renames the file to blobs/{id}. On a mismatch
  // the .incomplete file is deleted (its bytes are wrong; retry from 0) and
  // the error names the file. Returns the sha256 of the bytes written.
  Result<std::string> commit(std::string_view expected_sha256);

 private:
  BlobWriter() = default;
  void close_fd();
  void advanced();
  Status write_trailer();
  int fd_ = -1;
  std::string incomplete_, ranges_, final_;
  uint64_t offset_ = 0, expected_size_ = 0;
  uint64_t writeback_from_ = 0;  // bytes before this are already being written back
  bool ranged_ = false;          // the file is blobs/{id}.ranges, with its trailer
  Sha256 hasher_;
};

}  // namespace hubcap
