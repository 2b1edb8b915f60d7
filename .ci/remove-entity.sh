#!/usr/bin/env bash
# Removes an entity the way the architecture says one is removed — `rm -r` of its folder
# and its lines in the registry (entities/mod.rs) — in a scratch copy of the workspace,
# and checks that the service still builds. Usage: .ci/remove-entity.sh optimization
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: remove-entity.sh ENTITY}"
root="$PWD"
scratch="$root/target/scratch-without-$name"
rm -rf "$scratch"
mkdir -p "$scratch"
tar --exclude=./target --exclude=./.git --exclude='./tests/browser/node_modules' \
    --exclude='./fuzz/target' --exclude='./fuzz/corpus' -cf - . | tar -xf - -C "$scratch"
entities="$scratch/crates/retort/src/entities"
test -d "$entities/$name" || { echo "FAIL: no entity $name" >&2; exit 1; }
rm -r "$entities/$name"
before=$(wc -l < "$entities/mod.rs")
sed -i -e "/^pub mod $name;\$/d" -e "/\.with($name::register)\$/d" "$entities/mod.rs"
after=$(wc -l < "$entities/mod.rs")
if [ "$((before - after))" -ne 2 ]; then
  echo "FAIL: expected to remove 2 lines of entities/mod.rs for $name, removed $((before - after))" >&2
  exit 1
fi
# The same target directory: dependencies are reused, only the workspace's crates build.
(cd "$scratch" && CARGO_TARGET_DIR="$root/target" cargo check --quiet --locked -p retort --lib --bins)
echo "without $name: the service builds ($(grep -c '::register)' "$entities/mod.rs") entities registered)"
rm -rf "$scratch"
