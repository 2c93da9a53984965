#!/usr/bin/env bash
# Issue 5 benchmarks: one tab-separated line per case: case, mgmt_mpps, reference, reference_mpps.
# Built so far: IPv4 and IPv6 forwarding and ACLs on in-memory vectors (one worker, 64-byte UDP, routes with full-table
# prefix lengths; ACLs whose last rule is the one that matches).
# Not built yet (printed as n/a): AF_PACKET and DPDK over veth with the kernel, iptables and a C
# forwarder beside them.
#   bash bench/dataplane/run.sh [--quick]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=5
[ "${1:-}" = "--quick" ] && seconds=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build "$root/bench/Dataplane.Bench" -c Release --artifacts-path "$work/art" -o "$work/bin" >"$work/build.log" 2>&1 || { tail -5 "$work/build.log"; exit 1; }
printf 'case\tmgmt_mpps\treference\treference_mpps\n'
for routes in 1000 100000 1000000; do
  # Pinned to one core: the worker is one thread.
  taskset -c 1 "$work/bin/Dataplane.Bench" mem-ip4 "$routes" "$seconds" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  sed 's/^/# /' "$work/err" >&2
done
for rules in 10 1000 10000; do
  taskset -c 1 "$work/bin/Dataplane.Bench" mem-acl "$rules" "$seconds" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  sed 's/^/# /' "$work/err" >&2
done
taskset -c 1 "$work/bin/Dataplane.Bench" mem-ip6 100000 "$seconds" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
sed 's/^/# /' "$work/err" >&2
for c in afpacket-ip4 dpdk-afxdp-ip4; do printf '%s\tn/a\tnot built yet\t\n' "$c"; done
