#!/usr/bin/python3
"""Path MTU through the load balancer's tunnel modes, made and checked with scapy (an independent decoder).

The router as in lb.py ("front" 10.0.0.1/24 and 2001:db8:a::1/64 with the client, "back" 10.1.0.1/24 and
2001:db8:b::1/64 with the server, tunnel sources 10.1.0.1 and 2001:db8:b::1), the back link's MTU 1400; VIPs
192.0.2.101 (GRE over IPv4), 2001:db8:f::80 (IPv6 in IPv6) and 192.0.2.103 (GRE over IPv6).

  lbmtu.py step1 DIR   the client's packets (1-front.pcap): 1400 bytes with DF to the GRE VIP, a small one to it, a small IPv6
                       one, and 1400 bytes without DF to the GRE-over-IPv6 VIP
  lbmtu.py step2 DIR   checks the client's "fragmentation needed" (1-front-sent.pcap) and the tunnel packets (1-back-sent.pcap:
                       the loose packet's outer IPv6 packet in fragments that scapy puts back together);
                       a router on the server side reports both tunnel packets too big (2-back.pcap)
  lbmtu.py check DIR   checks the relayed errors as the client got them (2-front-sent.pcap)
"""
import os
import sys
from checks import expect, done
from scapy.all import Ether, IP, IPv6, TCP, UDP, GRE, ICMP, Raw, rdpcap, wrpcap, raw
from scapy.layers.inet6 import ICMPv6PacketTooBig, IPv6ExtHdrFragment, defragment6

FRONT, BACK, CLIENT_MAC, SERVER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:aa:00:00:00:02", "02:bb:00:00:00:01"
CLIENT, CLIENT6 = "10.0.0.2", "2001:db8:a::2"


def client_packets():
    big = Ether(dst=FRONT, src=CLIENT_MAC) / IP(src=CLIENT, dst="192.0.2.101", ttl=64, flags="DF", id=1) / UDP(sport=4000, dport=53) / Raw(b"x" * (1400 - 28))
    small = Ether(dst=FRONT, src=CLIENT_MAC) / IP(src=CLIENT, dst="192.0.2.101", ttl=64, flags="DF", id=2) / UDP(sport=4001, dport=53) / Raw(b"y" * 972)
    small6 = Ether(dst=FRONT, src=CLIENT_MAC) / IPv6(src=CLIENT6, dst="2001:db8:f::80", hlim=64) / TCP(sport=6666, dport=443, flags="S", seq=200) / Raw(b"z" * 900)
    loose = Ether(dst=FRONT, src=CLIENT_MAC) / IP(src=CLIENT, dst="192.0.2.103", ttl=64, id=3) / UDP(sport=4002, dport=53) / Raw(b"w" * (1400 - 28))
    return [big, small, small6, loose]


def recomputed(p):
    """The frame as scapy builds it with the error's own checksums computed afresh (the outer IPv4 header, ICMP or
    ICMPv6 over the whole message); the quoted headers stay as quoted."""
    q = Ether(raw(p))
    if IP in q:
        del q[IP].chksum
        del q[ICMP].chksum
    else:
        del q[ICMPv6PacketTooBig].cksum
    return raw(q)


def step1(d):
    wrpcap(os.path.join(d, "1-front.pcap"), client_packets())


