#!/usr/bin/env bash
# Issue 5, the DPDK case: the dataplane on DpdkPort with net_af_xdp devices (DPDK's AF_XDP driver, copy mode on
# veth, no hugepages) beside the kernel, forwarding the same traffic in the topology of afpacket.sh:
#
#   bdpdk-gen-PID [g0] ---veth--- [r0] bdpdk-rtr-PID [r1] ---veth--- [s0] bdpdk-sink-PID
#   10.201.1.2                 10.201.1.1        10.201.2.1                 10.201.2.2
#
# afp_gen (core 0) sends 64-byte UDP frames of 1024 flows to the router's MAC; the router (core 1) sends them on to
# 10.201.2.2 by a static neighbor entry naming a MAC that is not s0's (the sink's kernel drops them at its first
# check); the rate is s0's rx_packets per second over SECONDS after a 2 s warm-up. With AF_XDP, r0's XDP program
# (which hands every frame to the dataplane's socket) runs where veth delivers, on the generator's core, unless the
# dataplane's socket busy-polls r0's NAPI itself (preferred busy polling, set up in mgmt below).
#   bash bench/dataplane/dpdk.sh SECONDS DATAPLANE_BENCH_BINARY
# Prints run.sh's line: dpdk-afxdp-ip4, mgmt_mpps, kernel, kernel_mpps; details on stderr as "# ...".
# BDPDK_CASES=dnat prints issue 6's veth-dnat-established and veth-dnat-new lines instead (the service proxy with
# BDPDK_SERVICES services, default 10k, beside as many iptables-legacy nat rules; see afpacket.sh).
# BDPDK_DRIVER=net_af_packet runs the dataplane on DPDK's af_packet driver instead (the line keeps its name); it may
# carry device arguments for both ports (BDPDK_DRIVER=net_af_xdp,busy_budget=0). The default, net_af_xdp with a
# busy_budget of 256 (a vector) and the interfaces set for preferred busy polling (see mgmt below and bench/RESULTS.md).
# Generator and router run at nice -10, as in afpacket.sh, so that other load on this 2-core VM takes less of them.
set -euo pipefail
seconds=${1:-5}
bench=${2:?path of the built Dataplane.Bench}
here=$(cd "$(dirname "$0")" && pwd)
warm=2
names=dpdk-afxdp-ip4
[ "${BDPDK_CASES:-}" = dnat ] && names="veth-dnat-established veth-dnat-new"
if [ "$(id -u)" != 0 ]; then for n in $names; do printf '%s\tn/a\tneeds root (network namespaces)\t\n' "$n"; done; exit 0; fi
if ! compgen -G "/usr/lib/*/dpdk/pmds-*/librte_net_af_xdp.so*" >/dev/null || [ ! -f "$(dirname "$bench")/libmgmt_dpdk.so" ]; then
  for n in $names; do printf '%s\tn/a\tDPDK not installed (libdpdk-dev, librte-net-af-xdp23; then rebuild)\t\n' "$n"; done
  exit 0
