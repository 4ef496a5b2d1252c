#!/usr/bin/env bash
# Run `ansible-test sanity` on an installed collection, from a copy outside any git work tree
# (inside one, ansible-test asks git for the files and sees none of an ignored build directory).
set -euo pipefail
bin=$1
installed=$(cd "$2" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/c5c3-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -a "$installed/ansible_collections" "$work/"
cd "$work/ansible_collections/c5c3/cobaltcore"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "sanity: $PWD is inside a git work tree; set TMPDIR outside it" >&2
  exit 1
fi
log=$work/sanity.log
set +e
"$bin/ansible-test" sanity --venv --python 3.11 --color no 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || exit "$rc"
if grep -q "All targets skipped" "$log" || ! grep -q 'Running sanity test "validate-modules"' "$log"; then
  echo "sanity: ansible-test tested nothing; refusing to pass" >&2
  exit 1
fi
