#!/usr/bin/env bash
# Issue 5, the over-veth cases: the dataplane on AfPacketPort, a minimal C AF_PACKET forwarder, the kernel and the
# kernel with 10k legacy iptables rules, each forwarding the same traffic in the same topology, one after another:
#
#   bafp-gen-PID [g0] ---veth--- [r0] bafp-rtr-PID [r1] ---veth--- [s0] bafp-sink-PID
#   10.201.1.2                10.201.1.1        10.201.2.1                10.201.2.2
#
# afp_gen (core 0) sends 64-byte UDP frames of 1024 flows to the forwarder's MAC as fast as it can; the forwarder under test
# (core 1) sends them on to 10.201.2.2 by a static neighbor entry (generator and user-space forwarders at nice -10,
# so that other load on this 2-core VM takes less of their cores); the rate is what reaches s0 (its rx_packets:
# veth counts a frame there when the sink's backlog took it) per second, over SECONDS after a 2 s warm-up. The
# router's receive work is steered to core 1 too (RPS on r0), so all that forwarding costs lands on the
# forwarder's core and none on the generator's. The neighbor entry names a MAC that is not s0's, so the sink's
# kernel drops each frame at its first check (another host's) and the counting costs the router core little.
# Likewise the AF_PACKET forwarders (promiscuous) take frames for a MAC that is not r0's own: the router
# namespace's kernel, which sees every frame too, drops them at that check instead of routing each to nowhere.
# For the kernel cases r0 takes that MAC.
#   bash bench/dataplane/afpacket.sh SECONDS DATAPLANE_BENCH_BINARY
#   BAFP_CASES="mgmt c" bash bench/dataplane/afpacket.sh ...   # some of mgmt c kernel mgmt-acl iptables (n/a for the rest)
#   BAFP_CASES=dnat bash bench/dataplane/afpacket.sh ...       # issue 6's veth-dnat-established and veth-dnat-new lines
# Prints the afpacket-ip4 lines of run.sh (case, mgmt_mpps, reference, reference_mpps); details on stderr as "# ...".
set -euo pipefail
seconds=${1:-5}
bench=${2:?path of the built Dataplane.Bench}
here=$(cd "$(dirname "$0")" && pwd)
warm=2
[ "$(id -u)" = 0 ] || { echo "afpacket.sh: needs root (network namespaces)" >&2; exit 1; }
need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v iptables-legacy-restore >/dev/null || need+=(iptables)
command -v taskset >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2; }
fi
work=$(mktemp -d)
gen=bafp-gen-$$ rtr=bafp-rtr-$$ sink=bafp-sink-$$
fwd_pid=
cleanup() {
  [ -n "$fwd_pid" ] && kill "$fwd_pid" 2>/dev/null && wait "$fwd_pid" 2>/dev/null
  for ns in "$gen" "$rtr" "$sink"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
gcc -O2 -Wall -o "$work/afp_gen" "$here/afp_gen.c"
gcc -O2 -Wall -o "$work/afp_fwd" "$here/afp_fwd.c"

mac_g0=02:bf:00:00:01:02 mac_r0=02:bf:00:00:01:01 mac_r1=02:bf:00:00:02:01 mac_s0=02:bf:00:00:02:02
mac_rtr=02:bf:00:00:01:11 # where the generator sends to: the forwarder's MAC on r0's link
mac_hop=02:bf:00:00:02:99 # the next hop the router sends to: not s0's MAC (see above)

topology_up() {
  for ns in "$gen" "$rtr" "$sink"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
  ip -n "$gen" link add g0 address $mac_g0 type veth peer name r0 netns "$rtr" address $mac_r0
  ip -n "$rtr" link add r1 address $mac_r1 type veth peer name s0 netns "$sink" address $mac_s0
  ip -n "$gen" addr add 10.201.1.2/24 dev g0
  ip -n "$sink" addr add 10.201.2.2/24 dev s0
  for l in "$gen g0" "$rtr r0" "$rtr r1" "$sink s0"; do
    set -- $l
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
    ip -n "$1" link set "$2" up
  done
  ip -n "$gen" neigh replace 10.201.1.1 lladdr $mac_rtr dev g0 nud permanent
  ip -n "$gen" route add 10.201.2.0/24 via 10.201.1.1
  ip netns exec "$rtr" sh -c 'echo 2 > /sys/class/net/r0/queues/rx-0/rps_cpus'
}

topology_down() {
  for ns in "$gen" "$rtr" "$sink"; do ip netns del "$ns" 2>/dev/null || true; done
}

# The kernel of the router namespace forwards (addresses, a static neighbor, ip_forward).
kernel_router() {
  ip -n "$rtr" link set r0 address $mac_rtr
  ip -n "$rtr" addr add 10.201.1.1/24 dev r0
  ip -n "$rtr" addr add 10.201.2.1/24 dev r1
  ip -n "$rtr" neigh replace 10.201.2.2 lladdr $mac_hop dev r1 nud permanent
  ip netns exec "$rtr" sysctl -qw net.ipv4.ip_forward=1
}

rx_packets() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }

