#include "store/blob_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "store/atomic_file.h"
#include "store/cache_layout.h"
#include "util/checked_math.h"
#include "util/digest.h"

namespace hubcap {

namespace {

Error os_error(const std::string& what, const std::string& path) {
  return Error{what + " " + path + ": " + std::strerror(errno)};
}

// How far the file may run ahead of the disk before writeback is started.
constexpr uint64_t kWritebackStep = 16u << 20;

// The .ranges trailer, at offset expected_size: a fixed-width line holding
// the in-order prefix. Fixed width, so each update is one pwrite.
constexpr std::string_view kTrailerTag = "hubcap-ranges prefix=";
constexpr size_t kTrailerDigits = 20;
constexpr size_t kTrailerSize = kTrailerTag.size() + kTrailerDigits + 1;

std::string trailer_text(uint64_t prefix) {
  std::string digits = std::to_string(prefix);
  return std::string(kTrailerTag) + std::string(kTrailerDigits - digits.size(), '0') + digits + "\n";
}

Status pwrite_all(int fd, const void* data, size_t size, uint64_t position, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(position));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("cannot write", path);
    p += n;
    size -= static_cast<size_t>(n);
    position += static_cast<uint64_t>(n);
  }
  return ok_status();
}

std::optional<uint64_t> file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

// The prefix a .ranges file records, when its trailer is intact; the blob's
// size is the file size less the trailer.
std::optional<uint64_t> recorded_prefix(const std::string& ranges_path) {
  auto size = file_size(ranges_path);
  if (!size || *size < kTrailerSize) return std::nullopt;
  int fd = ::open(ranges_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text(kTrailerSize, '\0');
  ssize_t n = ::pread(fd, text.data(), text.size(), static_cast<off_t>(*size - kTrailerSize));
  ::close(fd);
  if (n != static_cast<ssize_t>(kTrailerSize) || !text.starts_with(kTrailerTag) || text.back() != '\n') return std::nullopt;
  uint64_t prefix = 0;
  for (char c : std::string_view(text).substr(kTrailerTag.size(), kTrailerDigits)) {
    if (c < '0' || c > '9') return std::nullopt;
    prefix = prefix * 10 + static_cast<uint64_t>(c - '0');
  }
  if (prefix > *size - kTrailerSize) return std::nullopt;
  return prefix;
}

// A .ranges file left by a killed run: its recorded prefix becomes the
// .incomplete file when that resumes further than what is there already.
Status adopt_ranges_file(const std::string& repo_dir, std::string_view blob_id) {
  std::string ranges = ranges_blob_path(repo_dir, blob_id), incomplete = incomplete_blob_path(repo_dir, blob_id);
  if (!file_size(ranges)) return ok_status();
  auto prefix = recorded_prefix(ranges);
  if (!prefix || *prefix <= file_size(incomplete).value_or(0)) {
    ::unlink(ranges.c_str());
    return ok_status();
  }
  if (::truncate(ranges.c_str(), static_cast<off_t>(*prefix)) != 0) return os_error("cannot truncate", ranges);
  if (::rename(ranges.c_str(), incomplete.c_str()) != 0) return os_error("cannot rename", ranges);
  return ok_status();
}

}  // namespace

