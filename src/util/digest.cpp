#include "util/digest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace hubcap {
namespace {

const EVP_MD* algorithm(DigestKind kind) { return kind == DigestKind::kSha1 ? EVP_sha1() : EVP_sha256(); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

struct Digest::Ctx {
  const EVP_MD* md;
  EVP_MD_CTX* ctx;
  explicit Ctx(const EVP_MD* m) : md(m), ctx(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx, md, nullptr); }
  ~Ctx() { EVP_MD_CTX_free(ctx); }
};

Digest::Digest(DigestKind kind) : ctx_(std::make_unique<Ctx>(algorithm(kind))) {}
Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

void Digest::update(const void* data, size_t size) {
  EVP_DigestUpdate(ctx_->ctx, data, size);
  bytes_ += size;
}

std::string Digest::finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->ctx, digest, &len);
  EVP_DigestInit_ex(ctx_->ctx, ctx_->md, nullptr);
  bytes_ = 0;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Result<uint64_t> digest_file(const std::string& path, uint64_t limit, Digest& digest) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error{"cannot open " + path + ": " + std::strerror(errno)};
  return digest_fd(fd.get(), 0, limit, digest, path);
}

Result<uint64_t> digest_fd(int fd, uint64_t offset, uint64_t limit, Digest& digest, const std::string& name) {
  std::vector<char> buffer(1 << 20);
  uint64_t total = 0;
  while (total < limit) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), limit - total));
    ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset + total));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{"cannot read " + name + ": " + std::strerror(errno)};
    if (n == 0) break;
    digest.update(buffer.data(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  return total;
}

}  // namespace hubcap
