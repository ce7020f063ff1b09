#pragma once
// Streaming message digests (OpenSSL EVP) printed as lowercase hex: SHA-256
// for LFS objects, SHA-1 for git blob ids. Not thread-safe: one per stream.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace hubcap {

enum class DigestKind { kSha1, kSha256 };

class Digest {
 public:
  explicit Digest(DigestKind kind);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void update(const void* data, size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  uint64_t bytes_hashed() const { return bytes_; }

  // The digest as lowercase hex digits. The digest then starts over.
  std::string finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  uint64_t bytes_ = 0;
};

// Feeds up to `limit` bytes of the file at `path` into `digest`, read with a
// 1 MiB buffer (memory stays flat whatever the file size). Returns how many
// bytes were read: fewer than `limit` when the file ends first.
Result<uint64_t> digest_file(const std::string& path, uint64_t limit, Digest& digest);

// The same for an open file, from byte `offset` (pread: the file position is
// untouched, so other threads may write elsewhere in the file meanwhile).
// `name` is for error messages.
Result<uint64_t> digest_fd(int fd, uint64_t offset, uint64_t limit, Digest& digest, const std::string& name);

}  // namespace hubcap
