#!/usr/bin/env bash
# Runs one fuzz target for a bounded time: fuzz/run.sh TARGET SECONDS
#
# The corpus grows in fuzz/corpus/TARGET (not tracked); it is seeded from fuzz/seeds/TARGET
# and, for onnx_model, from the model fixtures, which libFuzzer only reads. Exits with
# libFuzzer's status: non-zero on any crash, leak, timeout (10 s per input) or
# out-of-memory (2 GiB), the offending input saved under fuzz/artifacts/TARGET. Prints
# the number of executions at the end.
set -euo pipefail

usage="usage: fuzz/run.sh TARGET SECONDS"
target=${1:?$usage}
seconds=${2:?$usage}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "$usage" >&2; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

# The longest input worth trying, and extra seed directories, per target.
max_len=65536
seeds=()
case $target in
    onnx_model)
        max_len=262144 # the largest fixture model is about 220 KB
        seeds+=("$root/fixtures/models")
        ;;
    oip_request)
        max_len=1048576 # a JSON part and binary tensors
        ;;
    csv_products)
        max_len=262144
        ;;
    list_query)
        max_len=16384
        ;;
esac
[[ -d $here/seeds/$target ]] && seeds+=("$here/seeds/$target")

corpus=$here/corpus/$target
mkdir -p "$corpus" "$here/artifacts/$target"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

cd "$here"
set +e
cargo +nightly fuzz run "$target" "$corpus" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -print_final_stats=1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

runs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$' || true)
if [[ -z $runs ]]; then
    # Without final stats (a crash), the last progress line says how far it got.
    runs=$(grep -aoE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
fi
echo "executions: ${runs:-unknown}"
if [[ $status -ne 0 ]]; then
    echo "fuzz target $target failed with status $status" >&2
fi
exit "$status"