fi
driver=${BDPDK_DRIVER:-net_af_xdp,busy_budget=256}
work=$(mktemp -d)
gen=bdpdk-gen-$$ rtr=bdpdk-rtr-$$ sink=bdpdk-sink-$$
fwd_pid=
cleanup() {
  [ -n "$fwd_pid" ] && kill "$fwd_pid" 2>/dev/null && wait "$fwd_pid" 2>/dev/null
  for ns in "$gen" "$rtr" "$sink"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
gcc -O2 -Wall -o "$work/afp_gen" "$here/afp_gen.c"

mac_g0=02:bd:00:00:01:02 mac_r0=02:bd:00:00:01:01 mac_r1=02:bd:00:00:02:01 mac_s0=02:bd:00:00:02:02
mac_hop=02:bd:00:00:02:99

topology() {
  for ns in "$gen" "$rtr" "$sink"; do ip netns del "$ns" 2>/dev/null || true; ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip -n "$gen" link add g0 address $mac_g0 type veth peer name r0 netns "$rtr" address $mac_r0
  ip -n "$rtr" link add r1 address $mac_r1 type veth peer name s0 netns "$sink" address $mac_s0
  ip -n "$gen" addr add 10.201.1.2/24 dev g0
  ip -n "$sink" addr add 10.201.2.2/24 dev s0
  for l in "$gen g0" "$rtr r0" "$rtr r1" "$sink s0"; do
    set -- $l
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
    ip -n "$1" link set "$2" up
  done
  ip -n "$gen" neigh replace 10.201.1.1 lladdr $mac_r0 dev g0 nud permanent
  ip -n "$gen" route add 10.201.2.0/24 via 10.201.1.1
}

measure() {
  local dst=${1:-10.201.2.2} fresh=${2:-}
  ip netns exec "$gen" nice -n -10 taskset -c 0 "$work/afp_gen" g0 $mac_g0 $mac_r0 10.201.1.2 "$dst" $((warm + seconds + 1)) 1024 $fresh >"$work/gen.out" &
  local gpid=$! a b t0 t1
  sleep $warm
  t0=$(date +%s.%N); a=$(ip netns exec "$sink" cat /sys/class/net/s0/statistics/rx_packets)
  sleep "$seconds"
  b=$(ip netns exec "$sink" cat /sys/class/net/s0/statistics/rx_packets); t1=$(date +%s.%N)
  wait $gpid
  echo "#   generator: $(cat "$work/gen.out") frames in $((warm + seconds + 1)) s; r0 rx $(ip netns exec "$rtr" cat /sys/class/net/r0/statistics/rx_packets) dropped $(ip netns exec "$rtr" cat /sys/class/net/r0/statistics/rx_dropped); r1 tx $(ip netns exec "$rtr" cat /sys/class/net/r1/statistics/tx_packets) dropped $(ip netns exec "$rtr" cat /sys/class/net/r1/statistics/tx_dropped); s0 rx $b dropped $(ip netns exec "$sink" cat /sys/class/net/s0/statistics/rx_dropped)" >&2
  awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN { r = (b - a) / (t1 - t0) / 1e6; printf (r < 0.01 ? "%.4f" : "%.3f"), r }'
}

mgmt() {
  local dst=${1:-} fresh=${2:-}
  topology
  MGMT_BENCH_SERVICES=${dst:+$services} nice -n -10 taskset -c 1 "$bench" dpdk-ip4 $((warm + seconds + 30)) "$driver" "$rtr" r0 r1 $mac_hop >"$work/mgmt.out" 2>"$work/mgmt.err" &
  fwd_pid=$!
  for _ in $(seq 200); do grep -q ready "$work/mgmt.err" 2>/dev/null && break; kill -0 "$fwd_pid" 2>/dev/null || break; sleep 0.1; done
  grep -q ready "$work/mgmt.err" || { sed 's/^/#   mgmt: /' "$work/mgmt.err" >&2; echo n/a; return; }
  # Preferred busy polling (DPDK's af_xdp guide: with busy_budget, napi_defer_hard_irqs 2 and gro_flush_timeout
  # 200 us on the PMD's interfaces): the driver's busy-poll recvfrom then runs r0's NAPI, XDP program and copy into
  # the UMEM on the router's core, instead of veth running them on the core that sent the frame (the generator's).
  local d
  for d in r0 r1; do
    ip netns exec "$rtr" sh -c "echo 2 > /sys/class/net/$d/napi_defer_hard_irqs; echo 200000 > /sys/class/net/$d/gro_flush_timeout"
  done
  local r; r=$(measure $dst $fresh)
  kill -TERM "$fwd_pid"; wait "$fwd_pid" || true; fwd_pid=
  grep -v '^libbpf: elf: skipping\|^libxdp:' "$work/mgmt.err" | sed 's/^/#   mgmt: /' >&2
  echo "$r"
}

kernel() {
  local dst=${1:-} fresh=${2:-}
  topology
  ip -n "$rtr" addr add 10.201.1.1/24 dev r0
  ip -n "$rtr" addr add 10.201.2.1/24 dev r1
  ip -n "$rtr" neigh replace 10.201.2.2 lladdr $mac_hop dev r1 nud permanent
  ip netns exec "$rtr" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$rtr" sh -c 'echo 2 > /sys/class/net/r0/queues/rx-0/rps_cpus'
  if [ -n "$dst" ]; then
    # kube-proxy's shape, as afpacket.sh's DNAT cases: the service's rule last of $services in one nat chain.
    ip netns exec "$rtr" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.r0.rp_filter=0 net.netfilter.nf_conntrack_udp_timeout=1 \
      net.netfilter.nf_conntrack_udp_timeout_stream=1 2>/dev/null || true
    sysctl -qw net.netfilter.nf_conntrack_max=1048576 2>/dev/null || true
    bash "$here/kube-nat-rules.sh" "$services" >"$work/nat"
    ip netns exec "$rtr" iptables-legacy-restore <"$work/nat"
  fi
  measure $dst $fresh
}

# BDPDK_ROUNDS (default 3) runs of each, alternately; each side gives its median (one run can lose a third to the
# host's other load on this VM).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
services=${BDPDK_SERVICES:-10000}
if [ "${BDPDK_CASES:-}" = dnat ]; then
  # Issue 6's DNAT cases on this driver: established flows and new ones, the service proxy beside iptables.
  de=() ke=() dn=() kn=()
  for round in $(seq "${BDPDK_ROUNDS:-3}"); do
    echo "# veth-dnat ($driver): round $round" >&2
    de+=("$(mgmt 10.201.9.9)"); ke+=("$(kernel 10.201.9.9)")
    dn+=("$(mgmt 10.201.9.9 new)"); kn+=("$(kernel 10.201.9.9 new)")
  done
  echo "# veth-dnat ($driver) rounds: established mgmt ${de[*]} iptables ${ke[*]}; new mgmt ${dn[*]} iptables ${kn[*]}" >&2
  printf 'veth-dnat-established\t%s\tiptables-dnat-%s\t%s\n' "$(median "${de[@]}")" "$services" "$(median "${ke[@]}")"
  printf 'veth-dnat-new\t%s\tiptables-dnat-%s\t%s\n' "$(median "${dn[@]}")" "$services" "$(median "${kn[@]}")"
  exit 0
fi
ms=() ks=()
for round in $(seq "${BDPDK_ROUNDS:-3}"); do
  echo "# dpdk-afxdp-ip4: mgmt ($driver), round $round" >&2
  ms+=("$(mgmt)")
  echo "# dpdk-afxdp-ip4: kernel, round $round" >&2
  ks+=("$(kernel)")
done
echo "# mgmt rounds: ${ms[*]}; kernel rounds: ${ks[*]}" >&2
printf 'dpdk-afxdp-ip4\t%s\tkernel\t%s\n' "$(median "${ms[@]}")" "$(median "${ks[@]}")"
