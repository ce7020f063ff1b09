#include "store/chunk_sequencer.h"

#include <algorithm>

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

Status ChunkSequencer::deliver(size_t i, std::string bytes) {
  std::unique_lock<std::mutex> lock(mu_);
  if (i >= count_ && !error_) error_ = Error{"chunk " + std::to_string(i) + " of " + writer_.incomplete_path() +
                                             " is out of range"};
  cv_.wait(lock, [&] { return error_.has_value() || i < next_ + window_; });
  if (error_) {
    cv_.notify_all();
    return *error_;
  }
  if (i < next_ || waiting_.count(i)) {
    error_ = Error{"chunk " + std::to_string(i) + " of " + writer_.incomplete_path() + " delivered twice"};
  } else if (uint64_t expected = chunk_length(i) - (i == next_ ? head_written_ : 0); bytes.size() != expected) {
    error_ = Error{"chunk " + std::to_string(i) + " of " + writer_.incomplete_path() + " has " +
                   std::to_string(bytes.size()) + " more bytes, expected " + std::to_string(expected)};
  } else {
    waiting_.emplace(i, std::move(bytes));
    Status written = write_ready_locked();
    if (!written) error_ = written.error();
  }
  cv_.notify_all();
  if (error_) return *error_;
  return ok_status();
}

Status ChunkSequencer::write_ready_locked() {
  for (auto it = waiting_.find(next_); it != waiting_.end(); it = waiting_.find(next_)) {
    HUBCAP_TRY(writer_.append(it->second));
    std::string written = std::move(it->second);
    waiting_.erase(it);
    written.clear();
    if (written.capacity() > 0 && spare_.size() < window_) spare_.push_back(std::move(written));
    ++next_;
    head_written_ = 0;
  }
  return ok_status();
}

Result<bool> ChunkSequencer::write_head(size_t i, std::string_view bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (error_) return *error_;
  if (i != next_) return false;
  if (bytes.size() > chunk_length(i) - head_written_) {
    error_ = Error{"chunk " + std::to_string(i) + " of " + writer_.incomplete_path() + " is longer than its range"};
  } else if (Status written = writer_.append(bytes); !written) {
    error_ = written.error();
  } else {
    head_written_ += bytes.size();
    return true;
  }
  cv_.notify_all();
  return *error_;
}

std::string ChunkSequencer::spare_buffer() {
  std::lock_guard<std::mutex> lock(mu_);
  if (spare_.empty()) return {};
  std::string buffer = std::move(spare_.back());
  spare_.pop_back();
  return buffer;
}

void ChunkSequencer::fail(Error error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!error_) error_ = std::move(error);
  waiting_.clear();
  spare_.clear();
  cv_.notify_all();
}

bool ChunkSequencer::done() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !error_ && next_ == count_;
}

}  // namespace hubcap
