#!/usr/bin/python3
"""Golden fragmentation (RFC 791 §3.2, RFC 1812 §5.2.6), made and checked with scapy (an independent decoder).

The router of golden.py with if1's MTU at 576 and an IP-in-IP tunnel t (10.0.2.1 -> 10.0.2.2 over if1, MTU 1000)
carrying 10.99.0.0/16: what A sends too big for if1 must leave as fragments that scapy's defragment puts together
into the packet A sent (TTL one lower), also when it came as fragments already, carried IP options, or went
through the tunnel (its fragments encapsulated, and the outer packets fragmented again at if1's MTU).

  fragments.py make IN.pcap              frames host A sends to the router's if0
  fragments.py check IF0.pcap IF1.pcap   what the router sent on if0 and if1
"""
import sys
from scapy.all import (Ether, IP, IPerror, UDP, ICMP, IPOption_NOP, IPOption_RR, IPOption_Router_Alert, Raw,
                       defragment, fragment, rdpcap, wrpcap, raw)
from golden import IF0, IF1, A, B, checksums_valid

MTU, TUNNEL_MTU, TTL = 576, 1000, 20
OPTIONS = [IPOption_NOP(), IPOption_RR(routers=["0.0.0.0"]), IPOption_Router_Alert()]


def data(n, seed):
    return bytes((i * seed + i // 256) & 0xFF for i in range(n))


def datagrams():
    """The packets A sends, by IP id; 4 is sent as fragments of 1200 bytes already, 5 has DF, 6 fits."""
    ip = dict(src="10.0.1.2", ttl=TTL)
    return {
        1: IP(dst="192.168.7.9", id=1, **ip) / UDP(sport=5000, dport=6000) / Raw(data(1800, 7)),
        2: IP(dst="10.0.2.2", id=2, **ip) / ICMP(type=8, id=9, seq=1) / Raw(data(1400, 11)),
        3: IP(dst="10.0.2.2", id=3, options=OPTIONS, **ip) / UDP(sport=5003, dport=6003) / Raw(data(1500, 13)),
        4: IP(dst="10.0.2.2", id=4, **ip) / UDP(sport=5004, dport=6004) / Raw(data(3000, 17)),
        5: IP(dst="10.0.2.2", id=5, flags="DF", **ip) / UDP(sport=5005, dport=6005) / Raw(data(1000, 19)),
        6: IP(dst="10.0.2.2", id=6, **ip) / UDP(sport=5006, dport=6006) / Raw(b"fits"),
        7: IP(dst="10.99.0.5", id=7, **ip) / UDP(sport=5007, dport=6007) / Raw(data(1800, 23)),
    }


def frames():
    e = Ether(dst=IF0, src=A)
    for n, d in datagrams().items():
        d = IP(raw(d))  # checksums computed
        if n == 4:
            yield from (e / f for f in fragment(d, fragsize=1200))
        else:
            yield e / d


def header_checksum_valid(ip):
    h = IP(raw(ip))
    want = h.chksum
    del h.chksum
    return IP(raw(h)).chksum == want


def check(if0, if1):
    out0, out1 = rdpcap(if0), rdpcap(if1)
    sent = {n: IP(raw(d)) for n, d in datagrams().items()}
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    # if0: only "fragmentation needed" for the DF packet, with the MTU, quoting it.
    expect(len(out0) == 1, f"if0 sent {len(out0)} frames, expected 1")
    for p in out0:
        expect(checksums_valid(p) and ICMP in p and (p[ICMP].type, p[ICMP].code, p[ICMP].nexthopmtu) == (3, 4, MTU)
               and IPerror in p and p[IPerror].id == 5, f"fragmentation needed: {p.summary()}")

    # if1: every frame fits, to B, header checksum right, data of 8-byte units unless the last piece.
    direct, tunnelled = [], []
    for p in out1:
        ip = p[IP]
        expect(p.src == IF1 and p.dst == B, f"MACs: {p.summary()}")
        expect(ip.len == len(raw(ip)) <= MTU, f"{ip.len} bytes over MTU {MTU}: {p.summary()}")
        expect(header_checksum_valid(ip), f"bad header checksum: {p.summary()}")
        expect(not ip.flags.DF, f"DF set: {p.summary()}")
        expect(not ip.flags.MF or (ip.len - ip.ihl * 4) % 8 == 0, f"a fragment with MF of {ip.len - ip.ihl * 4} data bytes")
        (tunnelled if ip.proto == 4 else direct).append(p)
        if ip.id == 3 and ip.frag > 0:
            expect([o.option for o in ip.options if o.option != 0] == [IPOption_Router_Alert().option]
                   and all(o.copy_flag for o in ip.options if o.option != 0), f"later fragment's options: {ip.options}")

    # Each datagram's pieces: MF on all but the last (also those cut from a fragment already), never on the last.
    for key in {(p[IP].src, p[IP].dst, p[IP].proto, p[IP].id) for p in direct if p[IP].flags.MF or p[IP].frag}:
        pieces = sorted((p[IP] for p in direct if (p[IP].src, p[IP].dst, p[IP].proto, p[IP].id) == key), key=lambda ip: ip.frag)
        expect([bool(ip.flags.MF) for ip in pieces] == [True] * (len(pieces) - 1) + [False], f"MF of datagram {key[3]}'s pieces")

    # Through the tunnel: the outer packets put together hold the inner fragments, each within the tunnel's MTU.
    inner = []
    for p in defragment(tunnelled):
        outer = IP(raw(p[IP]))
        expect((outer.src, outer.dst, outer.flags.MF, outer.frag) == ("10.0.2.1", "10.0.2.2", False, 0), f"outer: {outer.summary()}")
        i = outer[IP].payload
        expect(isinstance(i, IP) and i.len <= TUNNEL_MTU and header_checksum_valid(i), f"inner fragment: {outer.summary()}")
        inner.append(Ether(dst=B, src=IF1) / i)
    expect(len(inner) == 2, f"{len(inner)} packets through the tunnel, expected 2 (1800 bytes at MTU {TUNNEL_MTU})")

    whole = {}
    for p in list(defragment(direct)) + list(defragment(inner)):
        ip = IP(raw(p[IP]))
        expect(ip.id not in whole and not ip.flags.MF and ip.frag == 0, f"not put together: {ip.summary()}")
        whole[ip.id] = Ether(raw(Ether(dst=B, src=IF1) / ip))
    expect(sorted(whole) == [1, 2, 3, 4, 6, 7], f"datagrams out: {sorted(whole)}")
    for n, p in whole.items():
        ip, want = p[IP], sent[n]
        expect(checksums_valid(p), f"datagram {n}: bad checksum: {p.summary()}")
        expect((ip.src, ip.dst, ip.proto, ip.ttl) == (want.src, want.dst, want.proto, want.ttl - 1), f"datagram {n}: header {ip.summary()}")
        expect(raw(ip.payload) == raw(want.payload), f"datagram {n}: payload differs")
        expect(raw(ip)[20:ip.ihl * 4] == raw(want)[20:want.ihl * 4], f"datagram {n}: options differ")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"fragments: {len(out0) + len(out1)} frames checked, {len(whole)} datagrams put together")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        wrpcap(sys.argv[2], list(frames()))
    else:
        check(sys.argv[2], sys.argv[3])
