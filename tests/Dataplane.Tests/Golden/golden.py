#!/usr/bin/python3
"""Golden packets for the dataplane, made and checked with scapy (an independent decoder).

  golden.py make IN.pcap              frames host A sends to the router's if0
  golden.py check IF0.pcap IF1.pcap   what the router sent on if0 and if1: every field and checksum checked
"""
import sys
from scapy.all import Ether, IP, IPerror, UDP, TCP, ICMP, IPOption_RR, Raw, rdpcap, wrpcap, raw

IF0, IF1, A, B = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:aa:00:00:00:0a", "02:bb:00:00:00:0b"


def frames():
    e = Ether(dst=IF0, src=A)
    yield e / IP(src="10.0.1.2", dst="192.168.7.9", ttl=9, id=1) / UDP(sport=5000, dport=6000) / Raw(b"hello, router")
    yield e / IP(src="10.0.1.2", dst="10.0.2.2", ttl=64, id=2) / TCP(sport=1234, dport=80, flags="S", seq=1000)
    yield e / IP(src="10.0.1.2", dst="10.0.1.1", id=3) / ICMP(type=8, id=7, seq=1) / Raw(b"ping payload 0123456789")
    yield e / IP(src="10.0.1.2", dst="192.168.1.1", ttl=1, id=4) / UDP(sport=5001, dport=6001) / Raw(b"dies here")
    bad = e / IP(src="10.0.1.2", dst="10.0.2.2", id=5) / UDP(sport=1, dport=2)
    bad = Ether(raw(bad))
    bad[IP].chksum ^= 0xFFFF
    yield bad
    yield e / IP(src="10.0.1.2", dst="10.0.2.2", ttl=5, id=6, options=[IPOption_RR(routers=["0.0.0.0"])]) / UDP(sport=7, dport=8) / Raw(b"options")


def checksums_valid(pkt):
    """Recomputed by scapy: the packet with its checksums cleared, rebuilt, must be byte-for-byte the same."""
    p = Ether(raw(pkt))
    for layer in (IP, UDP, TCP, ICMP):
        if layer in p:
            del p[layer].chksum
    return raw(Ether(raw(p))) == raw(pkt)


def check(if0, if1):
    out0, out1 = rdpcap(if0), rdpcap(if1)
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    expect(len(out1) == 3, f"if1 sent {len(out1)} frames, expected 3")
    expect(len(out0) == 2, f"if0 sent {len(out0)} frames, expected 2")
    for p in list(out0) + list(out1):
        expect(checksums_valid(p), f"bad checksum: {p.summary()}")
    by_id = {p[IP].id: p for p in out1 if IP in p}
    udp = by_id.get(1)
    expect(udp is not None and udp.dst == B and udp.src == IF1 and udp[IP].ttl == 8 and udp[UDP].load == b"hello, router",
           f"routed UDP: {udp and udp.show(dump=True)}")
    tcp = by_id.get(2)
    expect(tcp is not None and tcp[IP].ttl == 63 and tcp[TCP].flags == "S" and tcp[TCP].seq == 1000, "forwarded TCP SYN")
    opt = by_id.get(6)
    expect(opt is not None and opt[IP].ttl == 4 and opt[IP].ihl > 5 and opt[IP].options and opt[UDP].load == b"options", "forwarded packet with IP options")
    echo = [p for p in out0 if ICMP in p and p[ICMP].type == 0]
    expect(len(echo) == 1 and echo[0][IP].src == "10.0.1.1" and echo[0][IP].dst == "10.0.1.2" and echo[0].dst == A
           and echo[0][ICMP].id == 7 and echo[0][ICMP].seq == 1 and echo[0][Raw].load == b"ping payload 0123456789", "echo reply")
    exceeded = [p for p in out0 if ICMP in p and p[ICMP].type == 11]
    expect(len(exceeded) == 1 and exceeded[0][ICMP].code == 0 and exceeded[0][IP].src == "10.0.1.1"
           and exceeded[0][IPerror].id == 4 and exceeded[0][IPerror].ttl == 1, "time exceeded quoting the original")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"golden: {len(out0) + len(out1)} frames checked")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        wrpcap(sys.argv[2], list(frames()))
    else:
        check(sys.argv[2], sys.argv[3])
