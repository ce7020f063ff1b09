#include "store/chunk_sequencer.h"

#include <algorithm>
#include <string>

namespace hubcap {

ChunkSequencer::ChunkSequencer(BlobWriter& writer, uint64_t chunk_size, size_t window)
    : writer_(writer),
      start_(writer.offset()),
      chunk_size_(std::max<uint64_t>(chunk_size, 1)),
      count_(static_cast<size_t>((writer.expected_size() - writer.offset() + chunk_size_ - 1) / chunk_size_)),
      window_(std::max<size_t>(window, 1)) {}

uint64_t ChunkSequencer::chunk_first(size_t i) const { return start_ + static_cast<uint64_t>(i) * chunk_size_; }

uint64_t ChunkSequencer::chunk_last(size_t i) const {
  return std::min(chunk_first(i) + chunk_size_, writer_.expected_size()) - 1;
}

Status ChunkSequencer::wait_turn(size_t i) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return error_.has_value() || i < head_ + window_; });
  if (error_) return *error_;
  return ok_status();
}

Error ChunkSequencer::chunk_error(size_t i, const std::string& what) const {
  return Error{"chunk " + std::to_string(i) + " of " + writer_.incomplete_path() + what};
}

Status ChunkSequencer::poison_locked(Error error) {
  if (!error_) error_ = std::move(error);
  cv_.notify_all();
  return *error_;
}

// Hashes the head chunk's landed bytes, and moves the head past every chunk
// that is then complete.
Status ChunkSequencer::hash_landed_locked() {
  for (; head_ < count_; ++head_) {
    uint64_t hashed = writer_.offset() - chunk_first(head_);
    auto landed = landed_.find(head_);
    uint64_t have = landed == landed_.end() ? 0 : landed->second;
    if (have > hashed) HUBCAP_TRY(writer_.absorb(have - hashed));
    if (!finished_.count(head_)) break;
    landed_.erase(head_);
    finished_.erase(head_);
    cv_.notify_all();
  }
  return ok_status();
}

Status ChunkSequencer::write(size_t i, uint64_t at, std::string_view bytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_) return *error_;
    if (i >= count_ || i < head_ || finished_.count(i))
      return poison_locked(chunk_error(i, " written after it was done"));
    if (at > chunk_length(i) || bytes.size() > chunk_length(i) - at)
      return poison_locked(chunk_error(i, " is longer than its range"));
    uint64_t& have = landed_[i];
    if (at != have)
      return poison_locked(
          chunk_error(i, ": bytes from " + std::to_string(at) + " arrived after " + std::to_string(have)));
    if (i == head_) {
      Status written = hash_landed_locked();
      if (written) written = writer_.append(bytes);
      if (!written) return poison_locked(written.error());
      have += bytes.size();
      return ok_status();
    }
  }
  // Ahead of the head: straight to its place in the file, without holding
  // the lock, so connections write in parallel. If the head reaches this
  // chunk meanwhile, it hashes what had landed before; the rest follows on
  // this chunk's next write() or finish().
  Status written = writer_.write_at(chunk_first(i) + at, bytes);
  std::lock_guard<std::mutex> lock(mu_);
  if (!written) return poison_locked(written.error());
  if (error_) return *error_;
  landed_[i] = at + bytes.size();
  return ok_status();
}

Status ChunkSequencer::finish(size_t i) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_) return *error_;
  if (i >= count_ || i < head_ || finished_.count(i)) return poison_locked(chunk_error(i, " finished twice"));
  auto landed = landed_.find(i);
  uint64_t have = landed == landed_.end() ? 0 : landed->second;
  if (have != chunk_length(i))
    return poison_locked(
        chunk_error(i, " has " + std::to_string(have) + " bytes, expected " + std::to_string(chunk_length(i))));
  finished_.insert(i);
  Status hashed = hash_landed_locked();
  if (!hashed) return poison_locked(hashed.error());
  return ok_status();
}

void ChunkSequencer::fail(Error error) {
  std::lock_guard<std::mutex> lock(mu_);
  (void)poison_locked(std::move(error));
}

bool ChunkSequencer::done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !error_ && head_ == count_;
}

}  // namespace hubcap
