#pragma once
// A Hub mirror for one test: repos in a temporary folder, served in-process
// on an ephemeral 127.0.0.1 port, with HF_ENDPOINT pointing at it.
//
//   hubcap::testing::LocalHub hub;
//   hub.add_file("org/model", "config.json", R"({"hidden_size": 8})");
//   hub.add_sparse_file("org/model", "model.safetensors", 5ull << 30);
//   hubcap::HubClient client;  // reads HF_ENDPOINT: talks to the mirror
//
// While it lives, the environment is isolated: HF_ENDPOINT is the mirror,
// HF_HOME a temp folder, HF_TOKEN, HF_TOKEN_PATH and HF_HUB_OFFLINE unset,
// and HTTP retry backoff is a few milliseconds. The mirror accepts
// "Bearer token" for gated and private repos (HF_TOKEN=token).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/hub_server.h"
#include "support/temp_dir.h"

namespace hubcap::testing {

class LocalHub {
 public:
  // `options.root` is ignored (a temp folder is used); the rest applies.
  explicit LocalHub(HubServerOptions options = {});
  ~LocalHub();
  LocalHub(const LocalHub&) = delete;
  LocalHub& operator=(const LocalHub&) = delete;

  // Writes one file of `repo` ("org/name" or "name").
  void add_file(const std::string& repo, const std::string& path, const std::string& bytes);
  // A sparse file of `size` zeros; its LFS oid is recorded in .hub.json so
  // the mirror never hashes it. Returns that oid.
  std::string add_sparse_file(const std::string& repo, const std::string& path, uint64_t size);
  // Records every file of `repo` the mirror would serve through LFS with a
  // fake oid (fake_lfs_oid), so it never hashes sparse gigabytes, and pins
  // the repo's commit to `sha`.
  void seal(const std::string& repo, const std::string& sha);
  static std::string fake_lfs_oid(const std::string& path);
  // Merges `settings` into the repo's .hub.json (see server/repo_store.h).
  void set_settings(const std::string& repo, const nlohmann::json& settings);

  std::filesystem::path repo_dir(const std::string& repo) const { return root_.path() / repo; }
  const std::filesystem::path& root() const { return root_.path(); }
  const std::filesystem::path& hf_home() const { return home_.path(); }
  std::string url() const { return server_.url(); }
  HubServer& server() { return server_; }

 private:
  TempDir root_{"hubcap-hub"};
  TempDir home_{"hubcap-hfhome"};
  std::vector<ScopedEnv> env_;
  HubServer server_;
};

}  // namespace hubcap::testing