bool has_blob(const std::string& repo_dir, std::string_view blob_id, uint64_t size) {
  if (!is_valid_blob_id(blob_id)) return false;
  struct stat st {};
  return ::stat(blob_path(repo_dir, blob_id).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         static_cast<uint64_t>(st.st_size) == size;
}

uint64_t resumable_bytes(const std::string& repo_dir, std::string_view blob_id) {
  if (!is_valid_blob_id(blob_id)) return 0;
  uint64_t incomplete = file_size(incomplete_blob_path(repo_dir, blob_id)).value_or(0);
  return std::max(incomplete, recorded_prefix(ranges_blob_path(repo_dir, blob_id)).value_or(0));
}

uint64_t bytes_missing(const std::string& repo_dir, const std::vector<RepoFile>& files) {
  uint64_t total = 0;
  for (const auto& f : files) {
    const std::string& id = f.sha256.empty() ? f.git_oid : f.sha256;
    uint64_t need = f.size;
    if (has_blob(repo_dir, id, f.size))
      need = 0;
    else if (uint64_t have = resumable_bytes(repo_dir, id); have <= f.size)
      need = f.size - have;
    total = checked_add(total, need).value_or(UINT64_MAX);
  }
  return total;
}

Result<BlobWriter> BlobWriter::open(const std::string& repo_dir, std::string_view blob_id, uint64_t expected_size) {
  if (!is_valid_blob_id(blob_id)) return Error{"not a valid blob id: '" + std::string(blob_id) + "'"};
  HUBCAP_TRY(make_dirs(repo_dir + "/blobs"));
  HUBCAP_TRY(adopt_ranges_file(repo_dir, blob_id));
  BlobWriter w;
  w.incomplete_ = incomplete_blob_path(repo_dir, blob_id);
  w.ranges_ = ranges_blob_path(repo_dir, blob_id);
  w.final_ = blob_path(repo_dir, blob_id);
  w.expected_size_ = expected_size;
  w.fd_ = ::open(w.incomplete_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (w.fd_ < 0) return os_error("cannot open", w.incomplete_);
  struct stat st {};
  if (::fstat(w.fd_, &st) != 0) return os_error("cannot stat", w.incomplete_);
  uint64_t have = static_cast<uint64_t>(st.st_size);
  if (have > expected_size) {
    HUBCAP_TRY(w.restart());
    return w;
  }
  HUBCAP_TRY(hash_file_prefix(w.incomplete_, have, w.hasher_));
  w.offset_ = have;
  w.writeback_from_ = have;
  return w;
}

BlobWriter::~BlobWriter() {
  if (fd_ >= 0 && ranged_) (void)end_ranges();
  close_fd();
}

BlobWriter::BlobWriter(BlobWriter&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      incomplete_(std::move(o.incomplete_)),
      ranges_(std::move(o.ranges_)),
      final_(std::move(o.final_)),
      offset_(o.offset_),
      expected_size_(o.expected_size_),
      writeback_from_(o.writeback_from_),
      ranged_(std::exchange(o.ranged_, false)),
      hasher_(std::move(o.hasher_)) {}

void BlobWriter::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status BlobWriter::append(const void* data, size_t size) {
  if (fd_ < 0) return Error{"blob writer for " + incomplete_ + " is closed"};
  if (size > expected_size_ - offset_)
    return Error{incomplete_ + ": the server sent more than the " + std::to_string(expected_size_) +
                 " bytes announced"};
  HUBCAP_TRY(pwrite_all(fd_, data, size, offset_, incomplete_));
  hasher_.update(data, size);
  offset_ += size;
  advanced();
  return ok_status();
}

Status BlobWriter::write_at(uint64_t position, const void* data, size_t size) const {
  if (fd_ < 0 || !ranged_) return Error{"blob writer for " + incomplete_ + " is not in a ranged phase"};
  if (position > expected_size_ || size > expected_size_ - position)
    return Error{ranges_ + ": bytes " + std::to_string(position) + "+" + std::to_string(size) +
                 " run past the blob's " + std::to_string(expected_size_) + " bytes"};
  return pwrite_all(fd_, data, size, position, incomplete_);
}

Status BlobWriter::absorb(uint64_t size) {
  if (fd_ < 0 || !ranged_) return Error{"blob writer for " + incomplete_ + " is not in a ranged phase"};
  if (size > expected_size_ - offset_) return Error{ranges_ + ": cannot hash past the blob's end"};
  auto read = digest_fd(fd_, offset_, size, hasher_, ranges_);
  if (!read) return read.error();
  if (*read != size) return Error{ranges_ + ": " + std::to_string(size - *read) + " bytes were never written"};
  offset_ += size;
  advanced();
  return ok_status();
}

// Every kWritebackStep bytes of in-order prefix: start writing them back, so
// the commit's fsync does not find the whole file still in the page cache
// (flushing gigabytes at once would stall the end of every download), and
// in a ranged phase record the new prefix in the trailer. Best effort: if
// the kernel refuses, the fsync still does all of it, and a stale trailer
// only means a resumed run fetches a little more.
void BlobWriter::advanced() {
  if (offset_ - writeback_from_ < kWritebackStep && offset_ != expected_size_) return;
  ::sync_file_range(fd_, static_cast<off_t>(writeback_from_), static_cast<off_t>(offset_ - writeback_from_),
                    SYNC_FILE_RANGE_WRITE);
  writeback_from_ = offset_;
  if (ranged_) (void)write_trailer();
}

Status BlobWriter::write_trailer() {
  std::string text = trailer_text(offset_);
  return pwrite_all(fd_, text.data(), text.size(), expected_size_, incomplete_);
}

// Renamed first, then the trailer written: a kill in between leaves a
// .ranges file without a trailer, which the next open() drops, and never an
// .incomplete file with stray bytes that huggingface_hub would resume from.
Status BlobWriter::begin_ranges() {
  if (fd_ < 0) return Error{"blob writer for " + incomplete_ + " is closed"};
  if (ranged_) return ok_status();
  if (::rename(incomplete_.c_str(), ranges_.c_str()) != 0) return os_error("cannot rename", incomplete_);
  ranged_ = true;
  if (Status written = write_trailer(); !written) {
    (void)end_ranges();
    return written;
  }
  return ok_status();
}

Status BlobWriter::end_ranges() {
  if (!ranged_) return ok_status();
  if (fd_ < 0) return Error{"blob writer for " + incomplete_ + " is closed"};
  if (::ftruncate(fd_, static_cast<off_t>(offset_)) != 0) return os_error("cannot truncate", ranges_);
  if (::rename(ranges_.c_str(), incomplete_.c_str()) != 0) return os_error("cannot rename", ranges_);
  ranged_ = false;
  return ok_status();
}

Status BlobWriter::restart() {
  if (fd_ < 0) return Error{"blob writer for " + incomplete_ + " is closed"};
  HUBCAP_TRY(end_ranges());
  if (::ftruncate(fd_, 0) != 0) return os_error("cannot truncate", incomplete_);
  hasher_ = Sha256();
  offset_ = 0;
  writeback_from_ = 0;
  return ok_status();
}

Result<std::string> BlobWriter::commit(std::string_view expected_sha256) {
  if (fd_ < 0) return Error{"blob writer for " + incomplete_ + " is closed"};
  HUBCAP_TRY(end_ranges());
  std::string actual = hasher_.finish();
  auto reject = [&](const std::string& why) -> Error {
    close_fd();
    ::unlink(incomplete_.c_str());
    return Error{why};
  };
  if (offset_ != expected_size_)
    return reject(incomplete_ + ": got " + std::to_string(offset_) + " bytes, expected " +
                  std::to_string(expected_size_));
  if (!expected_sha256.empty() && actual != expected_sha256)
    return reject(final_ + ": sha256 " + actual + " does not match the expected " + std::string(expected_sha256));
  if (::fsync(fd_) != 0) return os_error("cannot flush", incomplete_);
  close_fd();
  if (::rename(incomplete_.c_str(), final_.c_str()) != 0) return os_error("cannot move blob into place at", final_);
  return actual;
}

}  // namespace hubcap
