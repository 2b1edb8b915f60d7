#!/usr/bin/env bash
# Schemathesis against the running binary: every operation of /openapi.json, every check,
# positive and negative data, on a small demo database. Builds nothing: the binary is
# $RETORT_BIN (default target/debug/retort). Exits non-zero on any failure.
#
# The server starts with an admin key made by `retort keys generate` and seeded through
# RETORT_ADMIN_KEY, and without the per-key limit on job starts (the fuzzer starts far more
# than 30 a minute; the Rust tests check the 429). Schemathesis sends the key on
# every operation whose `security` asks for the `bearer` scheme ([auth.openapi.bearer] in
# .ci/schemathesis.toml, from $RETORT_ST_KEY), and its ignored_auth check sends each of
# them without a key and with a wrong one, expecting a refusal (401 or 403).
#
# Budget: at most ST_MAX_EXAMPLES cases per operation and phase (default 25) and
# ST_MAX_TIME seconds in all (default 420), so the step takes under ~8 minutes on two
# cores. Settings that cannot go on the command line are in .ci/schemathesis.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
bin="${RETORT_BIN:-target/debug/retort}"
max_examples="${ST_MAX_EXAMPLES:-25}"
max_time="${ST_MAX_TIME:-420}"
venv=target/st-venv

if [ ! -x "$bin" ]; then
  echo "FAIL: no retort binary at $bin (build it first, or set RETORT_BIN)" >&2
  exit 1
fi

if ! "$venv/bin/st" --version 2>/dev/null | grep -q " $SCHEMATHESIS_VERSION\$"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

work="$(mktemp -d)"
# Logs and reports stay in $out after the run (the database goes with the temp dir).
out=target/schemathesis
rm -rf "$out" && mkdir -p "$out"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

db="sqlite://$work/st.db"
RETORT_ST_KEY="$("$bin" keys generate)"
export RETORT_ST_KEY
echo "demo database: 300 products (seed 7) in $work"
"$bin" demo --products 300 --seed 7 --database-url "$db" >"$work/demo.log" 2>&1 || {
  cat "$work/demo.log" >&2
  echo "FAIL: retort demo" >&2
  exit 1
}

# A free port: bind to 0 and read back what the kernel chose.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
RUST_LOG="${RUST_LOG:-warn}" RETORT_ADMIN_KEY="$RETORT_ST_KEY" "$bin" serve --bind "127.0.0.1:$port" \
  --workers 1 --job-starts-per-minute 0 --database-url "$db" >"$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
  if python3 - "$base/readyz" <<'EOF' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=1)
EOF
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$work/server.log" >&2
    echo "FAIL: retort serve exited before it was ready" >&2
    exit 1
  fi
  sleep 0.2
done

start=$(date +%s)
set +e
"$venv/bin/st" --no-color --config-file .ci/schemathesis.toml run "$base/openapi.json" \
  --checks all \
  --mode all \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "$max_examples" \
  --max-time "$max_time" \
  --request-timeout 20 \
  --seed "${ST_SEED:-7}" \
  --generation-database none \
  --report junit,ndjson --report-dir "$out" \
  2>&1 | tee "$out/st.log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))

# The one-line summary, from schemathesis's own closing lines.
python3 - "$out/st.log" "$elapsed" "$status" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
def grab(pattern, default="?"):
    m = re.search(pattern, text)
    return m.group(1) if m else default
operations = grab(r"Selected:\s+(\d+)/\d+")
tested = grab(r"Tested:\s+(\d+)")
cases = grab(r"(\d+) generated")
failures = grab(r"(\d+) unique failures?", "0" if sys.argv[3] == "0" else "?")
print(f"schemathesis: {operations} operations ({tested} tested), {cases} cases, {failures} failures, "
      f"{sys.argv[2]} s, exit {sys.argv[3]}")
EOF

cp "$work/server.log" "$out/server.log"
if grep -qE 'panicked|internal error' "$out/server.log"; then
  echo "--- server log ($out/server.log): panics and internal errors"
  grep -E 'panicked|internal error' "$out/server.log" | head -n 20
fi
exit "$status"
