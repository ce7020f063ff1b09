#include "server/hub_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "hub/url.h"
#include "server/hub_routes.h"
#include "server/repo_store.h"

namespace hubcap {

class HubServer::Impl {
 public:
  explicit Impl(HubServerOptions options) : options_(std::move(options)), store_(options_.root) {
    ignore_range_ = options_.ignore_range;
    latency_ms_ = options_.latency_ms;
  }
  ~Impl() { stop(); }

  Status start() {
    size_t threads = static_cast<size_t>(std::max(1, options_.threads));
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server_.set_keep_alive_max_count(1000000);
    server_.set_keep_alive_timeout(options_.keep_alive_s);
    server_.set_tcp_nodelay(true);  // headers and body go out in separate writes
    // httplib's default adds SO_REUSEPORT, which would let a second mirror
    // share a busy port silently; SO_REUSEADDR alone makes that an error.
    server_.set_socket_options([this](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
      listen_socket_ = sock;
    });
    server_.Get(".*", [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    int port = options_.port == 0 ? server_.bind_to_any_port(options_.host)
                                  : (server_.bind_to_port(options_.host, options_.port) ? options_.port : -1);
    if (port <= 0)
      return Error{"cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                   " (address in use or not available)"};
    port_ = port;
    // Debian's compiled httplib listens with a backlog of 5: a client opening
    // 30 connections at once (parallel header reads) then loses SYNs and
    // stalls a second per retransmit. Linux lets listen() raise it in place.
    if (listen_socket_ >= 0) ::listen(listen_socket_, SOMAXCONN);
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      finished_ = true;
    });
    while (!server_.is_running() && !finished_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (finished_) return Error{"the Hub mirror on " + url() + " stopped at once"};
    return ok_status();
  }

  void stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;  // ends stalled answers, whose threads stop() waits for
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string url() const { return "http://" + options_.host + ":" + std::to_string(port_); }

  void add_fault(Fault fault) {
    std::lock_guard<std::mutex> guard(faults_mu_);
    faults_.push_back(std::move(fault));
  }
  void set_ignore_range(bool ignore) { ignore_range_ = ignore; }
  void set_latency_ms(int ms) { latency_ms_ = ms; }
  HubServerStats stats() {
    std::lock_guard<std::mutex> guard(faults_mu_);
    return {requests_.load(), bytes_sent_.load(), range_requests_.load(), connections_.size()};
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    ++requests_;
    count_connection(req);
    // httplib would cut bodies to the parsed Range by itself; the routes
    // answer Range (or ignore it) on their own, so drop its parse.
    std::string range = req.get_header_value("Range");
    if (!range.empty()) ++range_requests_;
    const_cast<httplib::Request&>(req).ranges.clear();
    if (int ms = latency_ms_.load(); ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    auto fault = take_fault(req.path);
    if (fault && !is_body_fault(fault->kind)) {
      answer_fault(*fault, res, stopping_);
    } else {
      RouteContext ctx{store_,
                       options_,
                       req.target,
                       req.params,
                       req.get_header_value("Host"),
                       req.get_header_value("Authorization"),
                       ignore_range_ ? "" : range,
                       req.method == "HEAD",
                       bytes_sent_,
                       req.method == "POST",
                       req.get_header_value("Content-Type"),
                       req.body};
      answer_route(ctx, res);
      if (fault) damage_body(*fault, res);
    }
    bytes_sent_ += res.body.size();
  }

  // A keep-alive connection keeps its client port: distinct ports are
  // distinct connections (ports are not reused while a test runs).
  void count_connection(const httplib::Request& req) {
    std::lock_guard<std::mutex> guard(faults_mu_);
    connections_.insert(req.remote_addr + ":" + std::to_string(req.remote_port));
  }

  std::optional<Fault> take_fault(const std::string& path) {
    std::lock_guard<std::mutex> guard(faults_mu_);
    for (auto& f : faults_)
      if (f.count > 0 && path.find(f.path_contains) != std::string::npos) {
        --f.count;
        return f;
      }
    return std::nullopt;
  }

  HubServerOptions options_;
  RepoStore store_;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> stopping_{false};
  int port_ = 0;
  socket_t listen_socket_ = -1;
  std::atomic<bool> ignore_range_{false};
  std::atomic<int> latency_ms_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> range_requests_{0};
  std::mutex faults_mu_;  // guards faults_ and connections_
  std::vector<Fault> faults_;
  std::set<std::string> connections_;
};

HubServer::HubServer(HubServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HubServer::~HubServer() = default;
Status HubServer::start() { return impl_->start(); }
void HubServer::stop() { impl_->stop(); }
int HubServer::port() const { return impl_->port(); }
std::string HubServer::url() const { return impl_->url(); }
void HubServer::add_fault(Fault fault) { impl_->add_fault(std::move(fault)); }
void HubServer::set_ignore_range(bool ignore) { impl_->set_ignore_range(ignore); }
void HubServer::set_latency_ms(int ms) { impl_->set_latency_ms(ms); }
HubServerStats HubServer::stats() const { return impl_->stats(); }

}  // namespace hubcap
