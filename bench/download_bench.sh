#!/usr/bin/env bash
# Downloads one bundle of real random data (sha256 is real work) from a local
# `hubcap mirror`, with `hubcap download` and with `aria2c -x8 -s8`, and
# prints MB/s of both and their ratio, RUNS times (fresh cache each time).
# The bundle has one large shard (half the total, so hubcap fetches it as
# parallel byte ranges and aria2c splits it 8 ways) and three smaller ones.
# Not run by CI.
#
#   bench/download_bench.sh [HUBCAP_BINARY] [TOTAL_MB] [RUNS]   (defaults: build/hubcap, 400, 1)
set -euo pipefail

HUBCAP=${1:-build/hubcap}
TOTAL_MB=${2:-400}
RUNS=${3:-1}
SHARDS=4
PORT=${PORT:-18765}
command -v aria2c >/dev/null || { echo "aria2c not installed (apt-get install aria2)" >&2; exit 1; }
[ -x "$HUBCAP" ] || { echo "no hubcap binary at $HUBCAP" >&2; exit 1; }

WORK=$(mktemp -d /tmp/hubcap-dlbench-XXXXXX)
MIRROR_PID=
cleanup() {
  [ -n "$MIRROR_PID" ] && kill "$MIRROR_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

REPO=bench/model
mkdir -p "$WORK/root/$REPO"
echo '{"model_type":"llama"}' > "$WORK/root/$REPO/config.json"
large_mb=$((TOTAL_MB / 2))
small_mb=$(((TOTAL_MB - large_mb) / (SHARDS - 1)))
for i in $(seq 1 $SHARDS); do
  name=$(printf 'model-%05d-of-%05d.safetensors' "$i" "$SHARDS")
  mb=$([ "$i" = 1 ] && echo "$large_mb" || echo "$small_mb")
  head -c $((mb * 1000000)) /dev/urandom > "$WORK/root/$REPO/$name"
done
total_bytes=$(du -cb "$WORK/root/$REPO" | tail -1 | cut -f1)

"$HUBCAP" mirror --root "$WORK/root" --port "$PORT" > "$WORK/mirror.log" 2>&1 &
MIRROR_PID=$!
for _ in $(seq 50); do grep -q serving "$WORK/mirror.log" 2>/dev/null && break; sleep 0.1; done
export HF_ENDPOINT="http://127.0.0.1:$PORT" HF_HOME="$WORK/hfhome"
unset HF_TOKEN

now() { date +%s.%N; }
mbps() { echo "scale=1; $1 / 1000000 / $2" | bc; }

# Warm the mirror's hash cache (it hashes LFS files once for the listing).
"$HUBCAP" download "$REPO" --cache-dir "$WORK/warm" --dry-run --json > /dev/null

: > "$WORK/urls.txt"
for f in "$WORK/root/$REPO"/*; do
  echo "$HF_ENDPOINT/$REPO/resolve/main/$(basename "$f")" >> "$WORK/urls.txt"
done

# Each tool starts with the disk idle (sync: no writeback left from the
# other), and the order alternates from run to run.
run_hubcap() {
  sync; sleep 1
  local t0 t1
  t0=$(now)
  /usr/bin/time -f %M -o "$WORK/hubcap.rss" "$HUBCAP" download "$REPO" --cache-dir "$WORK/cache" --json > "$WORK/hubcap.jsonl"
  t1=$(now)
  hubcap_s=$(echo "$t1 - $t0" | bc)
}
run_aria() {
  sync; sleep 1
  local t0 t1 t2
  t0=$(now)
  /usr/bin/time -f %M -o "$WORK/aria.rss" aria2c -q -x8 -s8 -j8 --file-allocation=none -d "$WORK/aria" -i "$WORK/urls.txt"
  t1=$(now)
  (cd "$WORK/aria" && sha256sum -- *) > "$WORK/aria.sha"   # aria2c does not verify; count it as its cost
  t2=$(now)
  aria_s=$(echo "$t1 - $t0" | bc)
  aria_verified_s=$(echo "$t2 - $t0" | bc)
}

echo "bundle: $SHARDS shards (${large_mb} MB + 3 x ${small_mb} MB) + config, $total_bytes bytes"
for run in $(seq 1 "$RUNS"); do
  rm -rf "$WORK/cache" "$WORK/aria"
  if [ $((run % 2)) = 1 ]; then run_hubcap; run_aria; else run_aria; run_hubcap; fi
  echo "run $run:"
  echo "  hubcap download (hashing while writing, verified):  $(mbps "$total_bytes" "$hubcap_s") MB/s  (${hubcap_s}s, peak RSS $(cat "$WORK/hubcap.rss") KiB)"
  echo "  aria2c -x8 -s8 (no verification):                     $(mbps "$total_bytes" "$aria_s") MB/s  (${aria_s}s, peak RSS $(cat "$WORK/aria.rss") KiB)"
  echo "  aria2c -x8 -s8 + sha256sum afterwards:                $(mbps "$total_bytes" "$aria_verified_s") MB/s  (${aria_verified_s}s)"
  echo "  ratio hubcap / aria2c: $(echo "scale=2; $aria_s / $hubcap_s" | bc)"
done