# Runs the generator for warm + seconds (+1 s slack) and prints the Mpps that reached the sink in the measured part;
# on stderr what came into r0 meanwhile (what the forwarder did not pass on, it could not keep up with).
measure() {
  local dst=${1:-10.201.2.2} fresh=${2:-}
  ip netns exec "$gen" nice -n -10 taskset -c 0 "$work/afp_gen" g0 $mac_g0 $mac_rtr 10.201.1.2 "$dst" $((warm + seconds + 1)) 1024 $fresh >"$work/gen.out" &
  local gpid=$! a b i0 i1 t0 t1
  sleep $warm
  t0=$(date +%s.%N); i0=$(rx_packets "$rtr" r0); a=$(rx_packets "$sink" s0)
  sleep "$seconds"
  b=$(rx_packets "$sink" s0); i1=$(rx_packets "$rtr" r0); t1=$(date +%s.%N)
  wait $gpid
  awk -v a="$a" -v b="$b" -v i0="$i0" -v i1="$i1" -v t0="$t0" -v t1="$t1" -v sent="$(cat "$work/gen.out")" -v d="$(ip netns exec "$gen" cat /sys/class/net/g0/statistics/tx_dropped)" 'BEGIN {
    printf "#   %.3f Mpps into r0, %.3f Mpps out to s0 (%.0f%% not passed on); the generator had %d frames taken, %d dropped at a full veth backlog\n", (i1 - i0) / (t1 - t0) / 1e6, (b - a) / (t1 - t0) / 1e6, (i1 > i0 ? 100 * (1 - (b - a) / (i1 - i0)) : 0), sent, d > "/dev/stderr"
    r = (b - a) / (t1 - t0) / 1e6; printf (r < 0.01 ? "%.4f" : "%.3f"), r }'
}

stop_forwarder() {
  kill "$fwd_pid" 2>/dev/null || true
  wait "$fwd_pid" 2>/dev/null || true
  fwd_pid=
}

# mgmt: Dataplane.Bench owns r0 and r1 through AfPacketPort (the router's kernel has no addresses on them).
mgmt() {
  local acl=$1
  topology_up
  nice -n -10 taskset -c 1 "$bench" afpacket-ip4 $((warm + seconds + 30)) "$acl" "$rtr" r0 r1 $mac_hop $mac_rtr >"$work/mgmt.out" 2>"$work/mgmt.err" &
  fwd_pid=$!
  for _ in $(seq 100); do grep -q ready "$work/mgmt.err" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$work/mgmt.err" || { cat "$work/mgmt.err" >&2; exit 1; }
  local r; r=$(measure)
  kill -TERM "$fwd_pid"; wait "$fwd_pid" || true; fwd_pid=
  sed 's/^/#   mgmt: /' "$work/mgmt.err" >&2
  topology_down
  echo "$r"
}

c_fwd() {
  topology_up
  ip netns exec "$rtr" nice -n -10 taskset -c 1 "$work/afp_fwd" r0 r1 $mac_r1 $mac_hop &
  fwd_pid=$!
  sleep 0.2
  local r; r=$(measure)
  stop_forwarder
  topology_down
  echo "$r"
}

# DNAT, kube-proxy's way and ours (cases dnat): the traffic goes to the service address 10.201.9.9 port 9, which
# becomes 10.201.2.2 port 5353. "established": 1024 flows over and over (connection tracking finds each); "new":
# every frame a new flow (sources all over 172.16.0.0/12), flows idle for 1 s end on both sides. Both sides have
# SERVICES services: iptables-legacy nat rules in one chain (kube-proxy's KUBE-SERVICES; the traffic's the last),
# the dataplane's service proxy.
kernel_dnat() {
  local services=$1 fresh=$2
  topology_up
  kernel_router
  ip netns exec "$rtr" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.r0.rp_filter=0 net.netfilter.nf_conntrack_udp_timeout=1 \
    net.netfilter.nf_conntrack_udp_timeout_stream=1 2>/dev/null || true
  sysctl -qw net.netfilter.nf_conntrack_max=1048576 2>/dev/null || true
  bash "$here/kube-nat-rules.sh" "$services" >"$work/nat"
  ip netns exec "$rtr" iptables-legacy-restore <"$work/nat"
  local r; r=$(measure 10.201.9.9 $fresh)
  echo "#   conntrack: $(cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null) entries at the end (all namespaces)" >&2
  topology_down
  echo "$r"
}

