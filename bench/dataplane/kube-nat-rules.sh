#!/usr/bin/env bash
# iptables-legacy-restore input in kube-proxy's shape for the DNAT benchmarks: SERVICES services of UDP port 9, one
# DNAT rule each in one nat chain that PREROUTING jumps to, the benchmark's service (10.201.9.9 to 10.201.2.2:5353)
# the last, so that a new flow walks every rule.
#   bash kube-nat-rules.sh SERVICES
awk -v n="${1:?number of services}" 'BEGIN {
  print "*nat"; print ":PREROUTING ACCEPT [0:0]"; print ":KUBE-SERVICES - [0:0]"; print "-A PREROUTING -j KUBE-SERVICES"
  for (i = 1; i < n; i++) printf "-A KUBE-SERVICES -d 10.96.%d.%d/32 -p udp --dport 9 -j DNAT --to-destination 10.201.2.2:5353\n", int(i / 256), i % 256
  print "-A KUBE-SERVICES -d 10.201.9.9/32 -p udp --dport 9 -j DNAT --to-destination 10.201.2.2:5353"; print "COMMIT" }'
