#pragma once
// A Hugging Face Hub look-alike serving repos from a local folder (see
// server/repo_store.h for the layout). It speaks what hubcap's client and
// huggingface_hub's downloads use:
//   GET /api/models/{repo}[/revision/{rev}]          model info
//   GET /api/models/{repo}/tree/{rev}[/{dir}]?recursive=&cursor=   paginated, Link: rel="next"
//   GET|HEAD /{repo}/resolve/{rev}/{path}            file bytes, Range -> 206
// Errors carry X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound,
// GatedRepo) and X-Error-Message, like the Hub. Revisions "main", the repo's
// sha and its "refs" resolve; file bodies are streamed from disk.
//
// For tests it can add latency, ignore Range, and inject faults; it counts
// requests and body bytes. All methods are thread-safe.
#include <cstdint>
#include <memory>
#include <string>

#include "util/result.h"

namespace hubcap {

struct HubServerOptions {
  std::string root;                 // folder of repos
  std::string host = "127.0.0.1";
  int port = 0;                     // 0: an ephemeral port (see port())
  int latency_ms = 0;               // added before answering each request
  size_t page_size = 1000;          // tree entries per page
  bool ignore_range = false;        // answer 200 with the whole file
  std::string token = "token";      // the Bearer token that opens gated and private repos
  int threads = 128;                // concurrent connections served (each keep-alive connection holds one)
  int keep_alive_s = 5;             // idle keep-alive connections close after this
};

enum class FaultKind {
  kServiceUnavailable,  // 503
  kTooManyRequests,     // 429 with Retry-After
  kDropConnection,      // headers, a few body bytes, then the connection closes
  kStall,               // headers, then no body bytes at all until the server stops
  // The real answer (Range honored), damaged:
  kCutBody,             // the connection closes after half of the body
  kCorruptByte,         // the middle byte of the body is flipped
};

// The next `count` requests whose path contains `path_contains` fail this way.
struct Fault {
  std::string path_contains;
  FaultKind kind = FaultKind::kServiceUnavailable;
  int count = 1;
  int retry_after_s = 0;  // for kTooManyRequests
};

struct HubServerStats {
  uint64_t requests = 0;
  uint64_t bytes_sent = 0;      // body bytes
  uint64_t range_requests = 0;  // requests with a Range header
  uint64_t connections = 0;     // distinct client connections (address and port) seen
};

class HubServer {
 public:
  explicit HubServer(HubServerOptions options);
  ~HubServer();  // stops the server
  HubServer(const HubServer&) = delete;
  HubServer& operator=(const HubServer&) = delete;

  // Binds and serves on a background thread; returns once it accepts
  // connections. Fails when the address cannot be bound.
  Status start();
  // Stops serving and joins the thread. Idempotent.
  void stop();

  int port() const;
  std::string url() const;  // "http://127.0.0.1:PORT"

  void add_fault(Fault fault);
  void set_ignore_range(bool ignore);
  void set_latency_ms(int ms);
  HubServerStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hubcap
