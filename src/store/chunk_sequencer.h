#pragma once
// Lets several connections fetch one large blob as byte ranges at once while
// the blob is still hashed strictly in order, as the bytes land, with no
// second pass and no chunk held in memory.
//
// The tail of the blob (from the writer's resume offset) is cut into
// fixed-size chunks. The chunk at the head of the in-order prefix streams
// through BlobWriter::append (written and hashed from the network buffer);
// every other chunk is written straight to its place in the file
// (BlobWriter::write_at) and hashed from the page cache when the head
// reaches it (BlobWriter::absorb). A chunk may not start while it is
// `window` or more chunks ahead of the head, so the unhashed part of the
// file stays bounded (what a kill -9 can cost, and what must still be in the
// page cache to be hashed cheaply).
//
// Workers must take chunks in increasing order (a shared counter): then the
// head chunk is never the one waiting, and the transfer cannot stall.
// Thread-safe: every method may be called from any thread. The writer must
// be in a ranged phase (BlobWriter::begin_ranges) while chunks are written.
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "store/blob_writer.h"
#include "util/result.h"

namespace hubcap {

class ChunkSequencer {
 public:
  // `writer` must outlive the sequencer; chunk_size and window must be > 0.
  ChunkSequencer(BlobWriter& writer, uint64_t chunk_size, size_t window);

  size_t chunk_count() const { return count_; }
  // Absolute byte range [first, last] of chunk i, as for "Range: bytes=first-last".
  uint64_t chunk_first(size_t i) const;
  uint64_t chunk_last(size_t i) const;

  // Blocks until chunk i is less than `window` chunks ahead of the head.
  // Error after fail() or any other error.
  Status wait_turn(size_t i);

  // Writes `bytes`, which start `at` bytes into chunk i; a chunk's bytes
  // come in order (a retry resumes where the last attempt stopped). Error
  // when they run past the chunk, skip or repeat bytes, the writer fails,
  // or after fail(); after any error every call fails.
  Status write(size_t i, uint64_t at, std::string_view bytes);

  // Chunk i has all its bytes: hashes every chunk now in order. Error when
  // it is short, was finished twice, or as for write().
  Status finish(size_t i);

  // Stops the transfer (a worker gave up): waiting and later calls return `error`.
  void fail(Error error);

  // True once every chunk has been hashed; then writer.commit() may run.
  bool done() const;

 private:
  uint64_t chunk_length(size_t i) const { return chunk_last(i) - chunk_first(i) + 1; }
  Error chunk_error(size_t i, const std::string& what) const;
  Status poison_locked(Error error);
  Status hash_landed_locked();
  BlobWriter& writer_;
  uint64_t start_, chunk_size_;
  size_t count_, window_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t head_ = 0;                   // the first chunk not yet wholly hashed
  std::map<size_t, uint64_t> landed_;  // chunk -> bytes on disk from its start (unhashed chunks only)
  std::set<size_t> finished_;          // chunks whose worker called finish(), not yet hashed
  std::optional<Error> error_;
};

}  // namespace hubcap
