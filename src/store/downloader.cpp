#include "store/downloader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "store/blob_lock.h"
#include "store/blob_writer.h"
#include "store/cache_layout.h"
#include "store/disk_space.h"
#include "store/git_blob.h"
#include "store/local_dir.h"
#include "store/ranged_fetch.h"
#include "store/registry.h"

namespace hubcap {
namespace {

namespace fs = std::filesystem;

constexpr auto kLockTimeout = std::chrono::minutes(10);
constexpr uint64_t kMaxSmallFile = 64ull << 20;  // non-LFS files are fetched into memory

bool regular_file_of_size(const std::string& path, uint64_t size) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) == size;
}

// State shared by the workers of one download.
struct Job {
  Job(const HubClient& c, const DownloadPlan& p, const DownloadOptions& o, std::string d, bool l, size_t spare)
      : client(c), plan(p), options(o), dir(std::move(d)), local(l), spare_connections(spare) {}
  const HubClient& client;
  const DownloadPlan& plan;
  const DownloadOptions& options;
  std::string dir;  // cache repo folder, or the local dir's staging folder (blobs/ inside)
  bool local = false;
  // Connections beyond one per file worker, for byte ranges of large files.
  ConnectionBudget spare_connections;

  std::mutex mu;  // guards the counters and serializes progress callbacks
  uint64_t total_done = 0;
  uint64_t downloaded = 0;

  bool cancelled() const { return options.cancel && options.cancel->load(); }

  // `delta` (negative for bytes thrown away) moves the bundle's total.
  void emit(DownloadEvent::Kind kind, const RepoFile& f, uint64_t file_bytes, int64_t delta,
            const std::string& message = "") {
    std::lock_guard<std::mutex> lock(mu);
    total_done = delta >= 0 ? total_done + static_cast<uint64_t>(delta)
                            : total_done - std::min(total_done, static_cast<uint64_t>(-delta));
    if (!options.progress) return;
    DownloadEvent e;
    e.kind = kind;
    e.path = f.path;
    e.file_bytes = file_bytes;
    e.file_size = f.size;
    e.total_bytes_done = total_done;
    e.total_bytes = plan.bundle.total_bytes;
    e.message = message;
    options.progress(e);
  }
  void count_downloaded(uint64_t n) {
    std::lock_guard<std::mutex> lock(mu);
    downloaded += n;
  }

  HttpRequest request(const std::string& path) const {
    HttpRequest r(client.file_url(plan.repo, plan.commit, path));
    r.cancel = options.cancel;  // Ctrl-C ends a transfer even when no bytes come
    if (!client.config().token.empty()) r.headers.push_back("Authorization: Bearer " + client.config().token);
    return r;
  }

  std::string lock_path(const std::string& blob_id) const {
    return local ? dir + "/" + blob_id + ".lock" : blob_lock_path(fs::path(dir).parent_path().string(), plan.repo, blob_id);
  }

  std::string placed_path(const std::string& path) const {
    return local ? options.local_dir + "/" + path : snapshot_file_path(dir, plan.commit, path);
  }
};

// One attempt's failure: whether another connection may help.
struct StreamError {
  Error error;
  bool retryable = true;
};

std::string http_failure(const RepoFile& f, long status) {
  return f.path + ": HTTP " + std::to_string(status) + " from the Hub";
}

// Streams the missing tail of the file into `writer`. nullopt on success.
std::optional<StreamError> stream_tail(Job& job, const RepoFile& f, BlobWriter& writer) {
  if (writer.offset() >= f.size) return std::nullopt;
  HttpRequest request = job.request(f.path);
  if (writer.offset() > 0) request.range = ByteRange{writer.offset(), f.size - writer.offset()};
  std::optional<Error> write_error;
  auto last_report = std::chrono::steady_clock::now();
  uint64_t unreported = 0;
  BodySink sink = [&](std::string_view chunk) {
    if (job.cancelled()) return false;
    auto st = writer.append(chunk);
    if (!st) {
      write_error = st.error();
      return false;
    }
    unreported += chunk.size();
    auto now = std::chrono::steady_clock::now();
    if (now - last_report > std::chrono::milliseconds(50)) {
      job.emit(DownloadEvent::kProgress, f, writer.offset(), unreported);
      job.count_downloaded(unreported);
      unreported = 0;
      last_report = now;
    }
    return true;
  };
  auto response = http_get_stream(request, sink, default_http_options());
  job.emit(DownloadEvent::kProgress, f, writer.offset(), unreported);
  job.count_downloaded(unreported);
  if (write_error) return StreamError{*write_error, false};
  if (!response) return StreamError{Error{f.path + ": " + response.error().message}, true};
  long status = response->status;
  if (status / 100 != 2)
    return StreamError{Error{http_failure(f, status)}, status == 429 || status / 100 == 5};
  return std::nullopt;
}

