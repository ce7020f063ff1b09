#pragma once
// HTTP GET over libcurl, built for talking to the Hub: retries with backoff,
// Range requests that stay correct when a server ignores Range, connection
// reuse across calls and threads, and error lines that never carry a token.
//
// Thread-safety: every function here may be called from many threads at once.
// Easy handles (each with its live connections) come from a process-wide
// pool, and DNS and TLS sessions are shared between them. The connection
// cache itself is per handle because libcurl does not support sharing it
// between concurrent threads.
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace hubcap {

// Response headers in arrival order, looked up case-insensitively.
class HttpHeaders {
 public:
  void add(std::string name, std::string value);
  void clear() { items_.clear(); }
  // The last value of `name`, or nullopt when absent.
  std::optional<std::string> get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;  // must be > 0
};

struct HttpRequest {
  explicit HttpRequest(std::string url_ = "", std::vector<std::string> headers_ = {})
      : url(std::move(url_)), headers(std::move(headers_)) {}

  std::string url;
  std::vector<std::string> headers;  // "Name: value" lines, e.g. Authorization
  std::optional<ByteRange> range;
  bool head = false;                       // HEAD instead of GET: no body
  // Set (e.g. by Ctrl-C): the transfer stops within about a second even
  // while no bytes arrive (a stalled server), failing with "cancelled".
  const std::atomic<bool>* cancel = nullptr;
  uint64_t max_body_bytes = 256ull << 20;  // a larger 2xx body (or slice) kept in memory fails
};

struct HttpResponse {
  long status = 0;  // of the final response, after redirects
  HttpHeaders headers;
  // 2xx: the body, or for a ranged request exactly the requested slice even
  // when the server answered 200 with the whole file. Other statuses: the
  // first 64 KiB of the error body.
  std::string body;
  // Size of the whole resource when the server told it: from Content-Range
  // (206, 416) or from Content-Length of a complete 200 answer.
  std::optional<uint64_t> total_size;
  int attempts = 1;  // requests it took, retries included
};

struct HttpOptions {
  long connect_timeout_ms = 10000;
  long low_speed_time_s = 30;   // abort a transfer slower than 1 byte/s for this long
  int max_attempts = 5;         // 1 = no retries
  long backoff_base_ms = 500;   // first retry waits about this long, doubling after
  long backoff_max_ms = 30000;  // caps the backoff and any Retry-After
};

// Defaults, overridden by HUBCAP_HTTP_MAX_ATTEMPTS, HUBCAP_HTTP_BACKOFF_MS,
// HUBCAP_HTTP_MAX_BACKOFF_MS, HUBCAP_HTTP_CONNECT_TIMEOUT_MS and
// HUBCAP_HTTP_LOW_SPEED_TIME_S (tests make backoff tiny with these).
HttpOptions default_http_options();

// Performs the request, following redirects (the Authorization header is not
// sent to another host or port), retrying 429, 5xx, dropped connections and
// timeouts up to options.max_attempts. Any final HTTP status is a response,
// not an Error; Errors are network failures ("cannot reach URL: why"), bodies
// over max_body_bytes, and a 206 for other bytes than asked.
Result<HttpResponse> http_get(const HttpRequest& request, const HttpOptions& options);

// Called with successive pieces of a 2xx body; returning false cancels the
// transfer (the call then fails with "cancelled").
using BodySink = std::function<bool(std::string_view chunk)>;

// Like http_get but hands a 2xx body to `sink` instead of keeping it
// (response.body then stays empty). A transfer that breaks after some bytes
// went to the sink is not retried: the caller resumes with a Range request.
Result<HttpResponse> http_get_stream(const HttpRequest& request, const BodySink& sink,
                                     const HttpOptions& options);

// How long to wait before attempt `attempt` + 1 (attempt >= 1): Retry-After
// (delta-seconds) when given, else exponential backoff with jitter taken from
// `random`; both capped at options.backoff_max_ms.
long retry_delay_ms(const HttpOptions& options, int attempt,
                    const std::optional<std::string>& retry_after, uint64_t random);

// True for statuses worth retrying: 429 and transient 5xx.
bool is_retryable_status(long status);

// Process-wide counters, for benchmarks.
struct HttpStats {
  uint64_t requests = 0;            // HTTP requests sent, retries and redirects included
  uint64_t bytes_received = 0;      // body bytes received
  uint64_t connections_opened = 0;  // new TCP connections (the rest were reused)
};
HttpStats http_stats();

// Closes every idle pooled connection, so the next request connects afresh
// (benchmarks of cold starts; tests stopping a server without waiting for
// its keep-alive timeout). Connections in use are not touched.
void http_close_idle_connections();

}  // namespace hubcap
