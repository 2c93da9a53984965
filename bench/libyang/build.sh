#!/usr/bin/env bash
# Builds the libyang reference program against Debian's libyang2-dev into $1 (default: bench/libyang/ref).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/ref}
gcc -O2 -o "$out" "$here/ref.c" -lyang
echo "$out"
