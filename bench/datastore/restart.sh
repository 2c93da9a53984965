#!/usr/bin/env bash
# Issue 4 benchmark (e): how long mgmtd takes from a restart to "mgmtd ready" (serving) with N interfaces in
# running (the daemon's own sealed snapshot; the first start on the copied file is shown too), and its memory then; N defaults to 250000. Also the daemon's memory with an empty running, for (d).
# The daemon is published as shipped: ReadyToRun for linux-x64 (precompiled, see src/Mgmtd/Mgmtd.csproj).
#   bash bench/datastore/restart.sh [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-250000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet publish "$root/src/Mgmtd" -c Release -r linux-x64 --self-contained false -o "$work/mgmtd" --artifacts-path "$work/art" >"$work/publish.log" 2>&1 || { tail -5 "$work/publish.log"; exit 1; }
python3 "$root/bench/yang/gen-data.py" "$work/data" "$n" >/dev/null

# start STATE -> "seconds_to_ready<TAB>rss_kb_when_ready<TAB>rss_kb_settled" (settled: 4 s after ready, when the
# daemon has collected what the load left behind)
start() {
  local state=$1
  local t0; t0=$(date +%s.%N)
  MGMT_ADMIN_PASSWORD=bench-admin-pw "$work/mgmtd/mgmtd" --state-dir "$state" --netconf-ssh none >"$state.log" 2>&1 &
  local pid=$!
  until grep -q "mgmtd ready" "$state.log" 2>/dev/null; do
    kill -0 $pid 2>/dev/null || { echo "mgmtd died:" >&2; tail -5 "$state.log" >&2; exit 1; }
    sleep 0.02
  done
  local t1; t1=$(date +%s.%N)
  local rss; rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
  sleep 4
  local settled; settled=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
  kill -TERM $pid; wait $pid || true
  awk -v a="$t0" -v b="$t1" -v r="$rss" -v s="$settled" 'BEGIN{printf "%.2f\t%s\t%s\n", b-a, r, s}'
}

# (d): N entries like the one-entry edit benchmark's (name and type only).
python3 -c "
import json, sys
n = int(sys.argv[1])
print(json.dumps({'ietf-interfaces:interfaces': {'interface': [{'name': 'eth%d' % i, 'type': 'iana-if-type:ethernetCsmacd'} for i in range(n)]}}))
" 100000 >"$work/simple-100000.json"

mkdir -p "$work/empty" "$work/full" "$work/simple"
start "$work/empty" >/dev/null # first start creates users and the initial configuration
empty=$(start "$work/empty")
cp "$work/data/interfaces-$n.json" "$work/full/running.json"
# The first start finds a file it did not write: it validates it in full and seals it. (e) is the restart after.
first=$(start "$work/full")
# The restart is timed 5 times (this machine's timings vary by +-15%): the median run's line, with the range.
for i in 1 2 3 4 5; do start "$work/full"; done | sort -n >"$work/restarts"
full="$(sed -n 3p "$work/restarts")	(5 restarts: $(cut -f1 "$work/restarts" | paste -sd' '))"

cp "$work/simple-100000.json" "$work/simple/running.json"
simple=$(start "$work/simple")
printf 'case\tseconds_to_ready\trss_kb_ready\trss_kb_settled\n'
printf 'empty running\t%s\n' "$empty"
printf '%s interfaces with IPv4 addresses, first start on a copied file\t%s\n' "$n" "$first"
printf '%s interfaces with IPv4 addresses, restart (e)\t%s\n' "$n" "$full"
printf '100000 interfaces, name and type only (d)\t%s\n' "$simple"
