#include "store/sha256.h"

namespace hubcap {

Result<std::string> sha256_file(const std::string& path) {
  Sha256 hasher;
  auto read = digest_file(path, UINT64_MAX, hasher);
  if (!read) return read.error();
  return hasher.finish();
}

Status hash_file_prefix(const std::string& path, uint64_t length, Sha256& hasher) {
  auto read = digest_file(path, length, hasher);
  if (!read) return read.error();
  if (*read != length)
    return Error{path + " holds " + std::to_string(*read) + " bytes, fewer than the " + std::to_string(length) +
                 " expected"};
  return ok_status();
}

}  // namespace hubcap
