"""ovn_logical_router, ovn_port_group, ovn_cluster_info and ovn_chassis_info on the lab's OVN."""
from __future__ import annotations

import subprocess
import time
import uuid

import pytest

from tests.helpers.ansible import run_module
from tests.integration.ovn.conftest import nb_names, nbctl, sbctl


@pytest.fixture
def tag():
    return uuid.uuid4().hex[:6]


def test_router_ports_routes_nat_declared_and_idempotent(ovn, nb_db, tag):
    r = f"r-{tag}"
    args = {"db": nb_db, "routers": [{"name": r, "options": {"always_learn_from_arp_request": "false"}}],
            "ports": [{"name": f"{r}-a", "router": r, "mac": "fa:16:3e:10:00:01", "networks": ["10.1.0.1/24"]},
                      {"name": f"{r}-ext", "router": r, "mac": "fa:16:3e:10:00:02", "networks": ["192.0.2.10/24"]}],
            "static_routes": [{"router": r, "ip_prefix": "0.0.0.0/0", "nexthop": "192.0.2.1"},
                              {"router": r, "ip_prefix": "10.9.0.0/16", "nexthop": "10.1.0.254"}],
            "nat": [{"router": r, "type": "snat", "external_ip": "192.0.2.10", "logical_ip": "10.1.0.0/24"},
                    {"router": r, "type": "dnat_and_snat", "external_ip": "192.0.2.20", "logical_ip": "10.1.0.5"}]}
    try:
        check = run_module("ovn_logical_router", args, check=True, diff=True)
        assert check["changed"] is True and r not in nb_names(ovn, "Logical_Router")
        first = run_module("ovn_logical_router", args)
        assert not first.get("failed"), first.get("msg")
        assert first["static_routes"]["created"] == 2 and first["nat"]["created"] == 2
        assert "0.0.0.0/0" in nbctl(ovn, "lr-route-list", r)
        assert "192.0.2.20" in nbctl(ovn, "lr-nat-list", r)
        assert run_module("ovn_logical_router", args)["changed"] is False

        # Declarative purge: one route and one NAT rule fewer, nothing else touched.
        args["routers"][0]["purge_static_routes"] = True
        args["routers"][0]["purge_nat"] = True
        args["static_routes"] = args["static_routes"][:1]
        args["nat"] = args["nat"][:1]
        result = run_module("ovn_logical_router", args)
        assert result["static_routes"]["deleted"] == 1 and result["nat"]["deleted"] == 1
        assert "10.9.0.0/16" not in nbctl(ovn, "lr-route-list", r)
        assert nb_names(ovn, "Logical_Router").count(r) == 1

        bad = run_module("ovn_logical_router", {"db": nb_db, "static_routes": [
            {"router": f"none-{tag}", "ip_prefix": "10.0.0.0/8", "nexthop": "10.0.0.1"}]})
        assert bad["failed"] and "does not exist" in bad["msg"]
        bad = run_module("ovn_logical_router", {"db": nb_db, "ports": [
            {"name": f"{r}-x", "router": r, "mac": "zz", "networks": ["10.0.0.1"]}]})
        assert bad["failed"] and "not a MAC" in bad["msg"] and "not ADDRESS/PREFIX" in bad["msg"]

        gone = run_module("ovn_logical_router", {"db": nb_db, "state": "absent", "routers": [{"name": r}]})
        assert gone["changed"] is True and r not in nb_names(ovn, "Logical_Router")
    finally:
        nbctl(ovn, "--if-exists", "lr-del", r)


def test_port_group_members_and_acls(ovn, nb_db, tag):
    sw, pg = f"pgsw-{tag}", f"pg_{tag}"
    run_module("ovn_logical_switch", {"db": nb_db, "switches": [{"name": sw}],
                                      "ports": [{"name": f"{sw}-{i}", "switch": sw} for i in range(3)]})
    acls = [{"direction": "to-lport", "priority": 1002, "match": f"outport == @{pg} && tcp.dst == 443",
             "action": "allow-related"},
            {"direction": "to-lport", "priority": 1001, "match": f"outport == @{pg} && ip", "action": "drop"}]
    args = {"db": nb_db, "port_groups": [{"name": pg, "ports": [f"{sw}-0", f"{sw}-1"], "acls": acls}]}
    try:
        first = run_module("ovn_port_group", args)
        assert not first.get("failed"), first.get("msg")
        assert first["acls"]["created"] == 2
        assert len(nbctl(ovn, "--bare", "--columns=ports", "list", "Port_Group", pg).split()) == 2
        assert run_module("ovn_port_group", args)["changed"] is False

        args["port_groups"][0]["ports"] = [f"{sw}-2"]
        args["port_groups"][0]["acls"] = [dict(acls[1], log=True, name="drop-rest", severity="info")]
        second = run_module("ovn_port_group", args, diff=True)
        assert second["acls"] == {"created": 0, "updated": 1, "deleted": 1}
        acl_out = nbctl(ovn, "acl-list", pg)
        assert "443" not in acl_out and "drop" in acl_out and "log" in acl_out
        members = nbctl(ovn, "--bare", "--columns=ports", "list", "Port_Group", pg).split()
        assert len(members) == 1

        bad = run_module("ovn_port_group", {"db": nb_db, "port_groups": [{"name": pg, "ports": ["nope-" + tag]}]})
        assert bad["failed"] and "do not exist" in bad["msg"]
        bad = run_module("ovn_port_group", {"db": nb_db, "port_groups": [{"name": "has-dash"}]})
        assert bad["failed"] and "letters, digits" in bad["msg"]

        gone = run_module("ovn_port_group", {"db": nb_db, "state": "absent", "port_groups": [{"name": pg}]})
        assert gone["changed"] is True and pg not in nb_names(ovn, "Port_Group")
    finally:
        nbctl(ovn, "--if-exists", "destroy", "Port_Group", pg)
        nbctl(ovn, "--if-exists", "ls-del", sw)


