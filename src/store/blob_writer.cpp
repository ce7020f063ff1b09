#include "store/blob_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "store/atomic_file.h"
#include "store/cache_layout.h"
#include "util/checked_math.h"

namespace hubcap {

namespace {

Error os_error(const std::string& what, const std::string& path) {
  return Error{what + " " + path + ": " + std::strerror(errno)};
}

// How far the file may run ahead of the disk before writeback is started.
constexpr uint64_t kWritebackStep = 16u << 20;

}  // namespace

bool has_blob(const std::string& repo_dir, std::string_view blob_id, uint64_t size) {
  if (!is_valid_blob_id(blob_id)) return false;
  struct stat st {};
  return ::stat(blob_path(repo_dir, blob_id).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         static_cast<uint64_t>(st.st_size) == size;
}

uint64_t bytes_missing(const std::string& repo_dir, const std::vector<RepoFile>& files) {
  uint64_t total = 0;
  for (const auto& f : files) {
    uint64_t need = f.size;
    const std::string& id = f.sha256.empty() ? f.git_oid : f.sha256;
    if (is_valid_blob_id(id)) {
      struct stat st {};
      if (has_blob(repo_dir, id, f.size))
        need = 0;
      else if (::stat(incomplete_blob_path(repo_dir, id).c_str(), &st) == 0 &&
               static_cast<uint64_t>(st.st_size) <= f.size)
        need = f.size - static_cast<uint64_t>(st.st_size);
    }
    total = checked_add(total, need).value_or(UINT64_MAX);
  }
  return total;
}

Result<BlobWriter> BlobWriter::open(const std::string& repo_dir, std::string_view blob_id, uint64_t expected_size) {
  if (!is_valid_blob_id(blob_id)) return Error{"not a valid blob id: '" + std::string(blob_id) + "'"};
  HUBCAP_TRY(make_dirs(repo_dir + "/blobs"));
  BlobWriter w;
  w.incomplete_ = incomplete_blob_path(repo_dir, blob_id);
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
  if (::lseek(w.fd_, static_cast<off_t>(have), SEEK_SET) < 0) return os_error("cannot seek in", w.incomplete_);
  return w;
}

BlobWriter::~BlobWriter() { close_fd(); }

BlobWriter::BlobWriter(BlobWriter&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      incomplete_(std::move(o.incomplete_)),
      final_(std::move(o.final_)),
      offset_(o.offset_),
      expected_size_(o.expected_size_),
      writeback_from_(o.writeback_from_),
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
  const char* p = static_cast<const char*>(data);
  size_t left = size;
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("cannot write", incomplete_);
    p += n;
    left -= static_cast<size_t>(n);
  }
  hasher_.update(data, size);
  offset_ += size;
  if (offset_ - writeback_from_ >= kWritebackStep) start_writeback();
  return ok_status();
}

// The commit's fsync must not find the whole file still in the page cache:
// flushing gigabytes at once would stall the end of every download. Starting
// writeback as the bytes arrive lets the disk work while the network does.
// Best effort: if the kernel refuses, the fsync still does all of it.
void BlobWriter::start_writeback() {
  ::sync_file_range(fd_, static_cast<off_t>(writeback_from_), static_cast<off_t>(offset_ - writeback_from_),
                    SYNC_FILE_RANGE_WRITE);
  writeback_from_ = offset_;
}

Status BlobWriter::restart() {
  if (fd_ < 0) return Error{"blob writer for " + incomplete_ + " is closed"};
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) < 0) return os_error("cannot truncate", incomplete_);
  hasher_ = Sha256();
  offset_ = 0;
  writeback_from_ = 0;
  return ok_status();
}

Result<std::string> BlobWriter::commit(std::string_view expected_sha256) {
  if (fd_ < 0) return Error{"blob writer for " + incomplete_ + " is closed"};
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
