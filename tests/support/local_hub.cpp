#include "support/local_hub.h"

#include <gtest/gtest.h>

#include <fstream>

#include "hub/http_client.h"
#include "server/repo_store.h"

namespace hubcap::testing {
namespace {

HubServerOptions with_root(HubServerOptions options, const std::filesystem::path& root) {
  options.root = root.string();
  return options;
}

}  // namespace

LocalHub::LocalHub(HubServerOptions options) : server_(with_root(std::move(options), root_.path())) {
  Status started = server_.start();
  if (!started) ADD_FAILURE() << started.error().message;
  env_.emplace_back("HF_ENDPOINT", server_.url());
  env_.emplace_back("HF_HOME", home_.path().string());
  for (const char* name : {"HF_TOKEN", "HF_TOKEN_PATH", "HF_HUB_OFFLINE", "XDG_CACHE_HOME"})
    env_.emplace_back(name, std::nullopt);
  env_.emplace_back("HUBCAP_HTTP_BACKOFF_MS", "1");
  env_.emplace_back("HUBCAP_HTTP_MAX_BACKOFF_MS", "20");
}

LocalHub::~LocalHub() {
  // Idle client connections would hold server threads until keep-alive ends.
  http_close_idle_connections();
  server_.stop();
}

void LocalHub::add_file(const std::string& repo, const std::string& path, const std::string& bytes) {
  root_.write(repo + "/" + path, bytes);
}

std::string LocalHub::add_sparse_file(const std::string& repo, const std::string& path, uint64_t size) {
  root_.write_sparse(repo + "/" + path, size);
  std::string oid = sha256_hex(repo + "/" + path + "@" + std::to_string(size));
  set_settings(repo, {{"lfs", {{path, oid}}}});
  return oid;
}

std::string LocalHub::fake_lfs_oid(const std::string& path) { return sha256_hex("oid:" + path); }

void LocalHub::seal(const std::string& repo, const std::string& sha) {
  nlohmann::json lfs = nlohmann::json::object();
  for (const auto& e : std::filesystem::recursive_directory_iterator(repo_dir(repo))) {
    std::string rel = std::filesystem::relative(e.path(), repo_dir(repo)).generic_string();
    if (e.is_regular_file() && rel[0] != '.' && is_lfs_file(rel, e.file_size())) lfs[rel] = fake_lfs_oid(rel);
  }
  set_settings(repo, {{"sha", sha}, {"lfs", lfs}});
}

void LocalHub::set_settings(const std::string& repo, const nlohmann::json& settings) {
  std::filesystem::path file = repo_dir(repo) / ".hub.json";
  nlohmann::json current = nlohmann::json::object();
  if (std::ifstream in(file); in) current = nlohmann::json::parse(in, nullptr, false);
  if (!current.is_object()) current = nlohmann::json::object();
  current.merge_patch(settings);
  root_.write(repo + "/.hub.json", current.dump(2));
}

}  // namespace hubcap::testing
