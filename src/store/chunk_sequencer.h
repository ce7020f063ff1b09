#pragma once
// Lets several connections fetch one large blob as byte ranges at once while
// the file on disk still grows strictly in order. Why in order: the
// .incomplete file is shared with huggingface_hub, which resumes from its
// size, so it must never hold holes; and in-order bytes can be hashed as
// they land, with no second pass.
//
// The tail of the blob (from the writer's resume offset) is cut into
// fixed-size chunks. Workers fetch chunks in any order and deliver() them;
// a chunk that is not next waits in memory, and deliver() blocks while a
// chunk is `window` or more chunks ahead of the next one to write, so memory
// stays under about (window + workers) chunks whatever the blob size.
//
// Workers must take chunks in increasing order (a shared counter): then the
// chunk that is next is never the one blocked, and the transfer cannot stall.
// Thread-safe: deliver() and fail() may be called from any thread.
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

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

  // While chunk i is the next one to write, its bytes may go straight to the
  // file as they arrive (no copy held in memory): true when `bytes` were
  // written, false (nothing written) when chunk i is not next yet. Error as
  // for deliver(), or when more than the chunk's length would be written.
  Result<bool> write_head(size_t i, std::string_view bytes);

  // Hands over chunk i: all of its bytes, or those after what write_head()
  // already wrote. Blocks while it is too far ahead. Error when the chunk
  // has the wrong length, was delivered twice, the writer failed, or fail()
  // was called; after any error every call fails.
  Status deliver(size_t i, std::string bytes);

  // An emptied buffer of a chunk already written (its capacity kept), or an
  // empty string: reusing them spares the page faults of fresh memory for
  // every chunk. At most `window` are kept.
  std::string spare_buffer();

  // Stops the transfer (a worker gave up): blocked and later calls return `error`.
  void fail(Error error);

  // True once every chunk has been written; then writer.commit() may run.
  bool done() const;

 private:
  Status write_ready_locked();
  uint64_t chunk_length(size_t i) const { return chunk_last(i) - chunk_first(i) + 1; }
  BlobWriter& writer_;
  uint64_t start_, chunk_size_;
  size_t count_, window_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t next_ = 0;
  uint64_t head_written_ = 0;  // bytes of chunk next_ written by write_head()
  std::map<size_t, std::string> waiting_;
  std::vector<std::string> spare_;
  std::optional<Error> error_;
};

}  // namespace hubcap