// Whether the rest of `writer`'s blob is worth fetching in parallel ranges.
bool use_ranges(const Job& job, const BlobWriter& writer) {
  uint64_t chunk = job.options.range_chunk_bytes, left = writer.expected_size() - writer.offset();
  return chunk > 0 && job.options.max_ranges_per_file > 1 && left / 2 >= chunk;
}

// The rest of the file as parallel byte ranges (ranged_fetch.h); falls back
// to one stream when the server ignores Range. nullopt on success.
std::optional<StreamError> stream_ranges(Job& job, const RepoFile& f, BlobWriter& writer) {
  const uint64_t start = writer.offset();
  std::atomic<uint64_t> received{0};
  std::atomic<int64_t> last_emit_ms{0};
  std::atomic<uint64_t> unreported{0};
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  auto flush = [&] {
    uint64_t n = unreported.exchange(0);
    job.count_downloaded(n);
    job.emit(DownloadEvent::kProgress, f, std::min(f.size, start + received.load()), static_cast<int64_t>(n));
  };
  RangedFetch ranged;
  ranged.chunk_bytes = job.options.range_chunk_bytes;
  ranged.max_connections = job.options.max_ranges_per_file;
  ranged.max_attempts_per_chunk = job.options.max_attempts_per_file;
  ranged.backoff_ms = job.options.backoff_ms;
  ranged.cancel = job.options.cancel;
  ranged.budget = &job.spare_connections;
  ranged.make_request = [&] { return job.request(f.path); };
  ranged.on_bytes = [&](uint64_t n) {
    received += n;
    unreported += n;
    int64_t now = now_ms(), last = last_emit_ms.load();
    if (now - last >= 50 && last_emit_ms.compare_exchange_strong(last, now)) flush();
  };
  RangedResult result = fetch_in_ranges(writer, ranged);
  flush();
  // Bytes that arrived but were never written (chunks dropped on a failure)
  // come back off the bundle's total.
  uint64_t kept = writer.offset() - start;
  if (received.load() > kept)
    job.emit(DownloadEvent::kProgress, f, writer.offset(), -static_cast<int64_t>(received.load() - kept));
  switch (result.status) {
    case RangedStatus::kDone:
    case RangedStatus::kCancelled:
      return std::nullopt;
    case RangedStatus::kRangesIgnored:
      return stream_tail(job, f, writer);
    case RangedStatus::kFailed:
      break;
  }
  return StreamError{Error{f.path + ": " + result.error.message}, false};
}

// An LFS file: resumable stream, verified by sha256. Returns the blob id.
Result<std::string> fetch_lfs_blob(Job& job, const RepoFile& f, FileOutcome& out) {
  const std::string& id = f.sha256;
  if (has_blob(job.dir, id, f.size)) {
    out.status = FileOutcome::kCached;
    return id;
  }
  auto lock = lock_blob(job.lock_path(id), kLockTimeout);
  if (!lock) return lock.error();
  if (has_blob(job.dir, id, f.size)) {  // another process finished it while we waited
    out.status = FileOutcome::kCached;
    return id;
  }
  bool restarted_from_zero = false;
  for (int attempt = 1;; ++attempt) {
    auto writer = BlobWriter::open(job.dir, id, f.size);
    if (!writer) return writer.error();
    job.emit(DownloadEvent::kStart, f, writer->offset(), attempt == 1 ? writer->offset() : 0);
    auto failure = use_ranges(job, *writer) ? stream_ranges(job, f, *writer) : stream_tail(job, f, *writer);
    if (job.cancelled()) {
      out.status = FileOutcome::kCancelled;
      return Error{"cancelled"};
    }
    if (failure) {
      if (!failure->retryable || attempt >= job.options.max_attempts_per_file) return failure->error;
      backoff_pause(job.options.backoff_ms, attempt, job.options.cancel);
      continue;
    }
    uint64_t written = writer->offset();
    auto digest = writer->commit(id);
    if (digest) {
      out.status = FileOutcome::kDownloaded;
      return id;
    }
    // Wrong bytes: the .incomplete file is gone; take them back off the total.
    job.emit(DownloadEvent::kProgress, f, 0, -static_cast<int64_t>(written));
    if (restarted_from_zero)
      return Error{f.path + ": downloaded bytes do not match the Hub's sha256 " + id + " (tried twice; nothing linked)"};
    restarted_from_zero = true;
  }
}

