#pragma once
// Internal to HubServer: turns one request into the Hub's answer.
#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "server/hub_server.h"
#include "server/repo_store.h"

namespace hubcap {

struct RouteContext {
  const RepoStore& store;
  const HubServerOptions& options;
  const std::string& target;       // raw request target: encoded path and query
  const httplib::Params& params;   // decoded query parameters
  std::string host;                // Host header, for absolute Link URLs
  std::string authorization;
  std::string range;               // Range header; "" when absent or ignored
  bool head = false;
  std::atomic<uint64_t>& bytes_sent;  // file body bytes written
  bool post = false;
  std::string content_type;  // of a POST body
  const std::string& body;   // a POST body ("" otherwise)
};

// Answers model info, tree, paths-info and resolve requests; anything else
// is a 404.
void answer_route(const RouteContext& ctx, httplib::Response& res);

// Answers with the injected fault instead of the real response
// (kServiceUnavailable, kTooManyRequests, kDropConnection, kStall). A
// stalled answer ends once `stopping` is set.
void answer_fault(const Fault& fault, httplib::Response& res, const std::atomic<bool>& stopping);

// True for the faults that damage a real answer instead of replacing it.
bool is_body_fault(FaultKind kind);

// Applies a body fault (kCutBody, kCorruptByte) to the answer in `res`;
// answers without a streamed body are left alone.
void damage_body(const Fault& fault, httplib::Response& res);

}  // namespace hubcap
