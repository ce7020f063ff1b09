#include "store/git_blob.h"

#include <openssl/evp.h>

#include <fstream>
#include <memory>

namespace hubcap {
namespace {

class Sha1 {
 public:
  explicit Sha1(uint64_t size) : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha1(), nullptr);
    std::string header = "blob " + std::to_string(size);
    update(std::string_view(header.data(), header.size() + 1));  // with the '\0' after it
  }
  void update(std::string_view bytes) { EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &len);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 15];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace

std::string git_blob_sha1(std::string_view bytes) {
  Sha1 sha(bytes.size());
  sha.update(bytes);
  return sha.hex();
}

Result<std::string> git_blob_sha1_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Error{"cannot read " + path};
  auto size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  Sha1 sha(size);
  std::string buf(1 << 20, '\0');
  uint64_t seen = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto got = static_cast<size_t>(in.gcount());
    sha.update(std::string_view(buf.data(), got));
    seen += got;
  }
  if (seen != size) return Error{"cannot read " + path + ": it changed while being hashed"};
  return sha.hex();
}

}  // namespace hubcap
