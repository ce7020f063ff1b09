#include "store/git_blob.h"

#include <sys/stat.h>

#include "util/digest.h"

namespace hubcap {
namespace {

// A SHA-1 already fed git's object header for a blob of `size` bytes.
Digest blob_digest(uint64_t size) {
  Digest sha(DigestKind::kSha1);
  std::string header = "blob " + std::to_string(size);
  sha.update(header.data(), header.size() + 1);  // with the '\0' after it
  return sha;
}

}  // namespace

std::string git_blob_sha1(std::string_view bytes) {
  Digest sha = blob_digest(bytes.size());
  sha.update(bytes);
  return sha.finish();
}

Result<std::string> git_blob_sha1_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error{"cannot read " + path};
  const auto size = static_cast<uint64_t>(st.st_size);
  Digest sha = blob_digest(size);
  auto read = digest_file(path, UINT64_MAX, sha);
  if (!read) return read.error();
  if (*read != size) return Error{"cannot read " + path + ": it changed while being hashed"};
  return sha.finish();
}

}  // namespace hubcap