// The whole body of a small file, checked against its size and, when the
// listing gave one, its git oid. A mismatch is fetched once more.
Result<std::string> fetch_checked_body(Job& job, const RepoFile& f) {
  for (int attempt = 1;; ++attempt) {
    HttpRequest request = job.request(f.path);
    request.max_body_bytes = f.size + 1;
    auto response = http_get(request, default_http_options());
    if (!response) return Error{f.path + ": " + response.error().message};
    if (response->status / 100 != 2) return Error{http_failure(f, response->status)};
    job.count_downloaded(response->body.size());
    std::string problem;
    if (response->body.size() != f.size) {
      problem = "size " + std::to_string(response->body.size()) + " bytes, expected " + std::to_string(f.size);
    } else if (std::string sha1 = f.git_oid.empty() ? "" : git_blob_sha1(response->body); sha1 != f.git_oid) {
      problem = "downloaded bytes have git sha1 " + sha1 + ", not the Hub's oid " + f.git_oid;
    }
    if (problem.empty()) return std::move(response->body);
    if (attempt >= 2) return Error{f.path + ": " + problem + " (tried twice; nothing linked)"};
  }
}

// A small non-LFS file: fetched whole, verified, stored under its git blob
// sha1 (the listing's oid, or computed from the bytes when it gave none).
Result<std::string> fetch_small_blob(Job& job, const RepoFile& f, FileOutcome& out) {
  if (f.size > kMaxSmallFile) return Error{f.path + ": non-LFS file too large (" + human_bytes(f.size) + ")"};
  if (has_blob(job.dir, f.git_oid, f.size)) {
    out.status = FileOutcome::kCached;
    return f.git_oid;
  }
  job.emit(DownloadEvent::kStart, f, 0, 0);
  auto body = fetch_checked_body(job, f);
  if (!body) return body.error();
  std::string id = f.git_oid.empty() ? git_blob_sha1(*body) : f.git_oid;
  out.status = FileOutcome::kDownloaded;
  if (has_blob(job.dir, id, f.size)) return id;
  auto lock = lock_blob(job.lock_path(id), kLockTimeout);
  if (!lock) return lock.error();
  auto writer = BlobWriter::open(job.dir, id, f.size);
  if (!writer) return writer.error();
  if (writer->offset() > 0) HUBCAP_TRY(writer->restart());
  HUBCAP_TRY(writer->append(*body));
  auto digest = writer->commit("");
  if (!digest) return digest.error();
  return id;
}

// Makes the verified blob visible at its repo path.
Status place_blob(Job& job, const RepoFile& f, const std::string& id) {
  if (!job.local) return link_snapshot_file(job.dir, job.plan.commit, f.path, id);
  std::string target = job.placed_path(f.path);
  std::error_code ec;
  fs::create_directories(fs::path(target).parent_path(), ec);
  if (ec) return Error{"cannot create " + fs::path(target).parent_path().string() + ": " + ec.message()};
  fs::rename(blob_path(job.dir, id), target, ec);
  if (ec) return Error{"cannot move " + f.path + " into " + job.options.local_dir + ": " + ec.message()};
  return write_local_dir_metadata(job.options.local_dir, f.path,
                                  {job.plan.commit, id, static_cast<double>(::time(nullptr)) + 1});
}

// True when the file is already in place (a second run downloads nothing).
bool already_placed(Job& job, const RepoFile& f) {
  // Blobs named by a known hash: has_blob decides, then the link is remade.
  if ((!f.sha256.empty() || !f.git_oid.empty()) && !job.local) return false;
  return regular_file_of_size(job.placed_path(f.path), f.size);
}

FileOutcome fetch_file(Job& job, const RepoFile& f) {
  FileOutcome out;
  out.path = f.path;
  out.size = f.size;
  if (already_placed(job, f)) {
    out.status = FileOutcome::kCached;
    job.emit(DownloadEvent::kSkipped, f, f.size, f.size);
    return out;
  }
  auto id = f.sha256.empty() ? fetch_small_blob(job, f, out) : fetch_lfs_blob(job, f, out);
  if (out.status == FileOutcome::kCancelled) return out;
  Status placed = id ? place_blob(job, f, *id) : Status(id.error());
  if (!placed) {
    out.status = FileOutcome::kFailed;
    out.error = placed.error().message;
    job.emit(DownloadEvent::kFailed, f, 0, 0, out.error);
    return out;
  }
  out.blob_id = *id;
  bool cached = out.status == FileOutcome::kCached;
  // Small files count their bytes only now; LFS bytes were counted as they came.
  uint64_t delta = cached || f.sha256.empty() ? f.size : 0;
  job.emit(cached ? DownloadEvent::kSkipped : DownloadEvent::kDone, f, f.size, delta);
  return out;
}

