#!/usr/bin/env bash
# Browser tests of the dashboard: builds retort, loads demo data into a temporary SQLite
# database, serves it on a free local port, and drives Debian's Chromium through
# playwright-core with node's test runner. Screenshots go to target/browser-artifacts/.
#
#   bash tests/browser/run.sh          # SKIPPED (exit 0) when Chromium or node_modules are missing
#   CI=1 bash tests/browser/run.sh     # missing pieces fail
#
# Environment: CHROMIUM (default /usr/bin/chromium), DEMO_PRODUCTS (default 2000).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=$root/tests/browser
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
products="${DEMO_PRODUCTS:-2000}"

missing() {
  if [ -n "${CI:-}" ]; then
    echo "FAIL: $*" >&2
    exit 1
  fi
  echo "SKIPPED: $*"
  exit 0
}
command -v node >/dev/null 2>&1 || missing "node is not installed"
[ -x "$CHROMIUM" ] || missing "no Chromium at $CHROMIUM (apt-get install chromium, or set CHROMIUM)"
[ -f "$here/node_modules/playwright-core/package.json" ] || missing "no node_modules in tests/browser (run: cd tests/browser && npm ci)"

echo "building retort (debug)"
cargo build --quiet -p retort
bin=$root/target/debug/retort

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
db="sqlite://$tmp/db"
url="http://127.0.0.1:$port"
log=$tmp/server.log

# The database flag is --database-url (README); accept --database too if that is what the binary has.
if "$bin" serve --help 2>/dev/null | grep -q -- '--database-url'; then dbflag=--database-url; else dbflag=--database; fi

demo_flags=()
if "$bin" --help 2>/dev/null | grep -qE '^\s+demo\b'; then
  echo "loading demo data: retort demo --products $products --seed 7"
  demo_help=$("$bin" demo --help 2>/dev/null || true)
  demo_db=$dbflag
  if ! grep -q -- "$dbflag" <<<"$demo_help" && grep -q -- '--database\b' <<<"$demo_help"; then demo_db=--database; fi
  seed=()
  if grep -q -- '--seed' <<<"$demo_help"; then seed=(--seed 7); fi
  "$bin" demo --products "$products" "${seed[@]}" "$demo_db" "$db"
else
  echo "loading demo data: retort serve --demo --demo-products $products (no demo command yet)"
  demo_flags=(--demo --demo-products "$products")
fi

# A known admin key for the tests (they make keys with other roles through the API).
admin_key=$("$bin" keys generate)
start=$(date +%s)
RETORT_ADMIN_KEY="$admin_key" RUST_LOG="${RUST_LOG:-warn}" "$bin" serve "$dbflag" "$db" --bind "127.0.0.1:$port" "${demo_flags[@]}" >"$log" 2>&1 &
server_pid=$!
ready() { node -e "fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$url/readyz"; }
until ready; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "FAIL: retort serve exited; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  if [ $(( $(date +%s) - start )) -gt 600 ]; then
    echo "FAIL: retort did not become ready within 600 s" >&2
    tail -n 50 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "retort ready at $url after $(( $(date +%s) - start )) s"

mkdir -p "$root/target/browser-artifacts"
rm -f "$root"/target/browser-artifacts/*.png
status=0
(
  cd "$here"
  RETORT_URL="$url" RETORT_KEY="$admin_key" ARTIFACTS="$root/target/browser-artifacts" FIXTURES="$root/fixtures/models" \
    node --test --test-concurrency=1 --test-reporter=spec \
    access.test.mjs pages.test.mjs explorer.test.mjs optimization.test.mjs
) || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 40 lines)" >&2
  tail -n 40 "$log" >&2
fi
echo "screenshots: target/browser-artifacts/"
exit "$status"
