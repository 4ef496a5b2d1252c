"""Pure helpers of module_utils/ovn.py: address validation, raft status parsing, row identity,
remote probing, and the dry-run writer that check mode relies on."""
from __future__ import annotations

import socket

import pytest

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import ModuleFailure
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ovn import (
    OvnDb, OvnError, Writer, check_address_set, check_unique, identity, normal, parse_cluster_status,
    probe_remote, valid_ip, valid_mac)

STATUS = """2a40
Name: OVN_Northbound
Cluster ID: 3195 (31952086-49bc-4691-a14f-af6b65320e16)
Server ID: 2a40 (2a401610-6953-4ee6-9ee2-56181c35a374)
Address: tcp:127.0.0.1:16661
Status: cluster member
Role: leader
Term: 15
Leader: self
Vote: self

Election timer: 4000
Log: [2, 437]
Entries not yet committed: 0
Entries not yet applied: 0
Connections: ->87e4 ->f176 <-87e4 <-f176
Disconnections: 2
Servers:
    87e4 (87e4 at tcp:127.0.0.1:16662) next_index=437 match_index=436 last msg 39 ms ago
    2a40 (2a40 at tcp:127.0.0.1:16661) (self) next_index=55 match_index=436
    f176 (f176 at tcp:127.0.0.1:16663) next_index=437 match_index=436 last msg 39 ms ago
"""


def test_parse_cluster_status_of_a_leader():
    info = parse_cluster_status(STATUS)
    assert info["role"] == "leader" and info["status"] == "cluster member"
    assert info["leader"] == "2a40" == info["server_id"]  # "self" resolves to the own id
    assert info["cluster_id"] == "3195"
    assert info["term"] == 15 and info["election_timer"] == 4000
    assert info["log"] == [2, 437] and info["index"] == 436
    assert [s["id"] for s in info["servers"]] == ["87e4", "2a40", "f176"]
    assert [s["self"] for s in info["servers"]] == [False, True, False]
    assert info["servers"][2]["address"] == "tcp:127.0.0.1:16663"


def test_parse_cluster_status_of_a_follower_during_an_election():
    text = STATUS.replace("Role: leader", "Role: candidate").replace("Leader: self", "Leader: unknown")
    info = parse_cluster_status(text)
    assert info["role"] == "candidate" and info["leader"] == "unknown"


@pytest.mark.parametrize("mac,ok", [("fa:16:3e:00:00:01", True), ("FA:16:3E:AA:BB:CC", True),
                                    ("fa:16:3e:00:00", False), ("fa:16:3e:00:00:0g", False), ("fa-16-3e-00-00-01", False)])
def test_valid_mac(mac, ok):
    assert valid_mac(mac) is ok


def test_valid_ip_and_networks():
    assert valid_ip("10.0.0.1") and valid_ip("fd00::1")
    assert not valid_ip("10.0.0.256") and not valid_ip("10.0.0.0/24")  # a prefix is not an address ...
    assert valid_ip("10.0.0.0/24", network=True) and not valid_ip("10.0.0.0/33", network=True)


@pytest.mark.parametrize("entry,error", [
    ("fa:16:3e:00:00:01 10.0.0.1 fd00::1", None),
    ("unknown", None), ("router", None), ("dynamic", None), ("fa:16:3e:00:00:01 dynamic", None),
    ("unknown 10.0.0.1", "takes no further tokens"),
    ("fa:16:3e:00:00:zz 10.0.0.1", "is not a MAC address"),
    ("fa:16:3e:00:00:01 10.0.0.300", "is not an IP address"),
    ("", "empty address entry"),
])
def test_lsp_addresses(entry, error):
    result = check_address_set("port p", entry, False, ("unknown", "router", "dynamic"))
    assert (result is None) if error is None else (error in result)


def test_port_security_allows_prefixes_but_no_keywords():
    assert check_address_set("p", "fa:16:3e:00:00:01 10.0.0.0/24", True) is None
    assert "is not a MAC" in check_address_set("p", "unknown", True)


def test_check_unique_names_the_duplicate():
    with pytest.raises(ModuleFailure, match="port p1 is declared twice"):
        check_unique([{"name": "p1"}, {"name": "p2"}, {"name": "p1"}], lambda i: i["name"], "port")


def test_identity_is_the_same_for_a_declaration_and_an_equivalent_row():
    class Row:
        ip_prefix, nexthop, policy, route_table = "0.0.0.0/0", "192.0.2.1", [], ""
    declared = {"ip_prefix": "0.0.0.0/0", "nexthop": "192.0.2.1", "policy": [], "route_table": ""}
    key = ("ip_prefix", "nexthop", "policy", "route_table")
    assert identity(declared, key) == identity(Row(), key)
    assert identity(dict(declared, nexthop="192.0.2.2"), key) != identity(Row(), key)


def test_normal_ignores_order_of_sets_and_maps():
    assert normal(["b", "a"]) == normal(["a", "b"])
    assert normal({"x": "1", "y": "2"}) == normal({"y": "2", "x": "1"})


def test_dry_writer_counts_but_touches_nothing():
    w = Writer(idl=None, txn=None)
    pending = w.insert("Logical_Switch", {"name": "ls"})
    w.update(object(), {"a": 1})
    w.update(object(), {})  # nothing to change is not a change
    w.add_ref(object(), "ports", pending)
    assert w.changes == 2 and pending.columns == {"name": "ls"}


def test_probe_remote_reports_why_a_remote_is_unreachable(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    assert probe_remote(f"tcp:127.0.0.1:{free}", 1) is not None
    assert probe_remote(f"unix:{tmp_path}/none.sock", 1) == "no such socket"
    assert "unsupported remote" in probe_remote("http://x", 1)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert probe_remote(f"tcp:127.0.0.1:{listener.getsockname()[1]}", 1) is None


def test_connect_to_nothing_fails_with_every_reason(tmp_path):
    db = OvnDb([f"unix:{tmp_path}/nb.sock", "tcp:127.0.0.1:1"], "OVN_Northbound", timeout=2)
    with pytest.raises(OvnError, match="cannot reach the OVN_Northbound database") as err:
        db.connect()
    assert "no such socket" in err.value.msg and "tcp:127.0.0.1:1" in err.value.msg


def test_ssl_remotes_need_key_cert_and_ca():
    with pytest.raises(OvnError, match="ssl_private_key, ssl_certificate and ssl_ca_cert"):
        OvnDb(["ssl:127.0.0.1:6641"], "OVN_Northbound").connect()


def test_parse_cluster_status_while_the_election_timer_changes():
    info = parse_cluster_status(STATUS.replace("Election timer: 4000", "Election timer: 1000 (changing to 2000)"))
    assert info["election_timer"] == 1000 and info["election_timer_changing_to"] == 2000
    assert "election_timer_changing_to" not in parse_cluster_status(STATUS)
