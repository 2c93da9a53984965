#!/usr/bin/python3
"""Golden NAT44 packets, made and checked with scapy (an independent decoder), as a two-step conversation.

The router: "in" 10.0.0.1/24 with host A 10.0.0.2 and server S 10.0.0.3; "out" 198.51.100.1/24, the gateway
198.51.100.254 is the default route. Pool 203.0.113.10; port forward 203.0.113.20:8080 -> S:80.

  nat.py step1 DIR   A's first packets (1-in.pcap) and an outside client's SYN to the forward (1-out.pcap)
  nat.py step2 DIR   checks what left (1-in-sent.pcap, 1-out-sent.pcap), answers it: the outside servers'
                     replies and a router's ICMP error (2-out.pcap), S's replies and an ICMP error of S (2-in.pcap)
  nat.py check DIR   checks what came of the answers (2-in-sent.pcap, 2-out-sent.pcap)
"""
import os
import sys
from checks import expect, checksums_valid, done, failures
from scapy.all import Ether, IP, TCP, UDP, ICMP, Raw, rdpcap, wrpcap, raw
from scapy.layers.inet import IPerror, TCPerror, UDPerror

R_IN, R_OUT, A_MAC, S_MAC, GW = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:aa:00:00:00:02", "02:aa:00:00:00:03", "02:99:00:00:00:fe"
A, S, POOL, FWD, FAR_ROUTER = "10.0.0.2", "10.0.0.3", "203.0.113.10", "203.0.113.20", "192.0.2.1"





def step1(d):
    from_a = [
        Ether(dst=R_IN, src=A_MAC) / IP(src=A, dst="192.0.2.7", ttl=64) / TCP(sport=40000, dport=80, flags="S", seq=1000),
        Ether(dst=R_IN, src=A_MAC) / IP(src=A, dst="192.0.2.9", ttl=64) / UDP(sport=5353, dport=53) / Raw(b"query one"),
        Ether(dst=R_IN, src=A_MAC) / IP(src=A, dst="192.0.2.9", ttl=64) / UDP(sport=5354, dport=53, chksum=0) / Raw(b"no checksum"),
        Ether(dst=R_IN, src=A_MAC) / IP(src=A, dst="192.0.2.8", ttl=64) / ICMP(type=8, id=4242, seq=1) / Raw(b"ping"),
        Ether(dst=R_IN, src=A_MAC) / IP(src=A, dst=FWD, ttl=64) / TCP(sport=41000, dport=8080, flags="S", seq=2000),
    ]
    wrpcap(os.path.join(d, "1-in.pcap"), from_a)
    wrpcap(os.path.join(d, "1-out.pcap"), [Ether(dst=R_OUT, src=GW) / IP(src="192.0.2.7", dst=FWD, ttl=60) / TCP(sport=5555, dport=8080, flags="S", seq=3000)])


def step2(d):
    to_out, to_in = rdpcap(os.path.join(d, "1-out-sent.pcap")), rdpcap(os.path.join(d, "1-in-sent.pcap"))
    expect(len(to_out) == 4, f"{len(to_out)} packets left outside, expected 4")
    expect(len(to_in) == 2, f"{len(to_in)} packets reached inside, expected 2")
    for p in list(to_out) + list(to_in):
        expect(checksums_valid(p), f"bad checksum: {p.summary()}")
    answers_out = []
    for p in to_out:
        ip = p[IP]
        expect(p.src == R_OUT and p.dst == GW, f"outside MACs: {p.summary()}")
        expect(ip.src == POOL, f"source not translated to the pool: {p.summary()}")
        expect(ip.ttl == 63, f"TTL {ip.ttl}: {p.summary()}")
        if TCP in p:
            expect(ip.dst == "192.0.2.7" and p[TCP].sport == 40000 and p[TCP].dport == 80 and p[TCP].seq == 1000, f"TCP: {p.summary()}")
            answers_out.append(Ether(dst=R_OUT, src=GW) / IP(src=ip.dst, dst=ip.src, ttl=60) / TCP(sport=80, dport=p[TCP].sport, flags="SA", seq=9000, ack=1001))
        elif UDP in p and p[UDP].sport == 5353:
            expect(raw(p[UDP].payload) == b"query one", f"UDP payload: {p.summary()}")
            answers_out.append(Ether(dst=R_OUT, src=GW) / IP(src=ip.dst, dst=ip.src, ttl=60) / UDP(sport=53, dport=5353) / Raw(b"answer one"))
        elif UDP in p:
            expect(p[UDP].sport == 5354 and p[UDP].chksum == 0, f"UDP without checksum: {p.summary()}")
            # A router on the way cannot deliver it: port unreachable, quoting the whole datagram.
            answers_out.append(Ether(dst=R_OUT, src=GW) / IP(src=FAR_ROUTER, dst=ip.src, ttl=60) / ICMP(type=3, code=3) / raw(ip))
        elif ICMP in p:
            expect(p[ICMP].type == 8 and ip.dst == "192.0.2.8" and p[ICMP].id >= 1024, f"echo: {p.summary()}")
            answers_out.append(Ether(dst=R_OUT, src=GW) / IP(src=ip.dst, dst=ip.src, ttl=60) / ICMP(type=0, id=p[ICMP].id, seq=p[ICMP].seq) / raw(p[ICMP].payload))
        else:
            failures.append(f"unexpected: {p.summary()}")
    answers_in = []
    for p in to_in:
        ip, tcp = p[IP], p[TCP]
        expect(p.src == R_IN and p.dst == S_MAC and ip.dst == S and tcp.dport == 80, f"to S: {p.summary()}")
        if ip.src == "192.0.2.7":  # the port forward
            expect(tcp.sport == 5555 and tcp.seq == 3000, f"forwarded SYN: {p.summary()}")
            answers_in.append(Ether(dst=R_IN, src=S_MAC) / IP(src=S, dst=ip.src, ttl=64) / TCP(sport=80, dport=5555, flags="SA", seq=7000, ack=3001))
            # S also refuses it once more with an ICMP error (as a host might for another packet of the flow).
            answers_in.append(Ether(dst=R_IN, src=S_MAC) / IP(src=S, dst=ip.src, ttl=64) / ICMP(type=3, code=3) / raw(ip))
        else:  # hairpinned: A as the world sees it
            expect(ip.src == POOL and tcp.sport == 41000 and tcp.seq == 2000, f"hairpinned SYN: {p.summary()}")
            answers_in.append(Ether(dst=R_IN, src=S_MAC) / IP(src=S, dst=ip.src, ttl=64) / TCP(sport=80, dport=tcp.sport, flags="SA", seq=8000, ack=2001))
    wrpcap(os.path.join(d, "2-out.pcap"), answers_out)
    wrpcap(os.path.join(d, "2-in.pcap"), answers_in)
    done("nat", "step2", len(to_out) + len(to_in))


