#!/bin/sh
# Builds the DPDK shim (libmgmt_dpdk.so) into $1 when DPDK's headers are installed (Debian: libdpdk-dev);
# without them removes $1 and succeeds, and DpdkPort reports DPDK as not available.
set -eu
out=$1
src=$(dirname "$0")/mgmt_dpdk.c
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libdpdk 2>/dev/null || ! command -v "${CC:-gcc}" >/dev/null 2>&1; then
  rm -f "$out"
  exit 0
fi
if [ -f "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then exit 0; fi
mkdir -p "$(dirname "$out")"
# shellcheck disable=SC2046
"${CC:-gcc}" -O2 -g -Wall -Wextra -fPIC -shared -fvisibility=hidden $(pkg-config --cflags libdpdk) \
  -o "$out.tmp" "$src" $(pkg-config --libs libdpdk)
mv -f "$out.tmp" "$out"
