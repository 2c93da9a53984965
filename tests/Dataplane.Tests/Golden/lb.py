#!/usr/bin/python3
"""Golden load balancer packets, made and checked with scapy (an independent decoder).

The router: "front" 10.0.0.1/24 and 2001:db8:a::1/64 with the client (10.0.0.2, 2001:db8:a::2); "back" 10.1.0.1/24
and 2001:db8:b::1/64 with the server (10.1.0.11, 2001:db8:b::11). Tunnel sources 10.1.0.1 and 2001:db8:b::1.
VIPs, one server each: 192.0.2.101 GRE4, .102 IPIP4, .103 GRE6, .104 IPIP6, .105 L3 DSR (DSCP 46), .106 TCP 80 NAT
to port 8080, .107 TCP 80 full NAT to port 8080 from the local address 10.1.0.200, 2001:db8:f::80 TCP 443 IPIP6,
2001:db8:f::81 TCP 80 full NAT to port 8080 from 2001:db8:b::200, and 2001:db8:f::82 TCP 80 NAT to port 8080.

  lb.py step1 DIR   the client's packets to every VIP (1-front.pcap)
  lb.py step2 DIR   checks what reached the server side (1-back-sent.pcap); the server's answers to the NAT VIPs (2-back.pcap)
  lb.py check DIR   checks the answers as the client got them (2-front-sent.pcap)
"""
import os
import sys
from checks import expect, checksums_valid, done
from scapy.all import Ether, IP, IPv6, TCP, UDP, GRE, Raw, rdpcap, wrpcap, raw

FRONT, BACK, CLIENT_MAC, SERVER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:aa:00:00:00:02", "02:bb:00:00:00:01"
CLIENT, CLIENT6, SERVER, SERVER6 = "10.0.0.2", "2001:db8:a::2", "10.1.0.11", "2001:db8:b::11"
MODES = {"192.0.2.101": "gre4", "192.0.2.102": "ipip4", "192.0.2.103": "gre6", "192.0.2.104": "ipip6", "192.0.2.105": "l3dsr"}





def client_packets():
    packets = [Ether(dst=FRONT, src=CLIENT_MAC) / IP(src=CLIENT, dst=vip, ttl=64, tos=0x10) / UDP(sport=4000 + i, dport=53) / Raw(f"to {mode}".encode())
               for i, (vip, mode) in enumerate(MODES.items())]
    packets.append(Ether(dst=FRONT, src=CLIENT_MAC) / IP(src=CLIENT, dst="192.0.2.106", ttl=64) / TCP(sport=5555, dport=80, flags="S", seq=100))
    packets.append(Ether(dst=FRONT, src=CLIENT_MAC) / IPv6(src=CLIENT6, dst="2001:db8:f::80", hlim=64) / TCP(sport=6666, dport=443, flags="S", seq=200))
    packets.append(Ether(dst=FRONT, src=CLIENT_MAC) / IP(src=CLIENT, dst="192.0.2.107", ttl=64) / TCP(sport=5556, dport=80, flags="S", seq=300))
    packets.append(Ether(dst=FRONT, src=CLIENT_MAC) / IPv6(src=CLIENT6, dst="2001:db8:f::81", hlim=64) / TCP(sport=7777, dport=80, flags="S", seq=400))
    packets.append(Ether(dst=FRONT, src=CLIENT_MAC) / IPv6(src=CLIENT6, dst="2001:db8:f::82", hlim=64) / TCP(sport=8888, dport=80, flags="S", seq=500))
    return packets


# The client's port of each NAT VIP: the VIP, its port, the sequence number sent, and (full NAT) the local address.
NAT_FLOWS = {5555: ("192.0.2.106", 100, None), 5556: ("192.0.2.107", 300, "10.1.0.200"),
             7777: ("2001:db8:f::81", 400, "2001:db8:b::200"), 8888: ("2001:db8:f::82", 500, None)}


def step1(d):
    wrpcap(os.path.join(d, "1-front.pcap"), client_packets())


