#pragma once
// Renders a PlanReport: the --json object, and a readable per-GPU breakdown
// with a bar of the memory budget.
#include <string>

#include <nlohmann/json.hpp>

#include "plan/candle_vllm_plan.h"
#include "plan/llama_cpp_plan.h"
#include "plan/memory_model.h"
#include "plan/roofline.h"

namespace hubcap {

// gpu{name,memory_gib}, tp, pp, dp, per_gpu{...gib}, kv_cache_bytes_per_token,
// kv_cache_tokens, max_concurrency, fits, warnings, and more.
nlohmann::json plan_json(const PlanReport& report, const std::string& model);

// Several lines of text, newline-terminated.
std::string plan_text(const PlanReport& report, const std::string& model);

// The performance estimate as JSON and as text lines.
nlohmann::json perf_json(const PerfEstimate& perf, const PerfRequest& request);
std::string perf_text(const PerfEstimate& perf, const PerfRequest& request);

// llama.cpp plans: JSON and text.
nlohmann::json llama_cpp_json(const LlamaCppPlan& plan, const LlamaCppSettings& settings);
std::string llama_cpp_text(const LlamaCppPlan& plan, const LlamaCppSettings& settings);

// candle-vllm plans: JSON and text.
nlohmann::json candle_vllm_json(const CandleVllmPlan& plan, const CandleVllmSettings& settings);
std::string candle_vllm_text(const CandleVllmPlan& plan, const CandleVllmSettings& settings);

// One line per deployment for --find: GPUs, split, KV tokens, concurrency.
std::string deployments_text(const std::vector<PlanReport>& found, size_t limit);

}  // namespace hubcap
