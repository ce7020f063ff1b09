#include "hub/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <random>
#include <strings.h>
#include <thread>

#include "hub/curl_pool.h"
#include "util/checked_math.h"

namespace hubcap {
namespace {

constexpr uint64_t kErrorBodyBytes = 64 << 10;

std::atomic<uint64_t> g_requests{0};
std::atomic<uint64_t> g_bytes{0};
std::atomic<uint64_t> g_connections{0};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (!v) return fallback;
  auto n = parse_u64(v);
  return n && *n <= 86400000 ? static_cast<long>(*n) : fallback;
}

struct ContentRange {
  uint64_t first = 0;
  bool has_first = false;  // false for "bytes */total"
  std::optional<uint64_t> total;
};

// Parses "bytes a-b/total", "bytes a-b/*" and "bytes */total".
std::optional<ContentRange> parse_content_range(std::string_view v) {
  v = trim(v);
  if (!v.starts_with("bytes ")) return std::nullopt;
  v.remove_prefix(6);
  size_t slash = v.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  ContentRange cr;
  std::string_view span = v.substr(0, slash), total = v.substr(slash + 1);
  if (total != "*") {
    cr.total = parse_u64(total);
    if (!cr.total) return std::nullopt;
  }
  if (span != "*") {
    auto dash = span.find('-');
    auto first = parse_u64(span.substr(0, dash));
    if (dash == std::string_view::npos || !first) return std::nullopt;
    cr.first = *first;
    cr.has_first = true;
  }
  return cr;
}

// One attempt's state, shared with libcurl's callbacks.
struct Transfer {
  const HttpRequest& request;
  const BodySink* sink;  // null: keep the body in response.body
  CURL* handle;
  HttpResponse response;
  bool body_started = false;
  bool success_body = false;  // the final status is 2xx
  uint64_t skip = 0;          // leading bytes to drop (a 200 answering a Range)
  uint64_t want = UINT64_MAX;  // bytes still to keep
  bool slicing_full_body = false;
  bool stopped_early = false;  // we ended the transfer on purpose: not an error
  bool too_large = false;
  bool cancelled = false;
  bool delivered = false;  // some bytes reached the sink

  void start_body() {
    body_started = true;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
    success_body = response.status / 100 == 2;
    if (!success_body) {
      want = kErrorBodyBytes;
      return;
    }
    if (request.range) {
      want = request.range->length;
      if (response.status == 200) {
        skip = request.range->offset;
        slicing_full_body = true;
      }
    }
  }

  // Returns false to stop the transfer.
  bool take(const char* data, size_t n) {
    if (!body_started) start_body();
    g_bytes += n;
    size_t pos = static_cast<size_t>(std::min<uint64_t>(skip, n));
    skip -= pos;
    size_t len = static_cast<size_t>(std::min<uint64_t>(want, n - pos));
    want -= len;
    if (len > 0) {
      if (sink && success_body) {
        delivered = true;
        if (!(*sink)(std::string_view(data + pos, len))) {
          cancelled = true;
          return false;
        }
      } else {
        response.body.append(data + pos, len);
      }
    }
    if (success_body && !sink && response.body.size() > request.max_body_bytes) {
      too_large = true;
      return false;
    }
    if (want == 0 && (pos + len < n || slicing_full_body || !success_body)) {
      stopped_early = true;
      return false;
    }
    return true;
  }
};

size_t on_body(char* data, size_t size, size_t nmemb, void* user) {
  size_t n = size * nmemb;
  return static_cast<Transfer*>(user)->take(data, n) ? n : 0;
}

// libcurl calls this about once a second, and as bytes move: non-zero aborts.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& t = *static_cast<Transfer*>(user);
  if (t.request.cancel && t.request.cancel->load()) t.cancelled = true;
  return t.cancelled ? 1 : 0;
}

size_t on_header(char* data, size_t size, size_t nmemb, void* user) {
  size_t n = size * nmemb;
  auto& t = *static_cast<Transfer*>(user);
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t.response.headers.clear();  // a new response (after a redirect or 100)
    return n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos)
    t.response.headers.add(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  return n;
}

void set_options(Transfer& t, const HttpOptions& o, curl_slist* headers, char* errbuf) {
  CURL* h = t.handle;
  curl_easy_setopt(h, CURLOPT_URL, t.request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 0L);  // no Authorization to another host
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o.low_speed_time_s);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L << 10);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "hubcap/0.1.0");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  if (t.request.head) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  if (t.request.cancel) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  }
  if (t.request.range) {
    const ByteRange& r = *t.request.range;
    uint64_t last = checked_add(r.offset, r.length - 1).value_or(UINT64_MAX);
    std::string spec = std::to_string(r.offset) + "-" + std::to_string(last);
    curl_easy_setopt(h, CURLOPT_RANGE, spec.c_str());  // libcurl copies the string
  }
}

bool is_retryable_curl_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

// Fills total_size and checks that a 206 holds the bytes that were asked for.
Status finish_response(const HttpRequest& request, HttpResponse& r) {
  auto content_range = r.headers.get("Content-Range");
  auto cr = content_range ? parse_content_range(*content_range) : std::nullopt;
  if (cr) r.total_size = cr->total;
  if (r.status == 206) {
    if (!cr || !cr->has_first) return Error{request.url + ": 206 answer without a valid Content-Range"};
    if (request.range && cr->first != request.range->offset)
      return Error{request.url + ": server sent bytes from " + std::to_string(cr->first) + ", not " +
                   std::to_string(request.range->offset)};
  } else if (r.status == 200) {
    auto length = r.headers.get("Content-Length");
    if (length) r.total_size = parse_u64(trim(*length));
  }
  return ok_status();
}

