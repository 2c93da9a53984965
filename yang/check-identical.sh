#!/usr/bin/env bash
# Checks that every module in this folder is schema-identical to the published module of the
# same name and revision: `yanglint -f tree` output must match byte for byte, and the statement
# trees printed as YIN must match once the free-text statements (description, reference,
# organization, contact, error-message, presence text) are removed. yanglint must accept our
# files without any warning.
#
# Usage: yang/check-identical.sh [CORPUS_DIR]   (default: ../shared/yang-corpus next to the repo)
# Needs: yanglint (Debian package libyang-tools), python3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:-$(cd "$here/../.." && pwd)/shared/yang-corpus}
if ! command -v yanglint >/dev/null; then echo "yanglint not found (apt-get install -y libyang-tools)" >&2; exit 2; fi
if [ ! -d "$corpus" ]; then echo "corpus folder $corpus not found" >&2; exit 2; fi

pass=0; fail=0
for file in "$here"/*.yang; do
  name=$(basename "$file")
  # mgmt-* modules are Mgmt's own, with no published original to compare with.
  # notifications@2008-07-14 (RFC 5277's create-subscription) was published as an XML schema only; its YANG form
  # is not in the corpus. It was compared once, tree for tree, with the YANG conversion that NETCONF servers ship.
  case "$name" in mgmt-*|notifications@2008-07-14.yang) continue ;; esac
  if [ ! -f "$corpus/$name" ]; then echo "FAIL $name: no original $name in $corpus"; fail=$((fail+1)); continue; fi
  # A submodule is printed through the module it belongs to.
  target=("$name")
  if head -c 2000 "$file" | grep -q '^submodule '; then
    main=$(sed -n 's/^ *belongs-to \([A-Za-z0-9_.-]*\).*/\1/p' "$file" | head -1)
    target=(-s "${name%%@*}" "$(cd "$here" && ls "$main"@*.yang | head -1)")
  fi
  theirs=$(cd "$corpus" && yanglint -f tree -p . "${target[@]}" 2>/dev/null); theirs_rc=$?
  # Warnings the published module itself draws (ietf-netconf-notifications' when on uses) are allowed in ours too.
  theirs_warn=$(cd "$corpus" && yanglint -p . "${target[@]}" 2>&1 >/dev/null)
  # yanglint 2.1's tree printer crashes on some modules (ietf-netconf and those that import it, ietf-origin),
  # the published ones too: those are compiled without printing, and compared by their statements below.
  format=(-f tree); [ $theirs_rc -ne 0 ] && format=()
  ours=$(cd "$here" && yanglint "${format[@]}" -p . "${target[@]}" 2>/tmp/check-identical.$$.err); ours_rc=$?
  warn=$(cat /tmp/check-identical.$$.err); rm -f /tmp/check-identical.$$.err
  if [ $ours_rc -ne 0 ] || { [ -n "$warn" ] && [ "$warn" != "$theirs_warn" ]; }; then echo "FAIL $name: yanglint reports: $warn"; fail=$((fail+1)); continue; fi
  if [ $theirs_rc -eq 0 ] && { [ -z "$ours" ] || [ "$ours" != "$theirs" ]; }; then
    echo "FAIL $name: tree differs"; diff <(echo "$theirs") <(echo "$ours") | head -20; fail=$((fail+1)); continue
  fi
  if ! python3 - "$here" "$corpus" "${target[@]}" <<'PY'
import re, subprocess, sys, xml.etree.ElementTree as ET
# 'text' is how yanglint prints the description inside an extension instance (md:annotation).
FREE_TEXT = {'description', 'reference', 'organization', 'contact', 'error-message', 'text'}
def statements(folder, target):
    run = subprocess.run(['yanglint', '-f', 'yin', '-p', '.', *target], cwd=folder, capture_output=True, text=True)
    # yanglint 2.1 closes an include element that has substatements with "}" instead of </include>
    yin = re.sub(r'(?m)^(\s*)\}\s*$', r'\1</include>', run.stdout)
    try:
        root = ET.fromstring(yin)
    except ET.ParseError:
        return None
    lines = []
    def walk(e, depth):
        tag = e.tag.split('}')[1]
        if tag in FREE_TEXT:
            return
        attrs = {} if tag == 'presence' else {k: ' '.join(v.split()).replace('( ', '(') for k, v in e.attrib.items()}
        text = ' '.join(e.text.split()) if e.text and e.text.strip() and len(e) == 0 else ''
        lines.append(f"{'  ' * depth}{tag} {sorted(attrs.items())} {text}")
        for c in e:
            walk(c, depth + 1)
    walk(root, 0)
    return lines
ours, theirs = statements(sys.argv[1], sys.argv[3:]), statements(sys.argv[2], sys.argv[3:])
if ours is None or ours != theirs:
    import difflib
    print('\n'.join(list(difflib.unified_diff(theirs or [], ours or [], 'original', 'ours', lineterm=''))[:20]))
    sys.exit(1)
PY
  then echo "FAIL $name: statements differ"; fail=$((fail+1)); continue; fi
  echo "ok   $name"; pass=$((pass+1))
done
echo "$pass identical, $fail different"
[ $fail -eq 0 ]
