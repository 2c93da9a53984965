"""What the golden conversations (nat.py, lb.py) check with: failures gathered, checksums as scapy computes them."""
import sys
from scapy.all import Ether, IP, TCP, UDP, ICMP, raw
from scapy.layers.inet import IPerror, TCPerror, UDPerror, ICMPerror

failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


def checksums_valid(frame):
    """Every checksum scapy knows in the frame (IP, TCP, UDP, ICMP and an ICMP error's quoted headers) as scapy computes it."""
    p = Ether(raw(frame))
    for layer in list(p.iterpayloads()):
        if type(layer) not in (IP, TCP, UDP, ICMP, IPerror, TCPerror, UDPerror, ICMPerror):
            continue
        if type(layer) in (UDP, UDPerror) and layer.chksum == 0:
            continue  # none computed: stays none
        del layer.chksum
    return raw(Ether(raw(p))) == raw(frame)


def done(script, what, n):
    """Ends the step: the failures and exit 1, or how many frames were checked."""
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"{script} {what}: {n} frames checked")
