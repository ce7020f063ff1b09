#pragma once
// Git blob ids: sha1("blob <size>\0" + bytes). The Hub lists one as the
// "oid" of every tree entry and sends it as the ETag of a file that is not
// in LFS; the cache names such files' blobs by it. Checking it is how a
// config or tokenizer is verified (LFS files have their sha256 instead).
#include <string>
#include <string_view>

#include "util/result.h"

namespace hubcap {

// The git blob sha1 of `bytes`, as 40 lowercase hex digits.
std::string git_blob_sha1(std::string_view bytes);

// The git blob sha1 of the file at `path`, read in 1 MiB pieces (memory
// stays flat). Error when it cannot be read.
Result<std::string> git_blob_sha1_file(const std::string& path);

}  // namespace hubcap
