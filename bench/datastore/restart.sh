#!/usr/bin/env bash
# Issue 4 benchmark (e): how long mgmtd takes from start to "mgmtd ready" (serving) with N interfaces in
# running, and its memory then; N defaults to 250000. Also the daemon's memory with an empty running, for (d).
#   bash bench/datastore/restart.sh [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-250000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet publish "$root/src/Mgmtd" -c Release -o "$work/mgmtd" --artifacts-path "$work/art" >"$work/publish.log" 2>&1 || { tail -5 "$work/publish.log"; exit 1; }
python3 "$root/bench/yang/gen-data.py" "$work/data" "$n" >/dev/null

# start STATE -> "seconds_to_ready<TAB>rss_kb_when_ready"
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
  kill -TERM $pid; wait $pid || true
  awk -v a="$t0" -v b="$t1" -v r="$rss" 'BEGIN{printf "%.2f\t%s\n", b-a, r}'
}

mkdir -p "$work/empty" "$work/full"
start "$work/empty" >/dev/null # first start creates users and the initial configuration
empty=$(start "$work/empty")
cp "$work/data/interfaces-$n.json" "$work/full/running.json"
MGMT_ADMIN_PASSWORD=x true
full=$(start "$work/full")
printf 'case\tseconds_to_ready\trss_kb\n'
printf 'empty running\t%s\n' "$empty"
printf '%s interfaces in running\t%s\n' "$n" "$full"
