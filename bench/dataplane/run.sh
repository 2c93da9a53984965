#!/usr/bin/env bash
# Issue 5 benchmarks: one tab-separated line per case: case, mgmt_mpps, reference, reference_mpps.
# IPv4 and IPv6 forwarding and ACLs on in-memory vectors (one worker, 64-byte UDP, routes with full-table prefix
# lengths; ACLs whose last rule is the one that matches); then over veth between network namespaces (needs root):
# the dataplane on AF_PACKET beside a minimal C AF_PACKET forwarder, the kernel and the kernel with 10k iptables
# rules (afpacket.sh); DPDK by dpdk.sh when it is there.
#   bash bench/dataplane/run.sh [--quick]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=5
[ "${1:-}" = "--quick" ] && seconds=1 && export BAFP_ROUNDS=1 BDPDK_ROUNDS=1
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
for routes in 1000 100000 1000000; do
  taskset -c 1 "$work/bin/Dataplane.Bench" mem-ip6 "$routes" "$seconds" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  sed 's/^/# /' "$work/err" >&2
done
if [ "$(id -u)" = 0 ]; then
  bash "$root/bench/dataplane/afpacket.sh" "$seconds" "$work/bin/Dataplane.Bench"
else
  printf 'afpacket-ip4\tn/a\tneeds root (network namespaces)\t\n'
fi
if [ -f "$root/bench/dataplane/dpdk.sh" ]; then
  bash "$root/bench/dataplane/dpdk.sh" "$seconds" "$work/bin/Dataplane.Bench"
else
  printf 'dpdk-afxdp-ip4\tn/a\tnot built yet\t\n'
fi
