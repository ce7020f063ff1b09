// The planner against published vLLM start-up logs
// (tests/plan/data/vllm_startup.json): per-run errors and the mean absolute
// error of each logged number, printed and held to each run's tolerance.
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "plan/kv_cache.h"
#include "plan_test_util.h"

namespace hubcap {
namespace {

using test::catalog_config;
using test::kGiB;

nlohmann::json load_runs() {
  std::ifstream in(std::string(HUBCAP_SOURCE_DIR) + "/tests/plan/data/vllm_startup.json");
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str())["runs"];
}

std::optional<double> number(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<double>();
}

PlanSettings settings_of(const nlohmann::json& run) {
  const auto& s = run["settings"];
  PlanSettings st;
  st.model_id = run["model"];
  st.gpu = run["gpu"].get<std::string>();
  st.gpu_memory_gib = number(run, "gpu_memory_gib").value_or(0);
  st.tp = s.value("tp", 1);
  st.pp = s.value("pp", 1);
  st.max_model_len = s.value("max_model_len", 0);
  st.max_num_seqs = s.value("max_num_seqs", 0);
  st.max_num_batched_tokens = s.value("max_num_batched_tokens", 0);
  st.gpu_memory_utilization = s.value("gpu_memory_utilization", 0.9);
  st.kv_cache_dtype = s.value("kv_cache_dtype", "auto");
  st.enforce_eager = s.value("enforce_eager", false);
  st.vllm_version = run["settings"].value("vllm_version", "");
  st.sampler = s.value("sampler", "auto");
  return st;
}

struct Predicted {
  std::map<std::string, double> values;  // same keys as "logged"
};

// A run without a GPU checks only the KV allocation of the logged KV memory.
Predicted predict(const nlohmann::json& run) {
  Predicted p;
  const nlohmann::json config = catalog_config(run["model"]);
  if (run["gpu"].is_null()) {
    ModelShape s = *read_model_shape(config);
    KvLayout l = kv_layout(s, 2, run["settings"].value("tp", 1), 0, s.layers, 16);
    KvAllocation a = allocate_kv(l, uint64_t(*number(run["logged"], "kv_cache_gib") * kGiB),
                                 run["settings"]["max_model_len"], 2048);
    p.values = {{"kv_cache_tokens", double(a.tokens)}, {"max_concurrency", a.max_concurrency}};
    return p;
  }
  auto r = plan_model(config, nullptr, settings_of(run));
  EXPECT_TRUE(r.ok()) << run["id"] << ": " << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return p;
  p.values = {{"weights_gib", double(r->per_gpu.weights) / kGiB},
              {"kv_cache_gib", double(r->per_gpu.kv_cache) / kGiB},
              {"kv_cache_tokens", double(r->kv.tokens)},
              {"max_concurrency", r->kv.max_concurrency},
              {"activation_gib", double(r->per_gpu.activation) / kGiB},
              {"non_torch_gib", double(r->per_gpu.non_torch) / kGiB}};
  return p;
}

const char* tolerance_key(const std::string& field) { return field == "weights_gib" ? "weights" : field.c_str(); }

TEST(VllmStartup, PlannerAgainstPublishedLogs) {
  const nlohmann::json runs = load_runs();
  ASSERT_GE(runs.size(), 8u);
  const std::vector<std::string> fields = {"weights_gib", "kv_cache_gib", "kv_cache_tokens", "max_concurrency"};
  std::map<std::string, std::pair<double, int>> abs_error;  // field -> (sum of |error| %, runs)
  // Printed as the Markdown table of tests/plan/data/README.md.
  std::string table = "| run | GPU, vLLM | weights GiB | KV GiB | KV tokens | concurrency |\n|---|---|---|---|---|---|\n";
  for (const auto& run : runs) {
    Predicted p = predict(run);
    const std::string gpu = run["gpu"].is_null() ? "(KV memory given)" : run["gpu"].get<std::string>();
    const int tp = run["settings"].value("tp", 1);
    std::string line = fmt::format("| {} | {}{}, {} |", run["id"].get<std::string>(), tp > 1 ? fmt::format("{} x ", tp) : "",
                                   gpu, run["vllm_version"].get<std::string>());
    for (const auto& f : fields) {
      auto logged = number(run["logged"], f.c_str());
      if (!logged || !p.values.count(f)) {
        line += " - |";
        continue;
      }
      const double predicted = p.values[f];
      const double error = (predicted - *logged) / *logged * 100.0;
      abs_error[f].first += std::fabs(error);
      abs_error[f].second += 1;
      const bool tokens = f == "kv_cache_tokens";
      line += tokens ? fmt::format(" {:.0f} vs {:.0f} ({:+.1f}) |", predicted, *logged, error)
                     : fmt::format(" {:.2f} vs {:.2f} ({:+.1f}) |", predicted, *logged, error);
      const std::string tol_key = tolerance_key(f);
      auto tol = number(run["tolerance_pct"], tol_key.c_str());
      ASSERT_TRUE(tol.has_value()) << run["id"] << " has no tolerance for " << f;
      EXPECT_LE(std::fabs(error), *tol) << run["id"] << " " << f << ": predicted " << predicted << ", logged "
                                        << *logged;
    }
    table += line + "\n";
  }
  table += "| **mean absolute error** | |";
  for (const auto& f : fields)
    table += fmt::format(" **{:.2f} %** ({}) |", abs_error[f].first / std::max(1, abs_error[f].second),
                         abs_error[f].second);
  std::cout << table << "\n";
}

}  // namespace
}  // namespace hubcap
