#!/usr/bin/python3
"""Prints the corpus modules that libyang accepts (each tried with its imports, all features on, by the reference program), in import order."""
import os, re, subprocess, sys

ref, corpus = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(corpus, "MANIFEST.tsv"))][1:]
files = [r[0] for r in rows if len(r) > 1 and r[1] == "module"]
by_name = {f.split("@")[0].removesuffix(".yang"): f for f in files}

def imports(f):
    text = open(os.path.join(corpus, f), encoding="utf-8").read()
    return [m for m in re.findall(r"^\s*import\s+([\w.-]+)", text, re.M) if m in by_name]

def closure(f, out, stack=()):
    """f's imports (transitively, within the corpus) then f: each is parsed explicitly so all its features are on."""
    if f in out or f in stack:
        return out
    for dep in imports(f):
        closure(by_name[dep], out, stack + (f,))
    out.append(f)
    return out

accepted = set()
for f in files:
    r = subprocess.run([ref, "compile", corpus] + [os.path.join(corpus, x) for x in closure(f, [])], capture_output=True)
    if r.returncode == 0:
        accepted.add(f)

order, seen = [], set()
def visit(f, stack=()):
    if f in seen or f in stack:
        return
    for dep in imports(f):
        visit(by_name[dep], stack + (f,))
    seen.add(f)
    if f in accepted:
        order.append(f)
for f in sorted(files):
    visit(f)
print("\n".join(order))
print(f"# libyang accepts {len(accepted)} of {len(files)} modules", file=sys.stderr)