enum class Outcome { kDone, kRetry, kFail };

struct Attempt {
  Outcome outcome;
  Result<HttpResponse> result;
};

Attempt attempt_once(const HttpRequest& request, const BodySink* sink, const HttpOptions& options) {
  curl_pool::Lease lease;
  Transfer t{request, sink, lease.get(), {}};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  for (const auto& line : request.headers) headers = curl_slist_append(headers, line.c_str());
  set_options(t, options, headers, errbuf);
  CURLcode code = curl_easy_perform(t.handle);
  curl_slist_free_all(headers);

  long requests = 0, connects = 0;
  curl_easy_getinfo(t.handle, CURLINFO_REDIRECT_COUNT, &requests);
  curl_easy_getinfo(t.handle, CURLINFO_NUM_CONNECTS, &connects);
  g_requests += static_cast<uint64_t>(requests) + 1;
  g_connections += static_cast<uint64_t>(connects);

  if (t.too_large)
    return {Outcome::kFail, Error{request.url + ": response larger than " +
                                  std::to_string(request.max_body_bytes) + " bytes"}};
  if (t.cancelled) return {Outcome::kFail, Error{request.url + ": transfer cancelled"}};
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && t.stopped_early)) {
    std::string why = errbuf[0] ? std::string(trim(errbuf)) : curl_easy_strerror(code);
    bool retry = is_retryable_curl_error(code) && !t.delivered;
    return {retry ? Outcome::kRetry : Outcome::kFail, Error{"cannot reach " + request.url + ": " + why, 1, true}};
  }
  curl_easy_getinfo(t.handle, CURLINFO_RESPONSE_CODE, &t.response.status);
  Status checked = finish_response(request, t.response);
  if (!checked) return {Outcome::kFail, checked.error()};
  return {is_retryable_status(t.response.status) ? Outcome::kRetry : Outcome::kDone, std::move(t.response)};
}

uint64_t random_u64() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

Result<HttpResponse> perform(const HttpRequest& request, const BodySink* sink, const HttpOptions& options) {
  int max_attempts = std::max(1, options.max_attempts);
  for (int attempt = 1;; ++attempt) {
    Attempt a = attempt_once(request, sink, options);
    if (a.outcome != Outcome::kRetry || attempt >= max_attempts) {
      if (!a.result) {
        Error error = a.result.error();
        if (attempt > 1) error.message += " (after " + std::to_string(attempt) + " attempts)";
        return error;
      }
      a.result->attempts = attempt;
      return a.result;
    }
    std::optional<std::string> retry_after;
    if (a.result) retry_after = a.result->headers.get("Retry-After");
    auto wake = std::chrono::steady_clock::now() +
                std::chrono::milliseconds(retry_delay_ms(options, attempt, retry_after, random_u64()));
    while (std::chrono::steady_clock::now() < wake) {
      if (request.cancel && request.cancel->load()) return Error{request.url + ": transfer cancelled"};
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(20), wake - std::chrono::steady_clock::now()));
    }
  }
}

}  // namespace

void HttpHeaders::add(std::string name, std::string value) {
  items_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> HttpHeaders::get(std::string_view name) const {
  for (auto it = items_.rbegin(); it != items_.rend(); ++it)
    if (it->first.size() == name.size() && strncasecmp(it->first.data(), name.data(), name.size()) == 0)
      return it->second;
  return std::nullopt;
}

HttpOptions default_http_options() {
  HttpOptions o;
  o.max_attempts = static_cast<int>(env_long("HUBCAP_HTTP_MAX_ATTEMPTS", o.max_attempts));
  o.backoff_base_ms = env_long("HUBCAP_HTTP_BACKOFF_MS", o.backoff_base_ms);
  o.backoff_max_ms = env_long("HUBCAP_HTTP_MAX_BACKOFF_MS", o.backoff_max_ms);
  o.connect_timeout_ms = env_long("HUBCAP_HTTP_CONNECT_TIMEOUT_MS", o.connect_timeout_ms);
  o.low_speed_time_s = env_long("HUBCAP_HTTP_LOW_SPEED_TIME_S", o.low_speed_time_s);
  return o;
}

bool is_retryable_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

long retry_delay_ms(const HttpOptions& options, int attempt, const std::optional<std::string>& retry_after,
                    uint64_t random) {
  long cap = std::max(0L, options.backoff_max_ms);
  if (retry_after) {
    if (auto seconds = parse_u64(trim(*retry_after))) {
      uint64_t ms = std::min<uint64_t>(*seconds, 86400) * 1000;
      return static_cast<long>(std::min<uint64_t>(ms, static_cast<uint64_t>(cap)));
    }
  }
  long exp = std::max(0L, options.backoff_base_ms);
  for (int i = 1; i < attempt && exp < cap; ++i) exp *= 2;
  exp = std::min(exp, cap);
  // Full delay in [exp/2, exp]: spreads out clients that failed together.
  long half = exp / 2;
  return half + static_cast<long>(random % static_cast<uint64_t>(exp - half + 1));
}

Result<HttpResponse> http_get(const HttpRequest& request, const HttpOptions& options) {
  return perform(request, nullptr, options);
}

Result<HttpResponse> http_get_stream(const HttpRequest& request, const BodySink& sink,
                                     const HttpOptions& options) {
  return perform(request, &sink, options);
}

HttpStats http_stats() { return {g_requests.load(), g_bytes.load(), g_connections.load()}; }

void http_close_idle_connections() { curl_pool::close_idle(); }

}  // namespace hubcap