mgmt_dnat() {
  local services=$1 fresh=$2
  topology_up
  nice -n -10 taskset -c 1 "$bench" afpacket-dnat $((warm + seconds + 30)) "$services" 1000 "$rtr" r0 r1 $mac_hop $mac_rtr >"$work/mgmt.out" 2>"$work/mgmt.err" &
  fwd_pid=$!
  for _ in $(seq 300); do grep -q ready "$work/mgmt.err" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$work/mgmt.err" || { cat "$work/mgmt.err" >&2; exit 1; }
  local r; r=$(measure 10.201.9.9 $fresh)
  kill -TERM "$fwd_pid"; wait "$fwd_pid" || true; fwd_pid=
  sed 's/^/#   mgmt: /' "$work/mgmt.err" >&2
  topology_down
  echo "$r"
}

kernel() {
  local rules=$1
  topology_up
  kernel_router
  if [ "$rules" -gt 0 ]; then
    # Legacy iptables, FORWARD chain: rules-1 drops that the traffic does not match (other sources with /32, /28,
    # /24, /20 prefixes, TCP or UDP to ports 1000-2000, as the mem-acl cases), then accept.
    awk -v n="$rules" 'BEGIN {
      srand(42); print "*filter"; print ":FORWARD ACCEPT [0:0]"
      split("32 28 24 20", lengths, " ")
      for (i = 0; i < n - 1; i++) {
        len = lengths[i % 4 + 1]; a = int(rand() * 2^24); a = a - a % 2^(32 - len)
        printf "-A FORWARD -s 172.%d.%d.%d/%d -p %s --dport 1000:2000 -j DROP\n", int(a / 65536), int(a / 256) % 256, a % 256, len, (i % 2 ? "udp" : "tcp")
      }
      print "-A FORWARD -j ACCEPT"; print "COMMIT" }' >"$work/rules"
    ip netns exec "$rtr" iptables-legacy-restore <"$work/rules"
    echo "#   iptables: $(ip netns exec "$rtr" iptables-legacy -S FORWARD | wc -l) lines in FORWARD" >&2
  fi
  local r; r=$(measure)
  topology_down
  echo "$r"
}

# BAFP_CASES picks cases for a look at one of them (default: all five; the lines need all). The dataplane and the
# C forwarder, whose ratio is the goal, run BAFP_ROUNDS times alternately (default 3) and each gives its median: on
# this VM one run of either can lose a third to the host's other load.
cases=${BAFP_CASES:-mgmt c kernel mgmt-acl iptables}
rounds=${BAFP_ROUNDS:-3}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
m=n/a c=n/a k=n/a ma=n/a i=n/a
ms=() cs=()
for round in $(seq "$rounds"); do
  for case in $cases; do
    case $case in
      mgmt) echo "# afpacket-ip4: mgmt, round $round" >&2; ms+=("$(mgmt 0)") ;;
      c) echo "# afpacket-ip4: c, round $round" >&2; cs+=("$(c_fwd)") ;;
    esac
  done
done
if [[ " $cases " == *" dnat "* ]]; then
  # The DNAT cases alternate too (median of the rounds each), with 10k services on both sides.
  services=${BAFP_SERVICES:-10000}
  de=() ke=() dn=() kn=()
  for round in $(seq "$rounds"); do
    echo "# veth-dnat: round $round" >&2
    de+=("$(mgmt_dnat "$services" "")"); ke+=("$(kernel_dnat "$services" "")")
    dn+=("$(mgmt_dnat "$services" new)"); kn+=("$(kernel_dnat "$services" new)")
  done
  echo "# veth-dnat rounds: established mgmt ${de[*]} iptables ${ke[*]}; new mgmt ${dn[*]} iptables ${kn[*]}" >&2
  printf 'veth-dnat-established\t%s\tiptables-dnat-%s\t%s\n' "$(median "${de[@]}")" "$services" "$(median "${ke[@]}")"
  printf 'veth-dnat-new\t%s\tiptables-dnat-%s\t%s\n' "$(median "${dn[@]}")" "$services" "$(median "${kn[@]}")"
  [ "$cases" = dnat ] && exit 0
fi
[ ${#ms[@]} -gt 0 ] && m=$(median "${ms[@]}") && echo "# mgmt rounds: ${ms[*]}" >&2
[ ${#cs[@]} -gt 0 ] && c=$(median "${cs[@]}") && echo "# c rounds: ${cs[*]}" >&2
for case in $cases; do
  case $case in
    kernel) echo "# afpacket-ip4: kernel" >&2; k=$(kernel 0) ;;
    mgmt-acl) echo "# afpacket-ip4: mgmt-acl" >&2; ma=$(mgmt 10000) ;;
    iptables) echo "# afpacket-ip4: iptables" >&2; i=$(kernel 10000) ;;
  esac
done
printf 'afpacket-ip4\t%s\tc-afpacket-fwd\t%s\n' "$m" "$c"
printf 'afpacket-ip4\t%s\tkernel\t%s\n' "$m" "$k"
printf 'afpacket-ip4\t%s\tiptables-10k\t%s\n' "$ma" "$i"
echo "# the iptables-10k line's mgmt number is the dataplane with an input ACL of 10k rules on r0 (rules of the same shape)" >&2
