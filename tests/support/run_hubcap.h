#pragma once
// Runs the built `hubcap` binary as a user would, for end-to-end tests:
// arguments passed as is (no shell), stdout and stderr captured apart.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hubcap::testing {

struct HubcapRun {
  int exit_code = -1;  // -1 when it did not exit normally (a crash)
  std::string out;     // stdout
  std::string err;     // stderr

  // stderr split into lines (without the trailing newline of each).
  std::vector<std::string> err_lines() const;
};

// How the child process is confined, for tests of failures a test cannot
// otherwise cause without privileges.
struct ChildLimits {
  // Run as uid/gid 65534 (nobody): a root test process drops to it before
  // exec, so permission checks apply even though tests run as root. The
  // child then exits 125 when it cannot drop (the test should fail).
  bool as_nobody = false;
  // RLIMIT_FSIZE: a write that would grow a file past this many bytes fails
  // with EFBIG (SIGXFSZ is ignored), as writes on a full disk fail.
  std::optional<uint64_t> max_file_bytes;
};

// Runs HUBCAP_BINARY with `args` in the current environment, with `env`
// applied on top: a value sets the variable, nullopt unsets it. Blocks
// until the process exits.
HubcapRun run_hubcap(const std::vector<std::string>& args,
                     const std::map<std::string, std::optional<std::string>>& env = {},
                     const ChildLimits& limits = {});

}  // namespace hubcap::testing
