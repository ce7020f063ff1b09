#pragma once
// `hubcap download`: fetches a planned bundle of repo files into the Hugging
// Face cache (or a --local-dir), resumably and verified.
//
// Per file: skip when the blob is already there; else take the blob lock,
// resume blobs/{etag}.incomplete with "Range: bytes=N-", hash while
// writing, resume again after a dropped connection or a 5xx (bounded, with
// backoff), and rename only a blob whose size (and sha256, for LFS files)
// matches. A hash mismatch is retried once from zero, then reported; a bad
// blob is never linked. Then snapshots/{commit}/{path} is linked, and at the
// end refs/{revision} and the registry row are written.
//
// Large LFS files (at least two range_chunk_bytes left) come as parallel
// byte ranges written in order (store/ranged_fetch.h), over at most
// max_connections connections for the whole download.
//
// Non-LFS files (small: configs, tokenizers) are fetched whole; their blob
// id is their git blob sha1 (the tree's "oid", which the bytes must match;
// computed from the bytes when the listing has none), as the Hub's ETag is.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hub/hub_client.h"
#include "store/bundle.h"
#include "store/git_blob.h"  // git_blob_sha1: the blob id of non-LFS files
#include "util/result.h"

namespace hubcap {

// What a download is about to do: the commit and the files.
struct DownloadPlan {
  std::string repo;
  std::string revision;  // as asked ("main" when empty)
  std::string commit;
  BundlePlan bundle;
};

// Resolves the revision to a commit, lists the repo and plans the bundle.
// Errors: unknown repo/revision (exit 1), plan errors such as an unknown
// quant (exit 2).
Result<DownloadPlan> plan_download(const HubClient& client, const std::string& repo, const std::string& revision,
                                   const BundleOptions& options);

struct DownloadEvent {
  enum Kind { kStart, kProgress, kDone, kSkipped, kFailed } kind = kProgress;
  std::string path;
  uint64_t file_bytes = 0;  // bytes of this file on disk so far
  uint64_t file_size = 0;
  uint64_t total_bytes_done = 0;  // over the whole bundle, skipped files included
  uint64_t total_bytes = 0;
  std::string message;  // kFailed: why
};

// Called from worker threads, one call at a time (the downloader serializes).
using DownloadProgress = std::function<void(const DownloadEvent&)>;

struct DownloadOptions {
  std::string cache_dir;  // empty: hub_cache_dir()
  std::string local_dir;  // non-empty: plain files in this folder instead of the cache
  std::string registry_path;  // empty: default_registry_path(); "-": no registry
  size_t max_parallel_files = 8;
  // An LFS file with at least two chunks left is fetched as byte ranges of
  // this size, up to max_ranges_per_file at once; 0: always one stream.
  // Memory held per such file: at most about 3 x max_ranges_per_file chunks
  // (192 MiB with the defaults), whatever the file size.
  uint64_t range_chunk_bytes = 8ull << 20;
  size_t max_ranges_per_file = 8;
  // Connections of the whole download (as aria2c -x8): files at once
  // (max_parallel_files, capped by this) plus the ranges of large files.
  size_t max_connections = 8;
  int max_attempts_per_file = 6;  // connections tried for one file, or one range (resuming each time)
  long backoff_ms = 200;          // first pause between them, doubling, capped at 5 s
  DownloadProgress progress;
  const std::atomic<bool>* cancel = nullptr;  // set (e.g. by SIGINT): stop soon, keep .incomplete files
};

struct FileOutcome {
  std::string path;
  uint64_t size = 0;
  std::string blob_id;
  enum Status { kDownloaded, kCached, kFailed, kCancelled } status = kFailed;
  std::string error;  // kFailed: one line
};

struct DownloadReport {
  DownloadPlan plan;
  std::vector<FileOutcome> files;  // in plan order
  uint64_t bytes_downloaded = 0;   // over the network, this run
  double seconds = 0;
  std::string path;  // snapshot folder or local dir
  bool cancelled = false;
  size_t failed() const;
  bool complete() const { return !cancelled && failed() == 0; }
};

// Downloads `plan`. Errors only for problems before any file starts (bad
// cache dir, not enough disk space, unwritable folder); per-file failures
// are in the report (complete() false). Thread-safe for different repos.
Result<DownloadReport> download_plan(const HubClient& client, const DownloadPlan& plan,
                                     const DownloadOptions& options);

// plan_download + download_plan.
Result<DownloadReport> download_bundle(const HubClient& client, const std::string& repo, const std::string& revision,
                                       const BundleOptions& bundle, const DownloadOptions& options);

}  // namespace hubcap
