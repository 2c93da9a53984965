#!/usr/bin/python3
"""Writes config documents with N list entries in XML and JSON: interfaces with an IPv4 address
(ietf-interfaces + ietf-ip), ACL entries (ietf-access-control-list), static IPv4 routes and static IPv6 routes
(ietf-routing)."""
import ipaddress, json, os, sys

out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)

def ip(i, base=10):
    return f"{base}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"

def write(name, xml, js):
    with open(os.path.join(out, f"{name}-{n}.xml"), "w") as f:
        f.write(xml)
    with open(os.path.join(out, f"{name}-{n}.json"), "w") as f:
        json.dump(js, f)

# interfaces
x = ['<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">']
items = []
for i in range(n):
    x.append(f'<interface><name>eth{i}</name><description>port {i}</description><type>ianaift:ethernetCsmacd</type>'
             f'<enabled>true</enabled><ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"><mtu>1500</mtu>'
             f'<address><ip>{ip(i)}</ip><prefix-length>24</prefix-length></address></ipv4></interface>')
    items.append({"name": f"eth{i}", "description": f"port {i}", "type": "iana-if-type:ethernetCsmacd", "enabled": True,
                  "ietf-ip:ipv4": {"mtu": 1500, "address": [{"ip": ip(i), "prefix-length": 24}]}})
x.append("</interfaces>")
write("interfaces", "\n".join(x), {"ietf-interfaces:interfaces": {"interface": items}})

# ACL entries
x = ['<acls xmlns="urn:ietf:params:xml:ns:yang:ietf-access-control-list" xmlns:acl="urn:ietf:params:xml:ns:yang:ietf-access-control-list">',
     "<acl><name>big</name><type>acl:ipv4-acl-type</type><aces>"]
aces = []
for i in range(n):
    x.append(f"<ace><name>r{i}</name><matches><ipv4><protocol>6</protocol><source-ipv4-network>{ip(i)}/32</source-ipv4-network></ipv4>"
             f"<tcp><destination-port><operator>eq</operator><port>{i % 65535 + 1}</port></destination-port></tcp></matches>"
             f"<actions><forwarding>acl:accept</forwarding></actions></ace>")
    aces.append({"name": f"r{i}", "matches": {"ipv4": {"protocol": 6, "source-ipv4-network": f"{ip(i)}/32"},
                 "tcp": {"destination-port": {"operator": "eq", "port": i % 65535 + 1}}},
                 "actions": {"forwarding": "ietf-access-control-list:accept"}})
x.append("</aces></acl></acls>")
write("acl", "\n".join(x), {"ietf-access-control-list:acls": {"acl": [{"name": "big", "type": "ietf-access-control-list:ipv4-acl-type", "aces": {"ace": aces}}]}})

# static routes
x = ['<routing xmlns="urn:ietf:params:xml:ns:yang:ietf-routing" xmlns:rt="urn:ietf:params:xml:ns:yang:ietf-routing"><control-plane-protocols>',
     '<control-plane-protocol><type>rt:static</type><name>st</name><static-routes><ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ipv4-unicast-routing">']
routes = []
for i in range(n):
    x.append(f"<route><destination-prefix>{ip(i, 20)}/32</destination-prefix><next-hop><next-hop-address>192.0.2.1</next-hop-address></next-hop></route>")
    routes.append({"destination-prefix": f"{ip(i, 20)}/32", "next-hop": {"next-hop-address": "192.0.2.1"}})
x.append("</ipv4></static-routes></control-plane-protocol></control-plane-protocols></routing>")
write("routes", "\n".join(x), {"ietf-routing:routing": {"control-plane-protocols": {"control-plane-protocol": [
    {"type": "ietf-routing:static", "name": "st", "static-routes": {"ietf-ipv4-unicast-routing:ipv4": {"route": routes}}}]}}})

# static IPv6 routes: a /64 each, written in canonical (RFC 5952) form
x = ['<routing xmlns="urn:ietf:params:xml:ns:yang:ietf-routing" xmlns:rt="urn:ietf:params:xml:ns:yang:ietf-routing"><control-plane-protocols>',
     '<control-plane-protocol><type>rt:static</type><name>st</name><static-routes><ipv6 xmlns="urn:ietf:params:xml:ns:yang:ietf-ipv6-unicast-routing">']
routes = []
base = int(ipaddress.IPv6Address("2001:db8::"))
for i in range(n):
    prefix = ipaddress.IPv6Network((base + (i << 64), 64)).compressed
    x.append(f"<route><destination-prefix>{prefix}</destination-prefix><next-hop><next-hop-address>2001:db8::1</next-hop-address></next-hop></route>")
    routes.append({"destination-prefix": prefix, "next-hop": {"next-hop-address": "2001:db8::1"}})
x.append("</ipv6></static-routes></control-plane-protocol></control-plane-protocols></routing>")
write("routes6", "\n".join(x), {"ietf-routing:routing": {"control-plane-protocols": {"control-plane-protocol": [
    {"type": "ietf-routing:static", "name": "st", "static-routes": {"ietf-ipv6-unicast-routing:ipv6": {"route": routes}}}]}}})
