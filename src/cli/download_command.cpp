// `hubcap download REPO`: shows the plan (files, total size), then fetches
// it into the Hugging Face cache (or --local-dir), resumably. Ctrl-C stops
// cleanly, keeping partial files for the next run (exit 130).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/output.h"
#include "store/download_progress.h"
#include "store/downloader.h"

namespace hubcap::cli {
namespace {

std::atomic<bool> g_cancel{false};

extern "C" void on_interrupt(int) { g_cancel.store(true); }

struct DownloadArgs {
  std::string repo, revision, local_dir, cache_dir;
  BundleOptions bundle;
  size_t max_workers = 8;
  size_t connections = 8;
  bool dry_run = false, json = false;
};

void print_plan(const DownloadPlan& plan, bool json) {
  const BundlePlan& b = plan.bundle;
  if (json) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : b.files) files.push_back({{"path", f.path}, {"size", f.size}, {"lfs", !f.sha256.empty()}});
    nlohmann::json j = {{"event", "plan"}, {"repo", plan.repo},       {"revision", plan.revision},
                        {"commit", plan.commit}, {"kind", b.kind},  {"quant", b.quant},
                        {"files", files},   {"total_bytes", b.total_bytes}, {"notes", b.notes}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s@%s (%s)  %s%s%s: %zu files, %s\n", plan.repo.c_str(), plan.revision.c_str(),
                plan.commit.substr(0, 12).c_str(), b.kind.c_str(), b.quant.empty() ? "" : " ", b.quant.c_str(),
                b.files.size(), human_bytes(b.total_bytes).c_str());
    for (const auto& f : b.files) std::printf("  %-60s %12s\n", f.path.c_str(), human_bytes(f.size).c_str());
    for (const auto& note : b.notes) std::printf("  note: %s\n", note.c_str());
  }
  std::fflush(stdout);
}

void print_summary(const DownloadReport& r, bool json) {
  double mbps = r.seconds > 0 ? static_cast<double>(r.bytes_downloaded) / 1e6 / r.seconds : 0;
  if (json) {
    nlohmann::json failed = nlohmann::json::array();
    for (const auto& f : r.files)
      if (f.status == FileOutcome::kFailed) failed.push_back({{"path", f.path}, {"error", f.error}});
    nlohmann::json j = {{"event", "summary"},
                        {"repo", r.plan.repo},
                        {"revision", r.plan.revision},
                        {"commit", r.plan.commit},
                        {"path", r.path},
                        {"files", r.files.size()},
                        {"bytes_downloaded", r.bytes_downloaded},
                        {"seconds", r.seconds},
                        {"mb_per_s", mbps},
                        {"failed", failed},
                        {"status", r.cancelled ? "cancelled" : r.complete() ? "complete" : "partial"}};
    std::printf("%s\n", j.dump().c_str());
  } else if (r.complete()) {
    std::printf("downloaded %s in %.1f s (%.1f MB/s) -> %s\n", human_bytes(r.bytes_downloaded).c_str(), r.seconds, mbps,
                r.path.c_str());
  }
  std::fflush(stdout);
}

int run_download(const DownloadArgs& args) {
  HubClient client;
  auto plan = plan_download(client, args.repo, args.revision, args.bundle);
  if (!plan) return report_error(plan.error());
  bool json = args.json || !::isatty(STDOUT_FILENO);
  print_plan(*plan, json);
  if (args.dry_run) return 0;

  DownloadProgressPrinter printer(stdout, json);
  DownloadOptions options;
  options.cache_dir = args.cache_dir;
  options.local_dir = args.local_dir;
  options.max_parallel_files = args.max_workers;
  options.max_connections = args.connections;
  options.cancel = &g_cancel;
  options.progress = [&printer](const DownloadEvent& e) { printer.on_event(e); };
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  auto report = download_plan(client, *plan, options);
  printer.finish();
  if (!report) return report_error(report.error());
  print_summary(*report, json);
  if (report->cancelled) {
    std::fprintf(stderr, "hubcap: interrupted; run the same command again to resume\n");
    return 130;
  }
  if (size_t failed = report->failed()) {
    for (const auto& f : report->files)
      if (f.status == FileOutcome::kFailed)
        return report_error(Error{f.error + (failed > 1 ? " (and " + std::to_string(failed - 1) + " more files failed)" : "")});
  }
  return 0;
}

}  // namespace

void add_download_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("download", "Download a model bundle into the Hugging Face cache (resumable, verified)");
  auto args = std::make_shared<DownloadArgs>();
  cmd->add_option("repo", args->repo, "Repo id, e.g. Qwen/Qwen3-8B")->required();
  cmd->add_option("--revision", args->revision, "Branch, tag or commit (default: main)");
  cmd->add_option("--quant", args->bundle.quant, "GGUF quantization, e.g. Q4_K_M");
  cmd->add_option("--include", args->bundle.include, "Only files matching this glob (repeatable)");
  cmd->add_option("--exclude", args->bundle.exclude, "Skip files matching this glob (repeatable)");
  cmd->add_option("--local-dir", args->local_dir, "Put plain files in this folder instead of the cache");
  cmd->add_option("--cache-dir", args->cache_dir, "Cache folder (default: $HF_HUB_CACHE or ~/.cache/huggingface/hub)");
  cmd->add_option("--max-workers", args->max_workers, "Files downloaded at once")->check(CLI::Range(1, 64));
  cmd->add_option("--connections", args->connections,
                  "Connections at once over all files; large files use the spare ones for parallel byte ranges")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--dry-run", args->dry_run, "Show the plan and stop");
  cmd->add_flag("--json", args->json, "Line-delimited JSON events on stdout");
  cmd->final_callback([args, &exit_code] { exit_code = run_download(*args); });
}

}  // namespace hubcap::cli