def test_cluster_info_reports_leader_members_term_index(ovn):
    for db, name in (("nb", "OVN_Northbound"), ("sb", "OVN_Southbound")):
        ctls = [str(ovn.ctl(db, n)) for n in (1, 2, 3)]
        info = run_module("ovn_cluster_info", {"ctl_sockets": ctls + ["/nonexistent/x.ctl"], "database": name})
        assert not info.get("failed"), info.get("msg")
        assert len(info["servers"]) == 3
        assert info["leader"] in {s["id"] for s in info["servers"]}
        roles = sorted(m.get("role") for m in info["members"] if m["reachable"])
        assert roles == ["follower", "follower", "leader"]
        assert info["term"] >= 1 and info["index"] >= 1
        assert info["members"][3]["reachable"] is False
    none = run_module("ovn_cluster_info", {"ctl_sockets": ["/nonexistent/x.ctl"]})
    assert none["failed"] and "no member" in none["msg"]


def test_cluster_info_over_the_ovsdb_remotes_agrees_with_the_control_sockets(ovn, nb_db, sb_db):
    for db, name, remotes in (("nb", "OVN_Northbound", nb_db), ("sb", "OVN_Southbound", sb_db)):
        truth = run_module("ovn_cluster_info", {"ctl_sockets": [str(ovn.ctl(db, n)) for n in (1, 2, 3)],
                                                "database": name})
        info = run_module("ovn_cluster_info", {"db": remotes + ["tcp:127.0.0.1:1"], "database": name})
        assert not info.get("failed"), info.get("msg")
        assert info["leader"] == truth["leader"] and info["cluster_id"] == truth["cluster_id"]
        assert sorted(s["id"] for s in info["servers"]) == sorted(s["id"] for s in truth["servers"])
        leader = next(m for m in info["members"] if m.get("role") == "leader")
        assert info["leader_address"] == leader["remote"] and leader["is_leader"] is True
        assert info["term"] is None and info["index"] >= 1
        assert info["members"][3] == {"reachable": False, "error": "[Errno 111] Connection refused",
                                      "remote": "tcp:127.0.0.1:1", "is_leader": False}
    wrong_db = run_module("ovn_cluster_info", {"db": nb_db, "database": "OVN_Southbound"})
    assert wrong_db["failed"] and "does not serve OVN_Southbound" in wrong_db["msg"]
    both = run_module("ovn_cluster_info", {"db": nb_db, "ctl_sockets": ["/x.ctl"]})
    assert both["failed"] and "mutually exclusive" in both["msg"]


def test_lab_chassis_registered_and_a_port_binds(ovn, nb_db, sb_db, tag):
    sw, port = f"bind-{tag}", f"vif-{tag}"
    chassis = run_module("ovn_chassis_info", {"db": sb_db, "name": "lab-chassis-1"})["chassis"]
    assert len(chassis) == 1
    assert chassis[0]["encaps"][0]["type"] == "geneve"
    run_module("ovn_logical_switch", {"db": nb_db, "switches": [{"name": sw}],
                                      "ports": [{"name": port, "switch": sw, "addresses": ["fa:16:3e:aa:00:01 10.7.0.5"]}]})
    iface = f"t{tag}"[:15]
    vsctl = ["ovs-vsctl", f"--db={ovn.chassis_db}", "--timeout=20"]
    env = ovn.chassis_env()
    try:
        subprocess.run(vsctl + ["add-port", "br-int", iface, "--", "set", "Interface", iface, "type=internal",
                                f"external_ids:iface-id={port}"], check=True, env=dict(__import__("os").environ, **env))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            bindings = run_module("ovn_chassis_info", {"db": sb_db, "name": "lab-chassis-1"})["chassis"][0]["port_bindings"]
            if {"logical_port": port, "type": "", "up": True} in bindings:
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"{port} did not bind: {bindings}")
        assert nbctl(ovn, "get", "Logical_Switch_Port", port, "up").strip() == "true"
        assert "lab-chassis-1" in sbctl(ovn, "show")
    finally:
        subprocess.run(vsctl + ["--if-exists", "del-port", "br-int", iface], check=False,
                       env=dict(__import__("os").environ, **env))
        nbctl(ovn, "--if-exists", "ls-del", sw)
