#!/usr/bin/python3
"""A controller's workflow with Debian's python3-ncclient over SSH, in two sessions of one user (key login);
prints what the test asserts as JSON.

usage: ncclient_workflow.py HOST PORT USER KEYFILE
"""
import json
import sys
import time

from ncclient import manager
from ncclient.operations import RPCError

host, port, user, key = sys.argv[1:5]
IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
NS = {"if": IF, "ncn": "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"}


def connect():
    return manager.connect(host=host, port=int(port), username=user, key_filename=key, hostkey_verify=False,
                           allow_agent=False, look_for_keys=False, timeout=30)


def config(name, op=None, extra=""):
    attr = f' nc:operation="{op}"' if op else ""
    typ = "" if op in ("delete", "remove") else "<type>ianaift:ethernetCsmacd</type>"
    return f"""<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">
      <interfaces xmlns="{IF}" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
        <interface{attr}><name>{name}</name>{typ}{extra}</interface></interfaces></config>"""


def names(reply):
    return sorted(e.text for e in reply.data_ele.findall(".//if:interface/if:name", NS))


def error(call):
    try:
        call()
        return None
    except RPCError as e:
        return {"tag": e.tag, "path": e.path, "info": e.info or ""}


out = {}
a, b = connect(), connect()
b.create_subscription()
# Lock the candidate; the other session is refused with the holder's session-id.
a.lock(target="candidate")
out["lock_denied"] = error(lambda: b.lock(target="candidate"))
out["holder"] = str(a.session_id)
a.edit_config(target="candidate", config=config("wf0"))
a.validate(source="candidate")
a.commit(confirmed=True, timeout="60")
a.commit()
a.unlock(target="candidate")
out["running"] = names(a.get_config(source="running"))
# A confirmed commit that is not confirmed goes back.
a.edit_config(target="candidate", config=config("wf-temp"))
a.commit(confirmed=True, timeout="2")
out["during_confirm"] = names(a.get_config(source="running"))
time.sleep(4)
out["after_timeout"] = names(a.get_config(source="running"))
# discard-changes returns the candidate to running.
a.edit_config(target="candidate", config=config("scratch"))
a.discard_changes()
out["candidate_after_discard"] = names(a.get_config(source="candidate"))
# startup: copy-config and delete-config.
a.copy_config(source="running", target="startup")
out["startup"] = names(a.get_config(source="startup"))
a.delete_config(target="startup")
# Filters and with-defaults.
xp = a.get(filter=("xpath", (NS, "/if:interfaces/if:interface[if:name='wf0']/if:type")))
out["xpath_types"] = [e.text for e in xp.data_ele.findall(".//if:type", NS)]
out["xpath_names"] = names(xp)
full = a.get_config(source="running", with_defaults="report-all")
out["enabled_report_all"] = [e.text for e in full.data_ele.findall(".//if:interface/if:enabled", NS)]
out["enabled_explicit"] = [e.text for e in a.get_config(source="running").data_ele.findall(".//if:interface/if:enabled", NS)]
# Error cases with their tags and paths.
out["data_exists"] = error(lambda: a.edit_config(target="running", config=config("wf0", "create")))
out["data_missing"] = error(lambda: a.edit_config(target="running", config=config("nowhere", "delete")))
out["bad_value"] = error(lambda: a.edit_config(target="running", config=config("wf0", extra="<enabled>maybe</enabled>")))
# The other session heard about the changes.
seen = []
deadline = time.time() + 10
while time.time() < deadline and "netconf-config-change" not in seen:
    n = b.take_notification(block=True, timeout=2)
    if n is not None:
        seen.extend(e.tag.split("}")[1] for e in n.notification_ele if e.tag.split("}")[1] != "eventTime")
out["notifications"] = sorted(set(seen))
# kill-session ends the other session.
a.kill_session(session_id=b.session_id)
try:
    b.get_config(source="running")
    out["killed_session_works"] = True
except Exception:  # the transport is gone
    out["killed_session_works"] = False
a.close_session()  # b was killed: its transport is already closed
print(json.dumps(out))
