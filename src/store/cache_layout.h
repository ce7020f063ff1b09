#pragma once
// The Hugging Face cache layout, byte for byte as huggingface_hub writes it,
// so that hubcap, huggingface_hub, transformers and @huggingface/hub share
// files both ways:
//
//   <cache>/models--{org}--{name}/blobs/{etag}             file contents
//   <cache>/models--{org}--{name}/blobs/{etag}.incomplete  a download in progress
//   <cache>/models--{org}--{name}/blobs/{etag}.ranges      hubcap's own: parallel ranges in progress (blob_writer.h)
//   <cache>/models--{org}--{name}/snapshots/{commit}/{path} relative symlink to ../../blobs/{etag}
//   <cache>/models--{org}--{name}/refs/{revision}           the commit, no newline
//   <cache>/models--{org}--{name}/.no_exist/{commit}/{path} empty marker: file absent at that commit
//   <cache>/.locks/models--{org}--{name}/{etag}.lock        per-blob lock (see blob_lock.h)
//
// {etag} is the LFS sha256 for LFS files and the git blob sha1 otherwise.
// Functions here only compute paths and make links/refs; they never touch
// the network. Thread-safe: no shared state.
#include <string>
#include <string_view>

#include "util/result.h"

namespace hubcap {

// $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface
// (with '~' expanded, as huggingface_hub's constants do). Empty variables count as unset.
std::string hf_home_dir();

// $HF_HUB_CACHE, else the legacy $HUGGINGFACE_HUB_CACHE, else hf_home_dir()/hub.
std::string hub_cache_dir();

// "Qwen/Qwen3-8B" -> "models--Qwen--Qwen3-8B". repo_type is "model",
// "dataset" or "space" (the folder prefix is its plural).
std::string repo_folder_name(std::string_view repo_id, std::string_view repo_type = "model");

// True for "name" or "org/name" whose parts are non-empty, not "." or "..",
// and hold only letters, digits and "-_.": safe to turn into a folder name.
bool is_valid_repo_id(std::string_view repo_id);

// 40 lowercase hex digits.
bool is_commit_hash(std::string_view s);

// An etag that may name a blob: 40 (git sha1) or 64 (sha256) lowercase hex digits.
bool is_valid_blob_id(std::string_view s);

// A revision name for refs/: a branch, tag or "refs/pr/N"; passes is_safe_repo_path.
bool is_valid_revision(std::string_view s);

// <cache>/models--{org}--{name}. Usage error for an invalid repo id.
Result<std::string> repo_dir(const std::string& cache_root, std::string_view repo_id);

// Paths inside a repo folder. Callers validate the ids first (the
// functions below that write do so themselves).
std::string blob_path(const std::string& repo_dir, std::string_view blob_id);
// Where a blob is written while it downloads. The exact name huggingface_hub
// uses, so either tool resumes the other's partial file.
std::string incomplete_blob_path(const std::string& repo_dir, std::string_view blob_id);
// Where hubcap writes a blob while parallel ranges may leave holes in it: a
// name huggingface_hub does not know, since it would resume from the size.
std::string ranges_blob_path(const std::string& repo_dir, std::string_view blob_id);
std::string snapshot_dir(const std::string& repo_dir, std::string_view commit);
std::string snapshot_file_path(const std::string& repo_dir, std::string_view commit, std::string_view path);
std::string ref_path(const std::string& repo_dir, std::string_view revision);
std::string no_exist_path(const std::string& repo_dir, std::string_view commit, std::string_view path);
// <cache>/.locks/models--{org}--{name}/{etag}.lock: the lock file huggingface_hub takes.
std::string blob_lock_path(const std::string& cache_root, std::string_view repo_id, std::string_view blob_id);

// The relative link target for snapshots/{commit}/{path}: "../../blobs/{id}"
// plus one "../" per folder in `path`.
std::string snapshot_link_target(std::string_view path, std::string_view blob_id);

// Points snapshots/{commit}/{path} at blobs/{blob_id} with a relative
// symlink, replacing whatever was there, atomically (a link made under a
// temporary name, then renamed). The blob need not exist yet. Errors for an
// unsafe path, a malformed commit or blob id, or a filesystem failure.
Status link_snapshot_file(const std::string& repo_dir, std::string_view commit, std::string_view path,
                          std::string_view blob_id);

// Writes refs/{revision} = commit (no trailing newline, as huggingface_hub
// reads it verbatim), atomically. "refs/pr/1" becomes nested folders.
// Does nothing when revision == commit.
Status write_ref(const std::string& repo_dir, std::string_view revision, std::string_view commit);

// The commit refs/{revision} holds (surrounding whitespace trimmed). Error
// when the ref is missing or does not hold a commit hash.
Result<std::string> read_ref(const std::string& repo_dir, std::string_view revision);

// Creates the empty .no_exist/{commit}/{path} marker.
Status write_no_exist_marker(const std::string& repo_dir, std::string_view commit, std::string_view path);

}  // namespace hubcap