Status prepare_folder(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{"cannot create " + dir + ": " + ec.message()};
  if (::access(dir.c_str(), W_OK) != 0) return Error{"cannot write to " + dir + ": permission denied"};
  return ok_status();
}

Status record_in_registry(const DownloadOptions& options, const DownloadReport& report) {
  if (options.registry_path == "-") return ok_status();
  auto registry = Registry::open(options.registry_path.empty() ? default_registry_path() : options.registry_path);
  if (!registry) return registry.error();
  const BundlePlan& bundle = report.plan.bundle;
  ModelRecord record;
  record.repo = report.plan.repo;
  record.revision = report.plan.revision;
  record.commit = report.plan.commit;
  record.format = bundle.kind;
  record.quantization = bundle.quant;
  for (const auto& f : bundle.files) {
    record.files.push_back(f.path);
    if (is_weight_file_of(f.path, bundle.kind)) ++record.shard_count;
  }
  record.bytes = bundle.total_bytes;
  record.path = report.path;
  record.status = report.complete() ? "complete" : "partial";
  return registry->upsert(record);
}

}  // namespace

size_t DownloadReport::failed() const {
  return static_cast<size_t>(
      std::count_if(files.begin(), files.end(), [](const FileOutcome& f) { return f.status == FileOutcome::kFailed; }));
}

Result<DownloadPlan> plan_download(const HubClient& client, const std::string& repo, const std::string& revision,
                                   const BundleOptions& options) {
  auto info = client.model_info(repo, revision);
  if (!info) return info.error();
  auto files = client.list_files(repo, info->sha);
  if (!files) return files.error();
  auto bundle = plan_bundle(*files, options);
  if (!bundle) return Error{repo + ": " + bundle.error().message, bundle.error().exit_code};
  return DownloadPlan{repo, revision.empty() ? "main" : revision, info->sha, std::move(*bundle)};
}

Result<DownloadReport> download_plan(const HubClient& client, const DownloadPlan& plan,
                                     const DownloadOptions& options) {
  auto start = std::chrono::steady_clock::now();
  bool local = !options.local_dir.empty();
  std::string dir;
  if (local) {
    HUBCAP_TRY(prepare_folder(options.local_dir));
    dir = options.local_dir + "/.cache/huggingface/hubcap";
  } else {
    std::string root = options.cache_dir.empty() ? hub_cache_dir() : options.cache_dir;
    HUBCAP_TRY(prepare_folder(root));
    auto repo_folder = repo_dir(root, plan.repo);
    if (!repo_folder) return repo_folder.error();
    dir = *repo_folder;
  }
  HUBCAP_TRY(prepare_folder(dir));
  HUBCAP_TRY(check_free_space(dir, bytes_missing(dir, plan.bundle.files)));

  size_t threads = std::clamp<size_t>(std::min(options.max_parallel_files, options.max_connections), 1,
                                      std::max<size_t>(1, plan.bundle.files.size()));
  Job job(client, plan, options, dir, local, options.max_connections > threads ? options.max_connections - threads : 0);
  DownloadReport report;
  report.plan = plan;
  report.path = local ? options.local_dir : snapshot_dir(dir, plan.commit);
  report.files.resize(plan.bundle.files.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < plan.bundle.files.size(); i = next++) {
      if (job.cancelled()) {
        report.files[i] = {plan.bundle.files[i].path, plan.bundle.files[i].size, "", FileOutcome::kCancelled, ""};
        continue;
      }
      report.files[i] = fetch_file(job, plan.bundle.files[i]);
    }
    job.spare_connections.release();  // no file left for this worker: its connection may serve ranges
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();

  report.cancelled = job.cancelled();
  report.bytes_downloaded = job.downloaded;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!local) HUBCAP_TRY(write_ref(dir, plan.revision, plan.commit));
  HUBCAP_TRY(record_in_registry(options, report));
  return report;
}

Result<DownloadReport> download_bundle(const HubClient& client, const std::string& repo, const std::string& revision,
                                       const BundleOptions& bundle, const DownloadOptions& options) {
  auto plan = plan_download(client, repo, revision, bundle);
  if (!plan) return plan.error();
  return download_plan(client, *plan, options);
}

}  // namespace hubcap
