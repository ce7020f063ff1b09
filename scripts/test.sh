#!/usr/bin/env bash
# Builds hubcap and runs every test: the normal build, the same tests under
# ASan+UBSan, and each libFuzzer target for a short run over its corpus.
# Set HUBCAP_QUICK=1 to run only the normal build's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/setup.sh
# The npm peers (bench/package.json) that the interop tests run against
# (tests/interop): fetched like the Debian packages, when npm can reach its
# registry; without them those tests are skipped.
if command -v npm >/dev/null && [ ! -f bench/node_modules/@huggingface/hub/package.json ]; then
  timeout 300 npm ci --prefix bench --no-audit --no-fund --loglevel=error \
    || echo "npm ci failed: the @huggingface/hub interop tests will be skipped"
fi
ctest --test-dir build --output-on-failure -j"$jobs"
[ "${HUBCAP_QUICK:-0}" = 1 ] && exit 0

BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_ARGS="-DHUBCAP_SANITIZE=ON -DHUBCAP_BENCH=OFF" scripts/setup.sh
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"

CC=clang CXX=clang++ BUILD_DIR=build-fuzz BUILD_TYPE=RelWithDebInfo \
  CMAKE_ARGS="-DHUBCAP_FUZZ=ON -DHUBCAP_BENCH=OFF -DHUBCAP_TESTS=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++" scripts/setup.sh
fuzz_total=0
for bin in build-fuzz/fuzz/*_fuzz; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus=fuzz/corpus/${name%_fuzz}
  work=$(mktemp -d)
  cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  echo "fuzzing $name for ${HUBCAP_FUZZ_SECONDS:-30}s"
  "$bin" -max_total_time="${HUBCAP_FUZZ_SECONDS:-30}" -rss_limit_mb=2048 -max_len=65536 "$work" >"$work.log" 2>&1 \
    || { tail -50 "$work.log"; echo "fuzz target $name failed"; exit 1; }
  fuzz_total=$((fuzz_total + 1))
  rm -rf "$work" "$work.log"
done
echo "fuzz: $fuzz_total passed, 0 failed"
