#!/usr/bin/env bash
# Issue 4 benchmark (a): 1000 round trips of a <get-config> of one leaf on one NETCONF session (Unix socket,
# base:1.1), mgmtd against a minimal libnetconf2 server (ln2-server.c) answering the same leaf, in one run,
# alternating, 3 runs each. Needs: gcc, libnetconf2-dev, libssh-dev, libssl-dev, libyang2-dev (Debian).
#   bash bench/netconf/run.sh [COUNT]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${MGMT_YANG_CORPUS:-$root/../shared/yang-corpus}
count=${1:-1000}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

gcc -O2 -Wall -o "$work/ln2-server" "$root/bench/netconf/ln2-server.c" -lnetconf2 -lyang
# ietf-netconf and its imports for libyang: ours when yang/ has them, otherwise the published ones.
mkdir -p "$work/yang"
for m in ietf-netconf@2011-06-01 ietf-netconf-acm@2018-02-14 ietf-netconf-with-defaults@2011-06-01; do
  cp "$root/yang/$m.yang" "$work/yang/" 2>/dev/null || cp "$corpus/$m.yang" "$work/yang/"
done
dotnet publish "$root/src/Mgmtd" -c Release -o "$work/mgmtd" --artifacts-path "$work/art" >"$work/publish.log" 2>&1 || { tail -5 "$work/publish.log"; exit 1; }
dotnet build "$root/bench/Netconf.Bench" -c Release -o "$work/client" --artifacts-path "$work/art" >"$work/build.log" 2>&1 || { tail -5 "$work/build.log"; exit 1; }

mkdir -p "$work/state"
echo '{"ietf-interfaces:interfaces": {"interface": [{"name": "eth0", "description": "port 0", "type": "iana-if-type:ethernetCsmacd"}]}}' > "$work/state/running.json"
MGMT_ADMIN_PASSWORD=bench-admin-pw "$work/mgmtd/mgmtd" --state-dir "$work/state" --netconf-ssh none >"$work/mgmtd.log" 2>&1 & pids+=($!)
"$work/ln2-server" "$work/ln2.sock" "$work/yang" "$root/yang" 2>"$work/ln2.log" & pids+=($!)
until grep -q "mgmtd ready" "$work/mgmtd.log" && grep -q "ln2-server ready" "$work/ln2.log"; do sleep 0.1; done

printf 'server\trun\tseconds\tper_rpc_us\n'
for run in 1 2 3; do
  for server in mgmtd libnetconf2; do
    if [ $server = mgmtd ]; then args=(--socket "$work/state/netconf.sock" --mgmt-header); else args=(--socket "$work/ln2.sock"); fi
    out=$(dotnet "$work/client/Netconf.Bench.dll" "${args[@]}" --count "$count")
    printf '%s\t%s\t%s\t%s\n' $server $run "$(sed 's/.*seconds=\([0-9.]*\).*/\1/' <<<"$out")" "$(sed 's/.*per_rpc_us=\([0-9.]*\).*/\1/' <<<"$out")"
  done
done