def check(d):
    to_in, to_out = rdpcap(os.path.join(d, "2-in-sent.pcap")), rdpcap(os.path.join(d, "2-out-sent.pcap"))
    expect(len(to_in) == 5, f"{len(to_in)} packets reached inside, expected 5")
    expect(len(to_out) == 2, f"{len(to_out)} packets left outside, expected 2")
    for p in list(to_in) + list(to_out):
        expect(checksums_valid(p), f"bad checksum: {p.summary()}")
    kinds = set()
    for p in to_in:
        ip = p[IP]
        expect(ip.dst == A and p.dst == A_MAC, f"not to A: {p.summary()}")
        if ICMP in p and p[ICMP].type == 3:
            kinds.add("error")
            expect(ip.src == FAR_ROUTER, f"error's sender changed: {p.summary()}")
            q = p[IPerror]
            expect(q.src == A and q.dst == "192.0.2.9" and p[UDPerror].sport == 5354 and p[UDPerror].dport == 53, f"quoted packet: {p.summary()}")
            expect(p[UDPerror].chksum == 0, "quoted UDP checksum stays zero")
        elif ICMP in p:
            kinds.add("echo")
            expect(p[ICMP].type == 0 and p[ICMP].id == 4242 and ip.src == "192.0.2.8" and raw(p[ICMP].payload) == b"ping", f"echo reply: {p.summary()}")
        elif UDP in p:
            kinds.add("udp")
            expect(ip.src == "192.0.2.9" and p[UDP].sport == 53 and p[UDP].dport == 5353 and raw(p[UDP].payload) == b"answer one", f"UDP: {p.summary()}")
        elif p[TCP].sport == 80 and ip.src == "192.0.2.7":
            kinds.add("synack")
            expect(p[TCP].dport == 40000 and p[TCP].ack == 1001, f"SYN-ACK: {p.summary()}")
        else:
            kinds.add("hairpin")
            expect(ip.src == FWD and p[TCP].sport == 8080 and p[TCP].dport == 41000 and p[TCP].ack == 2001, f"hairpinned SYN-ACK: {p.summary()}")
    expect(kinds == {"error", "echo", "udp", "synack", "hairpin"}, f"inside got {sorted(kinds)}")
    for p in to_out:
        ip = p[IP]
        expect(ip.src == FWD and ip.dst == "192.0.2.7", f"from the forward: {p.summary()}")
        if TCP in p:
            expect(p[TCP].sport == 8080 and p[TCP].dport == 5555 and p[TCP].ack == 3001, f"forwarded SYN-ACK: {p.summary()}")
        else:
            q = p[IPerror]
            expect(p[ICMP].type == 3 and q.src == "192.0.2.7" and q.dst == FWD and p[TCPerror].dport == 8080 and p[TCPerror].sport == 5555,
                   f"S's error, quoted packet as the client sent it: {p.summary()}")
    done("nat", "check", len(to_in) + len(to_out))




if __name__ == "__main__":
    {"step1": step1, "step2": step2, "check": check}[sys.argv[1]](sys.argv[2])
    if sys.argv[1] == "step1":
        print("nat step1: written")