def step2(d):
    sent = {raw(p.payload): p for p in client_packets()}
    out = rdpcap(os.path.join(d, "1-back-sent.pcap"))
    expect(len(out) == 10, f"{len(out)} packets reached the server side, expected 10")
    answers = []
    seen = set()
    for p in out:
        expect(checksums_valid(p), f"bad checksum: {p.summary()}")
        expect(p.src == BACK and p.dst == SERVER_MAC, f"MACs: {p.summary()}")
        o = p.payload
        if isinstance(o, IPv6) and o.nh == 6:
            # IPv6 NAT and full NAT: from the client or the local address, to the server's port 8080, one hop on.
            full = o.src == "2001:db8:b::200"
            seen.add("fullnat6" if full else "nat6")
            seq = 400 if full else 500
            expect((full or o.src == CLIENT6 and o[TCP].sport == 8888) and o.dst == SERVER6 and o[TCP].dport == 8080 and o[TCP].seq == seq and o.hlim == 63,
                   f"IPv6 {'full ' if full else ''}NAT: {p.summary()}")
            answers.append(Ether(dst=BACK, src=SERVER_MAC) / IPv6(src=SERVER6, dst=o.src, hlim=64) / TCP(sport=8080, dport=o[TCP].sport, flags="SA", seq=900, ack=seq + 1))
            continue
        if isinstance(o, IPv6):
            expect(o.src == "2001:db8:b::1" and o.dst == SERVER6 and o.hlim == 64, f"outer IPv6: {p.summary()}")
            body = o.payload
            if o.nh == 47:
                expect(isinstance(body, GRE) and body.key_present == 0 and body.proto == 0x0800, f"GRE6: {p.summary()}")
                seen.add("gre6")
                body = body.payload
            elif isinstance(body, IPv6):
                expect(o.nh == 41, f"IPv6 in IPv6 next header {o.nh}")
                seen.add("vip6")
            else:
                expect(o.nh == 4, f"IPIP6 next header {o.nh}")
                seen.add("ipip6")
            expect(raw(body) in sent, f"inner packet changed: {body.summary()}")
            continue
        if o.proto in (47, 4):
            expect(o.src == "10.1.0.1" and o.dst == SERVER and o.ttl == 64 and o.len == len(raw(o)), f"outer IPv4: {p.summary()}")
            expect(o.tos == 0x10, f"outer TOS copies the inner: {o.tos:#x}")
            body = o.payload
            if o.proto == 47:
                expect(isinstance(body, GRE) and body.proto == 0x0800, f"GRE4: {p.summary()}")
                seen.add("gre4")
                body = body.payload
            else:
                seen.add("ipip4")
            expect(raw(body) in sent, f"inner packet changed: {body.summary()}")
        elif TCP in o and o.src == "10.1.0.200":
            seen.add("fullnat4")
            expect(o.dst == SERVER and o[TCP].sport >= 1024 and o[TCP].dport == 8080 and o[TCP].seq == 300 and o.ttl == 63, f"full NAT: {p.summary()}")
            answers.append(Ether(dst=BACK, src=SERVER_MAC) / IP(src=SERVER, dst="10.1.0.200", ttl=64) / TCP(sport=8080, dport=o[TCP].sport, flags="SA", seq=900, ack=301))
        elif TCP in o:
            seen.add("nat")
            expect(o.src == CLIENT and o.dst == SERVER and o[TCP].sport == 5555 and o[TCP].dport == 8080 and o[TCP].seq == 100, f"NAT: {p.summary()}")
            expect(o.ttl == 63, f"NAT TTL {o.ttl}")
            answers.append(Ether(dst=BACK, src=SERVER_MAC) / IP(src=SERVER, dst=CLIENT, ttl=64) / TCP(sport=8080, dport=5555, flags="SA", seq=900, ack=101))
        else:
            seen.add("l3dsr")
            expect(o.src == CLIENT and o.dst == SERVER and o.tos >> 2 == 46 and o[UDP].dport == 53 and raw(o[UDP].payload) == b"to l3dsr", f"L3 DSR: {p.summary()}")
    expect(seen == {"gre4", "ipip4", "gre6", "ipip6", "l3dsr", "nat", "vip6", "fullnat4", "fullnat6", "nat6"}, f"modes seen: {sorted(seen)}")
    wrpcap(os.path.join(d, "2-back.pcap"), answers)
    done("lb", "step2", len(out))


def check(d):
    out = rdpcap(os.path.join(d, "2-front-sent.pcap"))
    expect(len(out) == 4, f"{len(out)} packets reached the client, expected 4")
    ports = set()
    for p in out:
        expect(checksums_valid(p), f"bad checksum: {p.summary()}")
        o = p.payload
        port = o[TCP].dport
        ports.add(port)
        vip, seq, _ = NAT_FLOWS.get(port, ("?", 0, None))
        expect(p.dst == CLIENT_MAC and o.src == vip and o.dst == (CLIENT6 if ":" in vip else CLIENT) and o[TCP].sport == 80 and o[TCP].ack == seq + 1,
               f"the NAT answer comes from the VIP: {p.summary()}")
    expect(ports == set(NAT_FLOWS), f"answers to the client's ports {sorted(ports)}")
    done("lb", "check", len(out))




if __name__ == "__main__":
    {"step1": step1, "step2": step2, "check": check}[sys.argv[1]](sys.argv[2])
