#!/usr/bin/env bash
# CI for the Python client, run from the repository root after the Rust build:
#   bash clients/python/ci.sh
# Makes (or reuses) a venv at target/py-client-venv, installs the client with its
# [sklearn,test] extras and the pinned versions below, then runs its tests against the
# already built binary ($RETORT_BIN, default target/debug/retort). Builds nothing.
# Fails when any test fails, when none ran, and when any was skipped.
set -euo pipefail

PINS=(
  "scikit-learn==1.9.1"
  "skl2onnx==1.20.0"
  "onnx==1.23.2"
  "pandas==3.1.1"
  "numpy==2.4.6"
  "pytest==9.2.0"
)

if [ ! -f clients/python/pyproject.toml ]; then
  echo "FAIL: run from the repository root: bash clients/python/ci.sh" >&2
  exit 1
fi

export RETORT_BIN="${RETORT_BIN:-target/debug/retort}"
if [ ! -x "$RETORT_BIN" ]; then
  echo "FAIL: no Retort binary at $RETORT_BIN; build it first (cargo build) or set RETORT_BIN" >&2
  exit 1
fi
RETORT_BIN="$(cd "$(dirname "$RETORT_BIN")" && pwd)/$(basename "$RETORT_BIN")"

python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' || {
  echo "FAIL: $python is older than Python 3.9" >&2
  exit 1
}

venv=target/py-client-venv
if [ ! -x "$venv/bin/python" ]; then
  echo "--- creating $venv"
  mkdir -p target
  "$python" -m venv "$venv"
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1
echo "--- installing ./clients/python[sklearn,test] ${PINS[*]}"
"$venv/bin/python" -m pip install --quiet "./clients/python[sklearn,test]" "${PINS[@]}"
# pip builds the local package in its folder; leave the work tree as it was.
rm -rf clients/python/build clients/python/*.egg-info

echo "--- pytest clients/python/tests (RETORT_BIN=$RETORT_BIN)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
RETORT_CLIENT_FAIL_ON_SKIP=1 "$venv/bin/python" -m pytest -q -rs -p no:cacheprovider \
  clients/python/tests 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "FAIL: pytest exited with $status" >&2
  exit "$status"
fi
summary="$(grep -E '^[0-9]+ (passed|failed|skipped)|no tests ran' "$log" | tail -n 1)"
if ! grep -qE '^[0-9]+ passed' <<<"$summary" || grep -qE 'skipped|failed|error|no tests ran' <<<"$summary"; then
  echo "FAIL: every test must run and pass; pytest said: ${summary:-nothing}" >&2
  exit 1
fi
echo "--- Python client: $summary"
