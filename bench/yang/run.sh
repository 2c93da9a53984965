#!/usr/bin/env bash
# Whole-process comparison of the Mgmt YANG engine with libyang, in one run on the same files.
#   bench/yang/run.sh [--quick]
# Cases: compile the corpus modules libyang accepts (mgmt vs the libyang reference program vs yanglint),
# then parse+validate config documents of 1k/10k/100k entries in XML and JSON (mgmt vs ref vs yanglint):
# interfaces, ACL entries, static IPv4 routes and static IPv6 routes.
# Prints one tab-separated line per case: case, mgmt_s, mgmt_kb, libyang_s, libyang_kb, ratio_time, ratio_mem.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${MGMT_YANG_CORPUS:-$root/../shared/yang-corpus}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sizes="1000 10000 100000"
[ "${1:-}" = "--quick" ] && sizes="1000 10000"

command -v yanglint >/dev/null || { echo "yanglint missing: apt-get install -y libyang-tools libyang2-dev" >&2; exit 1; }
"$root/bench/libyang/build.sh" "$work/ref" >/dev/null
echo "building mgmt (Native AOT)..." >&2
mgmt="$work/mgmt/mgmt"
dotnet publish "$root/src/Cli" -c Release -r linux-x64 -p:PublishAot=true --artifacts-path "$work/art" -o "$work/mgmt" >"$work/publish.log" 2>&1 \
  || { echo "mgmt did not build (see below); its columns are n/a" >&2; tail -5 "$work/publish.log" >&2; mgmt=/nonexistent/mgmt; }

# time_of CMD... -> "seconds<TAB>maxrss_kb" (best wall time of 3 runs, its RSS)
time_of() {
  local best="" rss=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { echo "failed: $* : $(tail -3 "$work/err")" >&2; printf 'n/a\tn/a'; return; }
    read -r s kb < "$work/t"
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best=$s; rss=$kb; fi
  done
  printf '%s\t%s' "$best" "$rss"
}

# time_any CMD... -> like time_of, one run, whatever the exit code (yanglint fails on some module sets)
time_any() {
  /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>&1 || true
  # GNU time prefixes "Command exited with non-zero status N" on failure: the numbers are on the last line.
  read -r s kb < <(tail -1 "$work/t") || true
  [ -n "${s:-}" ] && printf '%s\t%s' "$s" "$kb" || printf 'n/a\tn/a'
}

row() { # case mgmt(s kb) ref(s kb)
  local name=$1 m=$2 r=$3
  local ms mk rs rk
  ms=$(cut -f1 <<<"$m"); mk=$(cut -f2 <<<"$m"); rs=$(cut -f1 <<<"$r"); rk=$(cut -f2 <<<"$r")
  awk -v n="$name" -v ms="$ms" -v mk="$mk" -v rs="$rs" -v rk="$rk" 'BEGIN{
    rt = (rs != "n/a" && ms != "n/a" && rs > 0) ? sprintf("%.2f", ms / rs) : "n/a"; rm = (rk != "n/a" && mk != "n/a" && rk > 0) ? sprintf("%.2f", mk / rk) : "n/a";
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n, ms, mk, rs, rk, rt, rm }'
}

# The accepted module list is cached; delete bench/yang/corpus-modules.txt to let libyang find it again.
list="$root/bench/yang/corpus-modules.txt"
[ -s "$list" ] || python3 "$root/bench/yang/corpus-list.py" "$work/ref" "$corpus" > "$list"
mapfile -t mods < <(sed "s|^|$corpus/|" "$list")

printf 'case\tmgmt_s\tmgmt_maxrss_kb\tlibyang_s\tlibyang_maxrss_kb\tratio_time\tratio_mem\n'
row "corpus-compile-${#mods[@]}" "$(time_of "$mgmt" yang check -p "$corpus" "${mods[@]}")" "$(time_of "$work/ref" compile "$corpus" "${mods[@]}")"
row "corpus-compile-${#mods[@]}-vs-yanglint" "$(time_of "$mgmt" yang check -p "$corpus" "${mods[@]}")" "$(time_any yanglint -p "$corpus" "${mods[@]}")"

schema=("$root"/yang/ietf-interfaces@*.yang "$root"/yang/ietf-ip@*.yang "$root"/yang/iana-if-type@*.yang
        "$root"/yang/ietf-routing@*.yang "$root"/yang/ietf-ipv4-unicast-routing@*.yang "$root"/yang/ietf-access-control-list@*.yang)
# IPv6 routes: the same modules with the IPv6 unicast routing module in place of the IPv4 one.
schema6=("${schema[@]/*ietf-ipv4-unicast-routing@*/$(ls "$root"/yang/ietf-ipv6-unicast-routing@*.yang)}")
for n in $sizes; do
  python3 "$root/bench/yang/gen-data.py" "$work/data" "$n"
  for kind in interfaces acl routes routes6; do
    if [ "$kind" = routes6 ]; then s=("${schema6[@]}"); else s=("${schema[@]}"); fi
    for fmt in xml json; do
      doc="$work/data/$kind-$n.$fmt"
      m=$(time_of "$mgmt" yang validate -p "$root/yang" --schema "${s[@]}" --type config "$doc")
      row "$kind-$n-$fmt" "$m" "$(time_of "$work/ref" data "$root/yang" "$doc" "${s[@]}")"
    done
  done
  row "interfaces-$n-xml-vs-yanglint" "$(time_of "$mgmt" yang validate -p "$root/yang" --schema "${schema[@]}" --type config "$work/data/interfaces-$n.xml")" \
      "$(time_any yanglint -t config -p "$root/yang" "${schema[@]}" "$work/data/interfaces-$n.xml")"
done
