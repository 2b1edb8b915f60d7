#!/usr/bin/env bash
# Predict throughput and latency of the release server, measured with wrk (Debian's
# `wrk` package): single-row predict on the 200-tree gradient-boosting pipeline fixture
# at concurrency 1, 16 and 64, each beside /healthz at the same concurrency as the
# ceiling; then 10,000-row batches. Prints figures; asserts nothing.
#
#   bash scripts/bench-predict.sh            # DURATION=10 by default (seconds per run)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
DURATION="${DURATION:-10}"

cargo build --release --quiet -p retort
bin=target/release/retort
tmp="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
db="sqlite://$tmp/bench.db"
"$bin" models deploy fixtures/models/gb_pipeline_bench.onnx --name price --alias production --database-url "$db" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
key=$("$bin" keys generate)
RETORT_ADMIN_KEY="$key" RUST_LOG=warn "$bin" serve --bind "127.0.0.1:$port" --database-url "$db" >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

# One row of the fixture, as the row API takes it.
python3 - "$tmp" <<'PY'
import json, sys
spec = json.load(open("fixtures/models/gb_pipeline_bench.json"))
row = {k: v["data"][0] for k, v in spec["inputs"].items()}
json.dump({"rows": [row]}, open(f"{sys.argv[1]}/one.json", "w"))
rows = [{k: v["data"][i % v["shape"][0]] for k, v in spec["inputs"].items()} for i in range(10000)]
json.dump({"rows": rows}, open(f"{sys.argv[1]}/batch.json", "w"))
PY
cat > "$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
local f = io.open("$tmp/one.json", "r")
wrk.body = f:read("*a")
f:close()
LUA

# wrk --latency prints "50%", "99%" lines and "Requests/sec".
run() { # url concurrency [script]
  local out
  local threads=$(( $2 < 2 ? 1 : 2 ))
  out=$(wrk -t"$threads" -c"$2" -d"${DURATION}s" --latency ${3:+-s "$3"} "$1")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  echo "$rps $p50 $p99"
}

printf '%-26s %5s %12s %10s %10s %16s\n' "endpoint" "conc" "req/s" "p50" "p99" "ratio to ceiling"
for c in 1 16 64; do
  read -r hrps hp50 hp99 < <(run "http://127.0.0.1:$port/healthz" "$c")
  read -r prps pp50 pp99 < <(run "http://127.0.0.1:$port/api/models/price/predict" "$c" "$tmp/post.lua")
  ratio=$(python3 -c "print(f'{$prps/$hrps:.2f}')")
  printf '%-26s %5s %12s %10s %10s %16s\n' "/healthz (ceiling)" "$c" "$hrps" "$hp50" "$hp99" ""
  printf '%-26s %5s %12s %10s %10s %16s\n' "predict, 1 row" "$c" "$prps" "$pp50" "$pp99" "$ratio"
done

# 10,000-row batches, one at a time.
python3 - "$port" "$tmp/batch.json" "$key" <<'PY'
import sys, time, urllib.request
port, path, key = sys.argv[1], sys.argv[2], sys.argv[3]
body = open(path, "rb").read()
times = []
for _ in range(10):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/models/price/predict", data=body,
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    t = time.perf_counter()
    urllib.request.urlopen(req).read()
    times.append(time.perf_counter() - t)
times.sort()
print(f"predict, 10,000 rows: median {times[len(times)//2]*1000:.1f} ms per request "
      f"({10000/times[len(times)//2]:.0f} rows/s, {len(body)/1e6:.1f} MB of JSON)")
PY
