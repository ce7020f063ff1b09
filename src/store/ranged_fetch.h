#pragma once
// Fetches the missing tail of one large blob as parallel byte ranges
// ("Range: bytes=a-b"). Each connection writes its chunk straight to its
// place in the file while the blob is hashed strictly in order
// (ChunkSequencer), so there is no second pass and no chunk waits in memory.
// Meanwhile the file is blobs/{etag}.ranges (see blob_writer.h); when the
// transfer ends, however it ends, it is blobs/{etag}.incomplete again,
// holding the in-order prefix.
//
// The calling thread is one connection; it adds helper threads, each with
// one more connection, only while a slot of the shared ConnectionBudget is
// free, so files x ranges never exceeds the download's connection limit.
// Connections come from the HTTP client's pool, so consecutive chunks reuse
// them (keep-alive, HTTP/2 where offered).
//
// A chunk whose connection drops, stalls or gets a 429/5xx is resumed from
// the bytes it already has, with backoff, up to max_attempts_per_chunk.
// Memory: one network buffer per connection and one read buffer for
// hashing, whatever the blob size; the page cache holds at most about
// 2 x max_connections chunks written but not yet hashed.
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

#include "hub/http_client.h"
#include "store/blob_writer.h"
#include "util/result.h"

namespace hubcap {

// Extra connections shared by every file of one download. Thread-safe.
class ConnectionBudget {
 public:
  explicit ConnectionBudget(size_t slots) : free_(slots) {}
  bool try_acquire();
  void release();

 private:
  std::mutex mu_;
  size_t free_;
};

struct RangedFetch {
  uint64_t chunk_bytes = 8ull << 20;  // > 0
  size_t max_connections = 8;          // for this file, the caller's own included
  int max_attempts_per_chunk = 6;
  long backoff_ms = 200;  // first pause before a chunk is retried, doubling, capped at 5 s
  const std::atomic<bool>* cancel = nullptr;
  ConnectionBudget* budget = nullptr;         // where helper connections come from; null: none
  std::function<HttpRequest()> make_request;  // the file's GET (URL, token); the range is set here
  // Body bytes received, as they arrive, from any worker thread (not
  // serialized). Bytes of chunks that are later dropped are counted too.
  std::function<void(uint64_t bytes)> on_bytes;
};

enum class RangedStatus {
  kDone,           // every byte written: writer.commit() may run
  kRangesIgnored,  // the server answered 200 to a Range: fetch the rest in one stream
  kCancelled,      // *cancel was set; what was written in order stays
  kFailed,         // a chunk failed for good (after retries) or a write failed
};

struct RangedResult {
  RangedStatus status = RangedStatus::kFailed;
  Error error;  // kFailed: one line
};

// Sleeps before retry number `attempt` (1, 2, ...): base_ms doubling, capped
// at 5 s; returns early once *cancel is set.
void backoff_pause(long base_ms, int attempt, const std::atomic<bool>* cancel);

// Fetches bytes [writer.offset(), writer.expected_size()) into `writer`.
// Blocks until every worker has stopped; then `writer` is the caller's
// again, holding every byte that arrived in order.
RangedResult fetch_in_ranges(BlobWriter& writer, const RangedFetch& options);

}  // namespace hubcap
