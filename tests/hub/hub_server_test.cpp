#include "server/hub_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include "hub/http_client.h"
#include "support/local_hub.h"

namespace hubcap {
namespace {

using testing::LocalHub;

class HubServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_.add_file("org/m", "README.md", "hello");
    hub_.add_file("org/m", "weights/model.safetensors", "abc");
    hub_.add_file("org/m", ".gitattributes-like/.hidden", "x");
    hub_.add_file("org/m", "sub/.secret", "x");
    hub_.set_settings("org/m", {{"sha", kSha}});
  }
  Result<HttpResponse> get(const std::string& path, bool head = false) {
    HttpRequest r(hub_.url() + path);
    r.head = head;
    return http_get(r, default_http_options());
  }
  static constexpr const char* kSha = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";
  LocalHub hub_;
};

TEST_F(HubServerTest, HeadTellsCommitEtagAndLinkedSize) {
  auto r = get("/org/m/resolve/main/weights/model.safetensors", true);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.get("X-Repo-Commit"), kSha);
  const std::string sha256_abc = "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"";
  EXPECT_EQ(r->headers.get("ETag"), sha256_abc);
  EXPECT_EQ(r->headers.get("X-Linked-Etag"), sha256_abc);
  EXPECT_EQ(r->headers.get("X-Linked-Size"), "3");
  EXPECT_EQ(r->headers.get("Content-Length"), "3");
  EXPECT_EQ(r->body, "");
}

TEST_F(HubServerTest, SmallFilesHaveTheirGitBlobSha1AsEtag) {
  auto r = get("/org/m/resolve/" + std::string(kSha) + "/README.md");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "hello");
  // git hash-object of "hello" (no newline)
  EXPECT_EQ(r->headers.get("ETag"), "\"b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0\"");
  EXPECT_FALSE(r->headers.get("X-Linked-Size"));
}

TEST_F(HubServerTest, DotFilesAreNotRepoFiles) {
  auto r = get("/org/m/resolve/main/sub/.secret");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->headers.get("X-Error-Code"), "EntryNotFound");
  auto hub_json = get("/org/m/resolve/main/.hub.json");
  ASSERT_TRUE(hub_json);
  EXPECT_EQ(hub_json->status, 404);
}

TEST_F(HubServerTest, ErrorCodes) {
  struct Case {
    const char* path;
    long status;
    const char* code;
  } cases[] = {
      {"/api/models/org/none", 404, "RepoNotFound"},
      {"/api/models/org/m/revision/v9", 404, "RevisionNotFound"},
      {"/org/m/resolve/v9/README.md", 404, "RevisionNotFound"},
      {"/api/models/org/m/tree/main/nodir", 404, "EntryNotFound"},
      {"/org/none/resolve/main/README.md", 404, "RepoNotFound"},
  };
  for (const auto& c : cases) {
    auto r = get(c.path);
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, c.status) << c.path;
    EXPECT_EQ(r->headers.get("X-Error-Code"), c.code) << c.path;
    EXPECT_TRUE(r->headers.get("X-Error-Message")) << c.path;
  }
}

TEST_F(HubServerTest, NonRecursiveTreeListsOneFolder) {
  auto r = get("/api/models/org/m/tree/main");
  ASSERT_TRUE(r) << r.error().message;
  auto j = nlohmann::json::parse(r->body);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["path"], "README.md");
  EXPECT_EQ(j[0]["type"], "file");
  EXPECT_EQ(j[1]["path"], "weights");
  EXPECT_EQ(j[1]["type"], "directory");
  auto sub = get("/api/models/org/m/tree/main/weights");
  ASSERT_TRUE(sub);
  auto s = nlohmann::json::parse(sub->body);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]["path"], "weights/model.safetensors");
  EXPECT_EQ(s[0]["lfs"]["size"], 3);
}

// POSTs `body` to paths-info on main: the status, and the JSON answer of a 200.
std::pair<int, nlohmann::json> paths_info(const LocalHub& hub, const std::string& body, const std::string& type,
                                          const std::string& revision = "main") {
  httplib::Client client(hub.url());
  auto answer = client.Post("/api/models/org/m/paths-info/" + revision, body, type);
  if (!answer) return {-1, nullptr};
  return {answer->status, answer->status == 200 ? nlohmann::json::parse(answer->body, nullptr, false) : nullptr};
}

// @huggingface/hub posts JSON, huggingface_hub a form; paths that do not
// exist are left out, as on the Hub.
TEST_F(HubServerTest, PathsInfoAnswersJsonAndFormBodies) {
  auto [status, j] = paths_info(
      hub_, R"({"paths": ["weights/model.safetensors", "nope.txt", "weights"], "expand": true})", "application/json");
  ASSERT_EQ(status, 200);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["path"], "weights/model.safetensors");
  EXPECT_EQ(j[0]["size"], 3);
  EXPECT_EQ(j[0]["lfs"]["size"], 3);
  EXPECT_EQ(j[0]["lastCommit"]["id"], kSha);
  EXPECT_EQ(j[1]["type"], "directory");

  auto [form_status, f] = paths_info(hub_, "paths=README.md&paths=sub%2F.secret", "application/x-www-form-urlencoded");
  ASSERT_EQ(form_status, 200);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]["path"], "README.md");
  EXPECT_EQ(f[0]["size"], 5);
  EXPECT_FALSE(f[0].contains("lastCommit"));

  EXPECT_EQ(paths_info(hub_, "{\"paths\": 3}", "application/json").first, 400);
  EXPECT_EQ(paths_info(hub_, "{\"paths\": []}", "application/json", "v9").first, 404);
  auto get_instead = get("/api/models/org/m/paths-info/main");
  ASSERT_TRUE(get_instead);
  EXPECT_EQ(get_instead->status, 405);
}

TEST_F(HubServerTest, RangeForms) {
  struct Case {
    const char* range;
    long status;
    const char* body;
  } cases[] = {
      {"bytes=1-3", 206, "ell"}, {"bytes=3-", 206, "lo"}, {"bytes=-2", 206, "lo"},
      {"bytes=2-100", 206, "llo"}, {"bytes=5-9", 416, nullptr},
  };
  for (const auto& c : cases) {
    HttpRequest r(hub_.url() + "/org/m/resolve/main/README.md", {std::string("Range: ") + c.range});
    auto got = http_get(r, default_http_options());
    ASSERT_TRUE(got) << c.range;
    EXPECT_EQ(got->status, c.status) << c.range;
    if (c.body) {
      EXPECT_EQ(got->body, c.body) << c.range;
    }
    EXPECT_EQ(got->total_size, 5u) << c.range;
  }
}

TEST_F(HubServerTest, LatencyAndCounters) {
  hub_.server().set_latency_ms(1);
  auto r = get("/org/m/resolve/main/README.md");
  ASSERT_TRUE(r);
  EXPECT_EQ(hub_.server().stats().requests, 1u);
  EXPECT_EQ(hub_.server().stats().bytes_sent, 5u);
}

TEST(HubServer, PortInUseIsAnError) {
  LocalHub hub;
  HubServerOptions options;
  options.root = hub.root().string();
  options.port = hub.server().port();
  HubServer second(options);
  auto started = second.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().message.rfind("cannot listen on 127.0.0.1:", 0), 0u);
}

}  // namespace
}  // namespace hubcap
