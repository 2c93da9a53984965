#!/usr/bin/python3
"""One NETCONF session with Debian's python3-ncclient over SSH; prints what the test asserts as JSON.

usage: ncclient_session.py HOST PORT USER (--password-env VAR | --key FILE) IFNAME
"""
import json
import os
import sys

from ncclient import manager
from ncclient.operations import RPCError

host, port, user, how, secret, ifname = sys.argv[1:7]
auth = {"password": os.environ[secret]} if how == "--password-env" else {"key_filename": secret}
out = {}
with manager.connect(host=host, port=int(port), username=user, hostkey_verify=False,
                     allow_agent=False, look_for_keys=False, timeout=30, **auth) as m:
    out["session_id"] = m.session_id
    out["base11"] = "urn:ietf:params:netconf:base:1.1" in m.server_capabilities
    out["candidate"] = ":candidate" in m.server_capabilities
    out["schema_head"] = m.get_schema("ietf-interfaces").data.strip().splitlines()[0]
    m.lock(target="running")
    m.edit_config(target="running", config=f"""
      <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
        <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
          <interface><name>{ifname}</name><type>ianaift:ethernetCsmacd</type></interface>
        </interfaces>
      </config>""")
    m.unlock(target="running")
    reply = m.get_config(source="running", filter=("subtree",
        '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name/></interface></interfaces>'))
    ns = {"if": "urn:ietf:params:xml:ns:yang:ietf-interfaces"}
    out["names"] = sorted(e.text for e in reply.data_ele.findall(".//if:interface/if:name", ns))
    try:
        m.edit_config(target="running", config="""
          <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
            <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>no-type</name></interface></interfaces>
          </config>""")
        out["error_tag"] = None
    except RPCError as e:
        out["error_tag"] = e.tag
        out["error_path"] = e.path
print(json.dumps(out))
