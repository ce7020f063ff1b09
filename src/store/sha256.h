#pragma once
// Streaming SHA-256 (util/digest.h). The downloader feeds bytes as they
// arrive, so a file is hashed without a second pass over the disk.
// Not thread-safe: one hasher per stream.
#include <cstdint>
#include <string>

#include "util/digest.h"
#include "util/result.h"

namespace hubcap {

class Sha256 : public Digest {
 public:
  Sha256() : Digest(DigestKind::kSha256) {}
};

// The SHA-256 of a whole file, read with a 1 MiB buffer (memory stays flat
// whatever the file size).
Result<std::string> sha256_file(const std::string& path);

// Feeds the first `length` bytes of `path` into `hasher`: how a resumed
// download catches its hasher up with the bytes already in
// blobs/{etag}.incomplete. Error when the file is shorter or unreadable.
Status hash_file_prefix(const std::string& path, uint64_t length, Sha256& hasher);

}  // namespace hubcap
