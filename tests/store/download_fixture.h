#pragma once
// A local Hub plus an empty cache, for download tests: add() puts a file on
// the Hub and remembers its bytes to compare with what lands in the cache.
#include <filesystem>
#include <map>
#include <string>

#include "store/cache_layout.h"
#include "store/downloader.h"
#include "store/sha256.h"
#include "support/local_hub.h"
#include "support/random_bytes.h"

namespace hubcap::testing {

namespace fs = std::filesystem;

inline std::string file_sha(const fs::path& p) {
  auto d = sha256_file(p.string());
  return d ? *d : "unreadable";
}

struct DownloadFixture {
  LocalHub hub;
  TempDir cache{"hubcap-cache"};
  std::map<std::string, std::string> bytes;  // repo path -> contents

  void add(const std::string& repo, const std::string& path, std::string contents) {
    hub.add_file(repo, path, contents);
    bytes[path] = std::move(contents);
  }
  void add_safetensors_repo(const std::string& repo) {
    add(repo, "config.json", R"({"model_type":"llama","hidden_size":8})");
    add(repo, "tokenizer.json", R"({"version":"1.0"})");
    add(repo, "model-00001-of-00002.safetensors", random_bytes(3'000'000, 1));
    add(repo, "model-00002-of-00002.safetensors", random_bytes(2'000'001, 2));
    add(repo, "model.safetensors.index.json", R"({"weight_map":{}})");
    add(repo, "README.md", "# tiny");
    add(repo, "original/consolidated.00.pth", random_bytes(1000, 3));
  }
  DownloadOptions options() const {
    DownloadOptions o;
    o.cache_dir = cache.path().string();
    o.registry_path = (cache.path() / "registry.db").string();
    o.backoff_ms = 1;
    return o;
  }
  fs::path repo_folder(const std::string& repo) const { return cache.path() / repo_folder_name(repo); }
};

}  // namespace hubcap::testing
