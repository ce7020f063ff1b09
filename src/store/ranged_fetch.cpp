#include "store/ranged_fetch.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "store/chunk_sequencer.h"

namespace hubcap {

bool ConnectionBudget::try_acquire() {
  std::lock_guard<std::mutex> lock(mu_);
  if (free_ == 0) return false;
  --free_;
  return true;
}

void ConnectionBudget::release() {
  std::lock_guard<std::mutex> lock(mu_);
  ++free_;
}

void backoff_pause(long base_ms, int attempt, const std::atomic<bool>* cancel) {
  long ms = std::min<long>(5000, base_ms << std::min(attempt, 5));
  for (long waited = 0; waited < ms && !(cancel && cancel->load()); waited += 20)
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<long>(20, ms - waited)));
}

namespace {

constexpr uint64_t kReportBytes = 1 << 20;  // progress granularity of one worker
// How many chunks may be in flight ahead of the head, per connection: slack
// so that one slow connection at the head does not idle the others at once.
constexpr size_t kWindowPerConnection = 2;

// What the workers of one file share.
class Transfer {
 public:
  Transfer(BlobWriter& writer, const RangedFetch& options)
      : options_(options),
        sequencer_(writer, options.chunk_bytes, kWindowPerConnection * std::max<size_t>(options.max_connections, 1)) {}

  // The calling thread's share of the work: it adds helpers as budget
  // slots free up, fetches chunks itself, then waits for its helpers.
  void run() {
    std::vector<std::thread> helpers;
    for (;;) {
      add_helpers(helpers);
      if (!fetch_next_chunk()) break;
    }
    for (auto& t : helpers) t.join();
  }

  RangedResult result() {
    if (cancelled()) return {RangedStatus::kCancelled, Error{"cancelled"}};
    if (ranges_ignored_) return {RangedStatus::kRangesIgnored, Error{"the server ignores Range"}};
    if (sequencer_.done()) return {RangedStatus::kDone, Error{}};
    std::lock_guard<std::mutex> lock(mu_);
    return {RangedStatus::kFailed, failure_.value_or(Error{"the transfer stopped"})};
  }

 private:
  bool cancelled() const { return options_.cancel && options_.cancel->load(); }
  // True once no more bytes are wanted: cancelled, or the transfer failed.
  bool halted() const { return cancelled() || stopped_ || ranges_ignored_; }

  void add_helpers(std::vector<std::thread>& helpers) {
    while (options_.budget && helpers.size() + 1 < options_.max_connections &&
           next_chunk_.load() + 1 < sequencer_.chunk_count() && options_.budget->try_acquire()) {
      helpers.emplace_back([this] {
        while (fetch_next_chunk()) {
        }
        options_.budget->release();
      });
    }
  }

  // Takes the next chunk and fetches it. False when there is no work left
  // or the transfer stopped.
  bool fetch_next_chunk() {
    if (halted()) {
      sequencer_.fail(Error{"cancelled"});
      return false;
    }
    size_t i = next_chunk_++;
    if (i >= sequencer_.chunk_count()) return false;
    Status fetched = fetch_chunk(i);
    if (fetched) return true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!failure_) failure_ = fetched.error();
    }
    stopped_ = true;
    sequencer_.fail(fetched.error());
    return false;
  }

  // Chunk i, resuming within the chunk after a failure.
  Status fetch_chunk(size_t i) {
    HUBCAP_TRY(sequencer_.wait_turn(i));
    uint64_t first = sequencer_.chunk_first(i), length = sequencer_.chunk_last(i) - first + 1;
    uint64_t got = 0;  // bytes of the chunk written
    std::optional<Error> write_error;
    for (int attempt = 1;; ++attempt) {
      HttpRequest request = options_.make_request();
      request.range = ByteRange{first + got, length - got};
      uint64_t unreported = 0;
      BodySink sink = [&](std::string_view piece) {
        if (halted()) return false;
        if (Status written = sequencer_.write(i, got, piece); !written) {
          write_error = written.error();
          return false;
        }
        got += piece.size();
        unreported += piece.size();
        if (unreported >= kReportBytes) report(unreported);
        return true;
      };
      auto response = http_get_stream(request, sink, default_http_options());
      report(unreported);
      if (write_error) return *write_error;
      if (response && response->status == 200) ranges_ignored_ = true;
      if (halted()) return Error{"stopped"};
      if (response && response->status == 206 && got == length) return sequencer_.finish(i);
      bool retryable = !response || response->status / 100 == 2 || is_retryable_status(response->status);
      std::string why = !response ? response.error().message
                        : response->status / 100 == 2
                            ? "the answer ended early"
                            : "HTTP " + std::to_string(response->status) + " from the Hub";
      if (!retryable || attempt >= options_.max_attempts_per_chunk)
        return Error{"bytes " + std::to_string(first) + "-" + std::to_string(first + length - 1) + ": " + why +
                     " (" + std::to_string(attempt) + (attempt == 1 ? " attempt)" : " attempts)")};
      backoff_pause(options_.backoff_ms, attempt, options_.cancel);
    }
  }

  void report(uint64_t& bytes) {
    if (bytes > 0 && options_.on_bytes) options_.on_bytes(bytes);
    bytes = 0;
  }

  const RangedFetch& options_;
  ChunkSequencer sequencer_;
  std::atomic<size_t> next_chunk_{0};
  std::atomic<bool> ranges_ignored_{false};
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::optional<Error> failure_;  // the first reason the transfer stopped
};

}  // namespace

RangedResult fetch_in_ranges(BlobWriter& writer, const RangedFetch& options) {
  if (Status begun = writer.begin_ranges(); !begun) return {RangedStatus::kFailed, begun.error()};
  RangedResult result;
  {
    Transfer transfer(writer, options);
    transfer.run();
    result = transfer.result();
  }
  // Back to an .incomplete file holding the in-order prefix: complete, or
  // for the next attempt (or huggingface_hub) to resume.
  if (Status ended = writer.end_ranges(); !ended && result.status != RangedStatus::kFailed)
    result = {RangedStatus::kFailed, ended.error()};
  return result;
}

}  // namespace hubcap
