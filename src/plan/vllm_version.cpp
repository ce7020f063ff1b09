#include "plan/vllm_version.h"

#include <charconv>

namespace hubcap {
namespace {

struct Release {
  int major = 0, minor = 0;
  bool at_least(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
};

// Reads "X.Y" with optional "v" prefix and any further ".Z" / suffix.
bool parse_release(const std::string& text, Release& out) {
  const char* p = text.data();
  const char* end = p + text.size();
  if (p < end && (*p == 'v' || *p == 'V')) ++p;
  auto major = std::from_chars(p, end, out.major);
  if (major.ec != std::errc() || major.ptr == end || *major.ptr != '.') return false;
  auto minor = std::from_chars(major.ptr + 1, end, out.minor);
  if (minor.ec != std::errc() || out.major < 0 || out.minor < 0 || out.major > 99 || out.minor > 999) return false;
  return minor.ptr == end || *minor.ptr == '.' || *minor.ptr == '+' || *minor.ptr == '-' || *minor.ptr == 'r' ||
         *minor.ptr == 'p';
}

}  // namespace

Result<VllmBehaviour> vllm_behaviour(const std::string& version, const std::string& sampler) {
  VllmBehaviour b;
  if (!version.empty()) {
    Release r;
    if (!parse_release(version, r))
      return usage_error("cannot read --vllm-version '" + version + "' (expected X.Y such as 0.10 or 0.21.1)");
    b.v1_engine = r.at_least(0, 8);
    b.cuda_graphs_in_budget = r.at_least(0, 21);
    b.flashinfer_sampler = b.v1_engine && (!r.at_least(0, 11) || r.at_least(0, 29));
  }
  if (sampler == "flashinfer") b.flashinfer_sampler = true;
  else if (sampler == "pytorch") b.flashinfer_sampler = false;
  else if (sampler != "auto") return usage_error("unknown sampler '" + sampler + "' (valid: auto, flashinfer, pytorch)");
  return b;
}

}  // namespace hubcap
