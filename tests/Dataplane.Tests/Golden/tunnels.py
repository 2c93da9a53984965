#!/usr/bin/python3
"""Golden tunnel packets, made and checked with scapy (an independent decoder).

The router: if0 inside (host A), if1 the underlay (far ends 192.0.2.2/.3 and 2001:db8:f::2/::3 behind B's MAC);
tunnels gre4 (GRE over IPv4, key 42), ipip4 (IP in IPv4), gre6 (GRE over IPv6), ipip6 (IP in IPv6), each
carrying 10.10N.0.0/16 and 2001:db8:10N::/48 (N = 1..4).

  tunnels.py make IF0-IN.pcap IF1-IN.pcap   what A sends (to be encapsulated), what the far ends send (to be decapsulated)
  tunnels.py check IF0-OUT.pcap IF1-OUT.pcap
"""
import sys
from scapy.all import Ether, IP, IPv6, GRE, UDP, Raw, rdpcap, wrpcap, raw

IF0, IF1, A, B = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:aa:00:00:00:0a", "02:bb:00:00:00:0b"
TUNNELS = {  # n: (kind, outer family, our address, far end, GRE key)
    1: ("gre", 4, "192.0.2.1", "192.0.2.2", 42),
    2: ("ipip", 4, "192.0.2.1", "192.0.2.3", None),
    3: ("gre", 6, "2001:db8:f::1", "2001:db8:f::2", None),
    4: ("ipip", 6, "2001:db8:f::1", "2001:db8:f::3", None),
}


def inner(n, v6, towards_a):
    """The packet inside: from A into tunnel n's networks, or back from them to A."""
    if v6:
        far, near = f"2001:db8:10{n}::5", "2001:db8:1::2"
        ip = IPv6(src=near, dst=far, hlim=20) if not towards_a else IPv6(src=far, dst=near, hlim=20)
    else:
        far, near = f"10.10{n}.0.5", "10.0.1.2"
        ip = IP(src=near, dst=far, ttl=20, id=n) if not towards_a else IP(src=far, dst=near, ttl=20, id=100 + n)
    return ip / UDP(sport=4000 + n, dport=5000 + n) / Raw(f"tunnel {n} v{6 if v6 else 4} {'in' if towards_a else 'out'}".encode())


def outer(n):
    kind, family, ours, far, key = TUNNELS[n]
    ip = IP(src=far, dst=ours, ttl=60) if family == 4 else IPv6(src=far, dst=ours, hlim=60)
    return ip, kind, key


def make(if0_in, if1_in):
    wrpcap(if0_in, [Ether(dst=IF0, src=A) / inner(n, v6, False) for n in TUNNELS for v6 in (False, True)])
    frames = []
    for n in TUNNELS:
        for v6 in (False, True):
            ip, kind, key = outer(n)
            payload = inner(n, v6, True)
            if kind == "gre":
                frames.append(Ether(dst=IF1, src=B) / ip / (GRE(key_present=1, key=key) if key is not None else GRE()) / payload)
            else:
                frames.append(Ether(dst=IF1, src=B) / ip / payload)
    # A GRE packet with the wrong key belongs to no tunnel: it must not come out.
    frames.append(Ether(dst=IF1, src=B) / IP(src="192.0.2.2", dst="192.0.2.1") / GRE(key_present=1, key=43) / inner(1, False, True))
    wrpcap(if1_in, frames)


def checksums_valid(pkt):
    p = Ether(raw(pkt))
    for layer in (IP, UDP):
        for i in range(4):
            l = p.getlayer(layer, i + 1)
            if l is not None and hasattr(l, "chksum"):
                del l.chksum
    return raw(Ether(raw(p))) == raw(pkt)


def check(if0_out, if1_out):
    out0, out1 = rdpcap(if0_out), rdpcap(if1_out)
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    expect(len(out1) == 8, f"if1 sent {len(out1)} frames, expected 8 (4 tunnels x IPv4/IPv6)")
    expect(len(out0) == 8, f"if0 sent {len(out0)} frames, expected 8 (the wrong-key packet dropped)")
    for p in list(out0) + list(out1):
        expect(checksums_valid(p), f"bad checksum: {p.summary()}")
    # Encapsulated: one per tunnel and inner family.
    for p in out1:
        expect(p.src == IF1 and p.dst == B, f"underlay MACs: {p.summary()}")
        o = p.payload
        family = 4 if isinstance(o, IP) else 6
        n = next((k for k, t in TUNNELS.items() if t[1] == family and t[3] == o.dst), None)
        if n is None:
            failures.append(f"no tunnel goes to {o.dst}")
            continue
        kind, _, ours, far, key = TUNNELS[n]
        expect(o.src == ours, f"tunnel {n}: outer source {o.src}")
        hops = o.ttl if family == 4 else o.hlim
        expect(hops == 64, f"tunnel {n}: outer TTL {hops}")
        proto = o.proto if family == 4 else o.nh
        body = o.payload
        if kind == "gre":
            expect(proto == 47 and isinstance(body, GRE), f"tunnel {n}: outer protocol {proto}")
            expect(body.chksum_present == 0 and body.seqnum_present == 0 and body.version == 0, f"tunnel {n}: GRE flags")
            expect((body.key_present == 1 and body.key == key) if key is not None else body.key_present == 0, f"tunnel {n}: GRE key")
            expect(body.proto in (0x0800, 0x86DD), f"tunnel {n}: GRE protocol type {body.proto:#x}")
            body = body.payload
        else:
            expect(proto == (4 if isinstance(body, IP) else 41), f"tunnel {n}: outer protocol {proto} for {body.summary()}")
        if family == 4:
            expect(o.len == len(raw(o)), f"tunnel {n}: outer total length {o.len}")
        else:
            expect(o.plen == len(raw(o.payload)), f"tunnel {n}: outer payload length {o.plen}")
        v6 = isinstance(body, IPv6)
        if family == 4:
            expect(o.flags.DF == (1 if v6 else 0), f"tunnel {n}: DF {o.flags}")
        want = inner(n, v6, False)
        got_hops = body.hlim if v6 else body.ttl
        expect(got_hops == 19, f"tunnel {n}: inner TTL {got_hops}")
        expect(body.src == want.src and body.dst == want.dst and raw(body[UDP]) == raw(IPv6(raw(want))[UDP] if v6 else IP(raw(want))[UDP]),
               f"tunnel {n}: inner packet {body.summary()}")
    # Decapsulated and forwarded to A.
    seen = set()
    for p in out0:
        expect(p.src == IF0 and p.dst == A, f"inside MACs: {p.summary()}")
        ip = p.payload
        v6 = isinstance(ip, IPv6)
        n = int((ip.src.split(":")[2] if v6 else ip.src.split(".")[1])[-1])
        want = inner(n, v6, True)
        expect((ip.hlim if v6 else ip.ttl) == 19, f"decapsulated {n}: TTL")
        expect(ip.src == want.src and ip.dst == want.dst and raw(ip[UDP]) == raw(IPv6(raw(want))[UDP] if v6 else IP(raw(want))[UDP]),
               f"decapsulated {n}: {ip.summary()}")
        seen.add((n, v6))
    expect(len(seen) == 8, f"decapsulated from {sorted(seen)}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"tunnels: {len(out0) + len(out1)} frames checked")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        check(sys.argv[2], sys.argv[3])
