#include "support/run_hubcap.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "support/temp_dir.h"

extern char** environ;

namespace hubcap::testing {
namespace {

// environ with `env` applied; built before fork so the child only calls execve.
std::vector<std::string> child_environment(const std::map<std::string, std::optional<std::string>>& env) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    if (!env.count(name)) out.push_back(entry);
  }
  for (const auto& [name, value] : env)
    if (value) out.push_back(name + "=" + *value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// In the forked child, before exec: only async-signal-safe calls.
bool confine(const ChildLimits& limits) {
  if (limits.max_file_bytes) {
    ::signal(SIGXFSZ, SIG_IGN);  // stays ignored across exec: write() fails with EFBIG instead
    rlimit limit{static_cast<rlim_t>(*limits.max_file_bytes), static_cast<rlim_t>(*limits.max_file_bytes)};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return false;
  }
  if (limits.as_nobody) {
    const gid_t nobody_gid = 65534;
    const uid_t nobody_uid = 65534;
    if (::setgroups(0, nullptr) != 0 && ::geteuid() == 0) return false;
    if (::getegid() != nobody_gid && ::setgid(nobody_gid) != 0) return false;
    if (::geteuid() != nobody_uid && ::setuid(nobody_uid) != 0) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> HubcapRun::err_lines() const {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

HubcapRun run_hubcap(const std::vector<std::string>& args,
                     const std::map<std::string, std::optional<std::string>>& env, const ChildLimits& limits) {
  TempDir dir("hubcap-run");
  std::string out_path = (dir.path() / "stdout").string(), err_path = (dir.path() / "stderr").string();
  std::vector<std::string> argv_strings = {HUBCAP_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = child_environment(env);
  std::vector<char*> argv = c_strings(argv_strings), envp = c_strings(env_strings);

  HubcapRun run;
  pid_t pid = ::fork();
  if (pid < 0) return run;
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) ::_exit(126);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    if (!confine(limits)) ::_exit(125);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = slurp(out_path);
  run.err = slurp(err_path);
  return run;
}

}  // namespace hubcap::testing
