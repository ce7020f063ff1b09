#include "plan/plan_render.h"

#include <cmath>

#include <fmt/format.h>

namespace hubcap {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

double gib(double bytes) { return std::round(bytes / kGiB * 1000.0) / 1000.0; }

struct Segment {
  const char* label;
  char mark;
  double bytes;
};

std::vector<Segment> segments(const PerGpuMemory& m) {
  double kv = double(std::max<int64_t>(m.kv_cache, 0));
  double used = double(m.weights + m.activation + m.non_torch + m.cuda_graph) + kv;
  return {{"weights", 'W', double(m.weights)},
          {"activation peak", 'A', double(m.activation)},
          {"non-torch (NCCL, workspaces)", 'N', double(m.non_torch)},
          {"CUDA graphs", 'G', double(m.cuda_graph)},
          {"KV cache", 'K', kv},
          {"free", '.', std::max(0.0, double(m.total) - used)}};
}

// One character per 1/60 of the GPU's memory, each part at least one if present.
std::string bar(const PerGpuMemory& m) {
  constexpr int kWidth = 60;
  std::string out;
  for (const auto& s : segments(m)) {
    if (s.bytes <= 0) continue;
    int n = std::max(1, int(std::lround(s.bytes / double(m.total) * kWidth)));
    out.append(size_t(n), s.mark);
  }
  return "[" + out.substr(0, kWidth + 4) + "]";
}

std::string with_commas(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

nlohmann::json plan_json(const PlanReport& r, const std::string& model) {
  const PerGpuMemory& m = r.per_gpu;
  return {{"model", model},
          {"engine", "vllm"},
          {"architecture", r.architecture},
          {"gpu", {{"name", r.gpu.name}, {"memory_gib", r.gpu.memory_gib}}},
          {"num_gpus", r.num_gpus},
          {"tp", r.tp},
          {"pp", r.pp},
          {"dp", r.dp},
          {"expert_parallel", r.expert_parallel},
          {"dtype", r.dtype},
          {"kv_cache_dtype", r.kv_cache_dtype},
          {"max_model_len", r.max_model_len},
          {"max_num_seqs", r.max_num_seqs},
          {"max_num_batched_tokens", r.max_num_batched_tokens},
          {"block_size", r.block_size},
          {"per_gpu",
           {{"budget_gib", gib(double(m.budget))},
            {"weights_gib", gib(double(m.weights))},
            {"activation_gib", gib(double(m.activation))},
            {"cuda_graph_gib", gib(double(m.cuda_graph))},
            {"non_torch_gib", gib(double(m.non_torch))},
            {"kv_cache_gib", gib(double(m.kv_cache))},
            {"weights_bytes", m.weights}}},
          {"weights_exact", r.weights_exact},
          {"kv_cache_bytes_per_token", r.kv_cache_bytes_per_token},
          {"kv_cache_tokens", r.kv.tokens},
          {"kv_cache_blocks", r.kv.num_blocks},
          {"max_concurrency", std::round(r.kv.max_concurrency * 100.0) / 100.0},
          {"max_fitting_model_len", r.max_fitting_model_len},
          {"fits", r.fits},
          {"reasons", r.reasons},
          {"warnings", r.warnings},
          {"command", r.command}};
}

std::string plan_text(const PlanReport& r, const std::string& model) {
  const PerGpuMemory& m = r.per_gpu;
  std::string out = fmt::format("{} on {} x {} ({:.2f} GiB): tp {}, pp {}, dp {}{}\n", model, r.num_gpus, r.gpu.name,
                                r.gpu.memory_gib, r.tp, r.pp, r.dp, r.expert_parallel ? ", expert parallel" : "");
  out += fmt::format("vllm, {} weights, KV cache {}, max_model_len {}, max_num_seqs {}, max_num_batched_tokens {}\n\n",
                     r.dtype, r.kv_cache_dtype, with_commas(r.max_model_len), r.max_num_seqs,
                     with_commas(r.max_num_batched_tokens));
  out += fmt::format("per GPU (estimate)               GiB\n");
  for (const auto& s : segments(m))
    out += fmt::format("  {} {:<30} {:>7.2f}\n", s.mark, s.label, s.bytes / kGiB);
  out += fmt::format("  budget: {:.2f} x {:.2f} GiB     {:>7.2f}\n", double(m.budget) / double(m.total),
                     r.gpu.memory_gib, double(m.budget) / kGiB);
  out += "  " + bar(m) + "\n\n";
  out += fmt::format("KV cache: {} bytes per token per GPU, {} tokens, max concurrency {:.2f}x at {} tokens\n",
                     with_commas(r.kv_cache_bytes_per_token), with_commas(r.kv.tokens), r.kv.max_concurrency,
                     with_commas(r.max_model_len));
  out += r.fits ? std::string("fits: yes\n") : "fits: NO\n";
  for (const auto& reason : r.reasons) out += "  - " + reason + "\n";
  for (const auto& w : r.warnings) out += "note: " + w + "\n";
  out += "\n  " + r.command + "\n";
  return out;
}

nlohmann::json perf_json(const PerfEstimate& p, const PerfRequest& q) {
  if (!p.available) return nullptr;
  return {{"estimate", true},
          {"input_len", q.input_len},
          {"output_len", q.output_len},
          {"concurrency", q.concurrency},
          {"ttft_ms", std::round(p.ttft_s * 1e4) / 10.0},
          {"itl_ms", std::round(p.itl_s * 1e4) / 10.0},
          {"output_tokens_per_s", std::round(p.output_tokens_per_s)},
          {"decode_bound", p.compute_bound_decode ? "compute" : "memory bandwidth"}};
}

std::string perf_text(const PerfEstimate& p, const PerfRequest& q) {
  if (!p.available) return "performance: no estimate for a GPU given only by its memory\n";
  return fmt::format(
      "performance (roofline estimate, {} in / {} out tokens, {} concurrent): TTFT {:.0f} ms, ITL {:.1f} ms, "
      "{:.0f} output tokens/s; decode is {}-bound\n",
      q.input_len, q.output_len, q.concurrency, p.ttft_s * 1e3, p.itl_s * 1e3, p.output_tokens_per_s,
      p.compute_bound_decode ? "compute" : "bandwidth");
}

std::string deployments_text(const std::vector<PlanReport>& found, size_t limit) {
  std::string out = fmt::format("{:<16} {:>5} {:>4} {:>4} {:>4} {:>14} {:>12}\n", "GPU", "GPUs", "tp", "pp", "dp",
                                "KV tokens", "concurrency");
  for (size_t i = 0; i < found.size() && i < limit; ++i) {
    const PlanReport& r = found[i];
    out += fmt::format("{:<16} {:>5} {:>4} {:>4} {:>4} {:>14} {:>11.2f}x\n", r.gpu.name, r.num_gpus, r.tp, r.pp,
                       r.dp, with_commas(r.kv.tokens), r.kv.max_concurrency * double(r.dp));
  }
  return out;
}

nlohmann::json llama_cpp_json(const LlamaCppPlan& p, const LlamaCppSettings& st) {
  return {{"model", st.model_id},
          {"engine", "llama.cpp"},
          {"gguf_type", st.weight_type},
          {"n_ctx", st.n_ctx},
          {"cache_type_k", st.cache_type_k},
          {"cache_type_v", st.cache_type_v},
          {"layers_on_gpu", p.layers_on_gpu},
          {"output_on_gpu", p.output_on_gpu},
          {"gpu",
           {{"memory_gib", st.gpu_memory_gib},
            {"weights_gib", gib(double(p.weights_gpu))},
            {"kv_cache_gib", gib(double(p.kv_gpu))},
            {"compute_buffer_gib", gib(double(p.compute_buffer_gpu))}}},
          {"cpu", {{"weights_gib", gib(double(p.weights_cpu))}, {"kv_cache_gib", gib(double(p.kv_cpu))}}},
          {"weights_estimated", !p.weights_exact},
          {"fits", p.fits},
          {"command", p.command}};
}

std::string llama_cpp_text(const LlamaCppPlan& p, const LlamaCppSettings& st) {
  std::string out = fmt::format("{} with llama.cpp, {} GGUF ({}), n_ctx {}\n", st.model_id, st.weight_type,
                                p.weights_exact ? "sizes from its tensors" : "size estimated from the parameter count",
                                with_commas(st.n_ctx));
  out += fmt::format("  layers on GPU {}{}\n", p.layers_on_gpu, p.output_on_gpu ? " + output layer" : "");
  out += fmt::format("  GPU: weights {:.2f} GiB, KV cache {:.2f} GiB ({}/{}), compute buffer {:.2f} GiB\n",
                     double(p.weights_gpu) / kGiB, double(p.kv_gpu) / kGiB, st.cache_type_k, st.cache_type_v,
                     double(p.compute_buffer_gpu) / kGiB);
  out += fmt::format("  RAM: weights {:.2f} GiB, KV cache {:.2f} GiB\n", double(p.weights_cpu) / kGiB,
                     double(p.kv_cpu) / kGiB);
  if (st.gpu_memory_gib > 0) out += fmt::format("fits in {:.2f} GiB: {}\n", st.gpu_memory_gib, p.fits ? "yes" : "NO");
  out += "\n  " + p.command + "\n";
  return out;
}

nlohmann::json candle_vllm_json(const CandleVllmPlan& p, const CandleVllmSettings& st) {
  return {{"model", st.model_id},
          {"engine", "candle-vllm"},
          {"num_gpus", st.num_gpus},
          {"tp", st.num_gpus},
          {"dtype", st.dtype},
          {"isq", st.isq.empty() ? nlohmann::json(nullptr) : nlohmann::json(st.isq)},
          {"kv_cache_dtype", st.fp8_kv_cache ? "fp8" : st.dtype},
          {"block_size", st.block_size},
          {"max_num_seqs", st.max_num_seqs},
          {"max_model_len", p.max_model_len},
          {"gpu", {{"memory_gib", st.gpu_memory_gib}}},
          {"per_gpu",
           {{"weights_gib", gib(double(p.weights_per_gpu))},
            {"kv_cache_gib", gib(double(p.kv_cache_bytes))},
            {"overhead_gib", gib(double(p.context_overhead))},
            {"weights_bytes", p.weights_per_gpu}}},
          {"weights_total_gib", gib(double(p.weights_total))},
          {"kv_cache_bytes_per_token", p.kv_bytes_per_block / st.block_size},
          {"kv_cache_blocks", p.kv_blocks},
          {"kv_cache_tokens", p.kv_tokens},
          {"max_concurrency", std::round(p.max_concurrency * 100.0) / 100.0},
          {"fits", p.fits},
          {"warnings", p.warnings},
          {"command", p.command}};
}

std::string candle_vllm_text(const CandleVllmPlan& p, const CandleVllmSettings& st) {
  std::string out = fmt::format("{} with candle-vllm on {} GPU(s), {} weights{}\n", st.model_id, st.num_gpus, st.dtype,
                                st.isq.empty() ? "" : ", in-situ quantized to " + st.isq);
  out += fmt::format("per GPU                          GiB\n");
  out += fmt::format("  weights                    {:>7.2f}\n", double(p.weights_per_gpu) / kGiB);
  out += fmt::format("  KV cache                   {:>7.2f}\n", double(p.kv_cache_bytes) / kGiB);
  out += fmt::format("  context + scratch (est.)   {:>7.2f}\n", double(p.context_overhead) / kGiB);
  if (st.gpu_memory_gib > 0) out += fmt::format("  GPU memory                 {:>7.2f}\n", st.gpu_memory_gib);
  out += fmt::format("\nKV cache: {} blocks of {} tokens = {} tokens, max concurrency {:.2f}x at {} tokens (--max-num-seqs {})\n",
                     with_commas(p.kv_blocks), st.block_size, with_commas(p.kv_tokens), p.max_concurrency,
                     with_commas(p.max_model_len), st.max_num_seqs);
  out += p.fits ? std::string("fits: yes\n") : "fits: NO\n";
  for (const auto& w : p.warnings) out += "note: " + w + "\n";
  out += "\n  " + p.command + "\n";
  return out;
}

}  // namespace hubcap
