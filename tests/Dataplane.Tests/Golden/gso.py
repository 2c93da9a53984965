#!/usr/bin/python3
"""Golden software GSO: superframes made by scapy, as a sender with TSO/GSO hands them to its NIC, and the segments
the dataplane cut of them checked against segments scapy makes itself (an independent segmentation: each one built
from the superframe's layers with its slice of the payload and its fields set, lengths and checksums left to scapy).

  gso.py make IN.pcap            superframes; stdout: one line "GSO_TYPE SEGMENT_SIZE" per frame
  gso.py check IN.pcap OUT.pcap  OUT holds the segments of IN's superframes, in order
"""
import sys
from scapy.all import Ether, IP, IPv6, IPv6ExtHdrDestOpt, TCP, UDP, Raw, rdpcap, wrpcap, raw

GSO_TCPV4, GSO_TCPV6, GSO_UDP_L4, GSO_ECN = 1, 4, 5, 0x80
E = Ether(dst="02:00:00:00:00:01", src="02:aa:00:00:00:0a")
TS = [("MSS", 1460), ("NOP", None), ("NOP", None), ("Timestamp", (123456, 654321)), ("NOP", None), ("WScale", 7)]


def data(n, seed):
    return bytes((i * seed + i // 256) & 0xFF for i in range(n))


def superframes():
    """(frame, gso_type, gso_size): TCP over IPv4 with options (FIN, PSH, CWR; the identification and sequence
    number wrap), TCP over IPv6 (one with a destination options header), UDP over IPv4 and IPv6, one that fits a
    single segment."""
    ip4 = IP(src="10.0.1.2", dst="10.0.2.2", flags="DF")
    ip6 = IPv6(src="2001:db8:a::2", dst="2001:db8:b::2")
    yield E / IP(src="10.0.1.2", dst="10.0.2.2", id=0xFFFE, flags="DF") / TCP(sport=40000, dport=80, seq=0xFFFFF000, ack=77, flags="FPAC", window=501, options=TS) / Raw(data(5000, 7)), GSO_TCPV4 | GSO_ECN, 1448
    yield E / ip4 / TCP(sport=40001, dport=80, seq=1, ack=2, flags="A") / Raw(data(1448 * 3, 11)), GSO_TCPV4, 1448
    yield E / ip6 / TCP(sport=40002, dport=443, seq=99, ack=5, flags="PA", options=TS[3:4]) / Raw(data(4000, 13)), GSO_TCPV6, 1428
    yield E / ip6 / IPv6ExtHdrDestOpt() / TCP(sport=40003, dport=443, seq=7, ack=5, flags="FA") / Raw(data(2500, 17)), GSO_TCPV6, 1000
    yield E / IP(src="10.0.1.2", dst="10.0.2.2", id=100) / UDP(sport=5000, dport=6000) / Raw(data(2500, 19)), GSO_UDP_L4, 1000
    yield E / ip6 / UDP(sport=5001, dport=6001) / Raw(data(3000, 23)), GSO_UDP_L4, 1200
    yield E / ip4 / TCP(sport=40004, dport=80, seq=5, ack=6, flags="PA") / Raw(data(700, 29)), GSO_TCPV4, 1448


def segments(frame, gso_type, size):
    """The segments of one superframe, made by scapy."""
    p = Ether(raw(frame))
    l4 = p[TCP] if TCP in p else p[UDP]
    payload = bytes(l4.payload)
    count = max(1, -(-len(payload) // size))
    for i in range(count):
        s = p.copy()
        seg = s[TCP] if TCP in s else s[UDP]
        seg.remove_payload()
        seg.add_payload(Raw(payload[i * size:(i + 1) * size]))
        if IP in s:
            s[IP].id = (p[IP].id + i) & 0xFFFF
            del s[IP].len, s[IP].chksum
        else:
            del s[IPv6].plen
        if TCP in s:
            seg.seq = (p[TCP].seq + i * size) & 0xFFFFFFFF
            flags = int(p[TCP].flags)
            if i != count - 1:
                flags &= ~0x09  # FIN, PSH
            if i != 0:
                flags &= ~0x80  # CWR
            seg.flags = flags
        else:
            del seg.len
        del seg.chksum
        yield Ether(raw(s))


def make(path):
    frames = []
    for frame, gso_type, size in superframes():
        frames.append(frame)
        print(gso_type, size)
    wrpcap(path, frames)


def check(inp, out):
    expected = [s for f in rdpcap(inp) for s in segments(f, *classify(f))]
    got = rdpcap(out)
    failures = []
    if len(got) != len(expected):
        failures.append(f"{len(got)} segments, expected {len(expected)}")
    for i, (g, e) in enumerate(zip(got, expected)):
        if raw(g) != raw(e):
            failures.append(f"segment {i}: got\n{Ether(raw(g)).show(dump=True)}\nexpected\n{e.show(dump=True)}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"{len(got)} segments as scapy makes them")


def classify(frame):
    """The GSO type and size a superframe was made with (as make printed them), from its order in superframes()."""
    for f, gso_type, size in superframes():
        if raw(f) == raw(frame):
            return gso_type, size
    raise SystemExit(f"not a superframe of make: {frame.summary()}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
