#!/usr/bin/env bash
# Regenerates the expected tree diagrams (the oracle for TreeOracleTests) with yanglint
# (Debian package libyang-tools, version 2.1). Run from anywhere; needs ../shared/yang-corpus.
#   <module>.tree     yanglint -f tree            (no line limit)
#   <module>.72.tree  yanglint -f tree -L 72      (only for the modules in yang/)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
corpus=${1:-$(cd "$repo/.." && pwd)/shared/yang-corpus}
out="$here/Expected"
mkdir -p "$out"
rm -f "$out"/*.tree

for f in "$repo"/yang/*.yang; do
  grep -q '^submodule ' "$f" && continue
  name=$(basename "$f" .yang)
  (cd "$repo/yang" && yanglint -f tree -p . "$name.yang") > "$out/$name.tree" 2>/dev/null
  (cd "$repo/yang" && yanglint -f tree -L 72 -p . "$name.yang") > "$out/$name.72.tree" 2>/dev/null
done

while read -r name; do
  [ -z "$name" ] && continue
  case "$name" in \#*) continue ;; esac
  [ -f "$out/$name.tree" ] && continue
  (cd "$corpus" && yanglint -f tree -p . "$name.yang") > "$out/$name.tree" 2>/dev/null
done < "$here/corpus-sample.txt"
echo "$(ls "$out" | wc -l) files in $out"
