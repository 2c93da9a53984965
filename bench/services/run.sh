#!/usr/bin/env bash
# Issue 6 benchmarks, as far as the stateful services are built: one tab-separated line per case.
#   bash bench/services/run.sh [--quick]
# Built so far: the Maglev table build (65537 entries) for 1k backends, in ms (the median of 11 builds), and one
# worker's connection-tracking table (Sessions/SessionTable) holding 10k and 1M sessions: lookups of established
# flows with their touch, a vector of 256 at a time (FindMany, as a node does them; one at a time on stderr), in
# millions per second on one core; session creations per second; bytes per session.
# NAT44 on in-memory vectors (mem-nat44-N): one worker translating established UDP flows both ways (inside to
# outside and the replies) through the whole graph, N sessions open: Mpps, bytes per session, and the session
# creation rate through the graph (first packets forwarded), in millions per second. Its reference (ip4-routed) is
# the same frames forwarded without NAT, measured in slices alternating with NAT's in the same process (the host's
# speed varies by half between runs: the ratio to plain forwarding is what stays).
# The load balancer on in-memory vectors (mem-lb-N): one worker balancing established UDP flows to a VIP over 16
# servers in GRE over IPv4, N flows in the sticky table (bytes_per_session: its bytes per flow); the same columns,
# the reference the same frames routed (the VIP routed to a server). MGMT_BENCH_LB_NAT=1 runs the same flows to a
# NAT mode VIP instead, with sessions of both keys; MGMT_BENCH_LB_V6=1 to an IPv6 VIP in IP in IPv6 (mem-lb6-N).
# Over veth between network namespaces (needs root; bench/dataplane's topology and generator): DNAT of UDP to a
# service address by the dataplane's service proxy and by the kernel's iptables (kube-proxy's nat rules, legacy
# iptables), both with 10k services, for established flows and for new flows (every frame a new one); medians of
# alternating rounds. veth-dnat-*: the dataplane on DPDK's af_xdp driver (dpdk.sh, busy polling); afpacket-dnat-*:
# on AF_PACKET (afpacket.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
sizes="10000 1000000"
[ "${1:-}" = "--quick" ] && sizes="10000"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build "$root/bench/Dataplane.Bench" -c Release --artifacts-path "$work/art" -o "$work/bin" >"$work/build.log" 2>&1 || { tail -5 "$work/build.log"; exit 1; }
printf 'case\tmgmt\tunit\n'
taskset -c 1 "$work/bin/Dataplane.Bench" maglev-build 1000 | awk -F'\t' '{ printf "%s\t%s\tms\n", $1, $2 }'
printf 'case\tlookups_mpps\tcreations_mpps\tbytes_per_session\n'
for n in $sizes; do taskset -c 1 "$work/bin/Dataplane.Bench" conntrack "$n"; done
printf 'case\tmgmt_mpps\treference\treference_mpps\tbytes_per_session\tcreations_mpps\n'
for n in $sizes; do taskset -c 1 "$work/bin/Dataplane.Bench" mem-nat44 "$n" 3; done
for n in $sizes; do taskset -c 1 "$work/bin/Dataplane.Bench" mem-lb "$n" 3; done
if [ "$(id -u)" = 0 ]; then
  seconds=5
  [ "${1:-}" = "--quick" ] && seconds=2 && export BAFP_ROUNDS=1
  [ "${1:-}" = "--quick" ] && export BDPDK_ROUNDS=1
  BDPDK_CASES=dnat bash "$root/bench/dataplane/dpdk.sh" "$seconds" "$work/bin/Dataplane.Bench"
  BAFP_CASES=dnat bash "$root/bench/dataplane/afpacket.sh" "$seconds" "$work/bin/Dataplane.Bench" | sed 's/^veth-dnat/afpacket-dnat/'
else
  for c in veth-dnat-established veth-dnat-new; do printf '%s\tn/a\tneeds root (network namespaces)\t\n' "$c"; done
fi