def step2(d):
    big, small, small6, loose = client_packets()
    errors = rdpcap(os.path.join(d, "1-front-sent.pcap"))
    expect(len(errors) == 1, f"{len(errors)} errors reached the client, expected 1")
    for e in errors:
        expect(raw(e) == recomputed(e), f"a checksum differs from scapy's: {e.summary()}")
        expect(e[IP].src == "10.0.0.1" and e[IP].dst == CLIENT and e[ICMP].type == 3 and e[ICMP].code == 4 and e[ICMP].nexthopmtu == 1376,
               f"fragmentation needed with 1400 - 24: {e.summary()}")
        quoted = raw(e[ICMP].payload)
        expect(quoted == raw(big[IP])[:len(quoted)] and len(quoted) >= 28, "the error quotes the client's own packet")
    sent = rdpcap(os.path.join(d, "1-back-sent.pcap"))
    fragments = [t for t in sent if IPv6ExtHdrFragment in t]
    tunnels = [t for t in sent if IPv6ExtHdrFragment not in t]
    expect(len(tunnels) == 2, f"{len(tunnels)} tunnel packets, expected 2")
    # The loose packet's outer IPv6 packet: cut by its source, fragments within the link, put together by scapy.
    expect(len(fragments) == 2 and all(len(raw(f.payload)) <= 1400 for f in fragments), f"{len(fragments)} fragments")
    if len(fragments) == 2:
        first, last = (f[IPv6ExtHdrFragment] for f in fragments)
        expect(first.offset == 0 and first.m == 1 and last.m == 0 and first.id == last.id
               and last.offset * 8 == len(raw(first.payload)) and len(raw(first.payload)) % 8 == 0,
               f"fragment headers: offsets {first.offset} {last.offset}, M {first.m} {last.m}, ids {first.id} {last.id}")
    whole = IPv6(raw(defragment6([f[IPv6] for f in fragments])))
    expect(whole.src == "2001:db8:b::1" and whole.nh == 47 and GRE in whole and raw(whole[GRE].payload) == raw(loose[IP]),
           f"the fragments put together: {whole.summary()}")
    reports = []
    for t in tunnels:
        o = t.payload
        if isinstance(o, IPv6):
            expect(o.src == "2001:db8:b::1" and o.nh == 41 and raw(o.payload) == raw(small6[IPv6]), f"IPv6 in IPv6: {t.summary()}")
            # A router further on takes 1400 bytes: "packet too big" to the tunnel's source, quoting the outer packet.
            reports.append(Ether(dst=BACK, src=SERVER_MAC) / IPv6(src="2001:db8:b::99", dst="2001:db8:b::1", hlim=64)
                           / ICMPv6PacketTooBig(mtu=1400) / raw(o)[:1280 - 48])
        else:
            expect(o.src == "10.1.0.1" and o.proto == 47 and o[GRE].proto == 0x0800 and raw(o[GRE].payload) == raw(small[IP]), f"GRE: {t.summary()}")
            # A router further on takes 900 bytes: "fragmentation needed" to the tunnel's source, quoting 548 bytes (RFC 1812).
            reports.append(Ether(dst=BACK, src=SERVER_MAC) / IP(src="10.1.0.99", dst="10.1.0.1", ttl=64)
                           / ICMP(type=3, code=4, nexthopmtu=900) / raw(o)[:548])
    wrpcap(os.path.join(d, "2-back.pcap"), reports)
    done("lbmtu", "step2", len(errors) + len(sent))


def check(d):
    _, small, small6, _ = client_packets()
    out = rdpcap(os.path.join(d, "2-front-sent.pcap"))
    expect(len(out) == 2, f"{len(out)} relayed errors reached the client, expected 2")
    for e in out:
        expect(raw(e) == recomputed(e), f"a checksum differs from scapy's: {e.summary()}")
        expect(e.dst == CLIENT_MAC, f"to the client: {e.summary()}")
        if IPv6 in e:
            expect(e[IPv6].src == "2001:db8:f::80" and e[IPv6].dst == CLIENT6 and ICMPv6PacketTooBig in e and e[ICMPv6PacketTooBig].mtu == 1360,
                   f"packet too big from the VIP with 1400 - 40: {e.summary()}")
            quoted = raw(e[ICMPv6PacketTooBig].payload)
            expect(quoted == raw(small6[IPv6])[:len(quoted)] and len(quoted) >= 48, "the IPv6 error quotes the client's own packet")
        else:
            expect(e[IP].src == "192.0.2.101" and e[IP].dst == CLIENT and e[ICMP].type == 3 and e[ICMP].code == 4 and e[ICMP].nexthopmtu == 876,
                   f"fragmentation needed from the VIP with 900 - 24: {e.summary()}")
            quoted = raw(e[ICMP].payload)
            expect(quoted == raw(small[IP])[:len(quoted)] and len(quoted) == 548 - 24, "the IPv4 error quotes the client's own packet")
    done("lbmtu", "check", len(out))


if __name__ == "__main__":
    {"step1": step1, "step2": step2, "check": check}[sys.argv[1]](sys.argv[2])
