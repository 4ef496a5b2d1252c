"""ovn_logical_switch against the lab's real 3-member NB raft cluster."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.helpers.ansible import run_module
from tests.integration.ovn.conftest import nb_names, nbctl


def mac_ip(i: int) -> str:
    return f"fa:16:3e:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x} 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


@pytest.fixture
def switch(ovn):
    name = f"t-{uuid.uuid4().hex[:8]}"
    yield name
    nbctl(ovn, "--if-exists", "ls-del", name)


def ports_of(ovn, switch: str) -> list[str]:
    out = nbctl(ovn, "lsp-list", switch)
    return [line.split()[1].strip("()") for line in out.splitlines() if line.strip()]


def test_ten_thousand_ports_in_one_call_idempotent_and_half_removed(ovn, nb_db, switch):
    n = 10000
    ports = [{"name": f"{switch}-p{i}", "switch": switch, "addresses": [mac_ip(i)]} for i in range(n)]
    args = {"db": nb_db, "timeout": 300, "switches": [{"name": switch}], "ports": ports}

    first = run_module("ovn_logical_switch", args)
    assert not first.get("failed"), first.get("msg")
    assert first["changed"] is True
    assert len(first["ports"]["created"]) == n
    assert len(ports_of(ovn, switch)) == n
    assert nbctl(ovn, "lsp-get-addresses", f"{switch}-p4242").strip() == mac_ip(4242)

    again = run_module("ovn_logical_switch", args)
    assert not again.get("failed"), again.get("msg")
    assert again["changed"] is False

    half = [{"name": f"{switch}-p{i}"} for i in range(0, n, 2)]
    removed = run_module("ovn_logical_switch", {"db": nb_db, "timeout": 300, "state": "absent", "ports": half})
    assert removed["changed"] is True
    assert len(removed["ports"]["deleted"]) == n // 2
    left = ports_of(ovn, switch)
    assert len(left) == n // 2
    assert all(int(p.rsplit("p", 1)[1]) % 2 == 1 for p in left)
    assert nb_names(ovn, "Logical_Switch").count(switch) == 1


def test_check_mode_reports_changes_and_writes_nothing(ovn, nb_db, switch):
    args = {"db": nb_db, "switches": [{"name": switch}],
            "ports": [{"name": f"{switch}-a", "switch": switch, "addresses": [mac_ip(1)]}]}
    result = run_module("ovn_logical_switch", args, check=True, diff=True)
    assert result["changed"] is True
    assert f"{switch}-a" in result["diff"]["after"]["ports"]
    assert switch not in nb_names(ovn, "Logical_Switch")

    run_module("ovn_logical_switch", args)
    args["ports"][0]["addresses"] = [mac_ip(2)]
    result = run_module("ovn_logical_switch", args, check=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["ports"][f"{switch}-a"]["addresses"] == [mac_ip(1)]
    assert result["diff"]["after"]["ports"][f"{switch}-a"]["addresses"] == [mac_ip(2)]
    assert nbctl(ovn, "lsp-get-addresses", f"{switch}-a").strip() == mac_ip(1)


def test_update_move_and_purge(ovn, nb_db, switch):
    other = switch + "-b"
    try:
        run_module("ovn_logical_switch", {"db": nb_db, "switches": [{"name": switch}, {"name": other}], "ports": [
            {"name": f"{switch}-1", "switch": switch, "type": "localport", "options": {"k": "v"}},
            {"name": f"{switch}-2", "switch": switch},
            {"name": f"{switch}-3", "switch": switch, "port_security": [mac_ip(3) + "/32"]},
        ]})
        result = run_module("ovn_logical_switch", {"db": nb_db, "switches": [{"name": switch, "purge_ports": True}],
                                                   "ports": [{"name": f"{switch}-1", "switch": switch},
                                                             {"name": f"{switch}-2", "switch": other}]})
        assert result["changed"] is True
        assert result["ports"]["updated"] == [f"{switch}-2"]
        assert result["ports"]["deleted"] == [f"{switch}-3"]
        assert ports_of(ovn, switch) == [f"{switch}-1"]
        assert ports_of(ovn, other) == [f"{switch}-2"]
        assert nbctl(ovn, "get", "Logical_Switch_Port", f"{switch}-1", "type").strip() == "localport"
    finally:
        nbctl(ovn, "--if-exists", "ls-del", other)


@pytest.mark.parametrize("bad,needle", [
    ({"name": "x-unknown", "switch": "no-such-switch"}, "no-such-switch does not exist"),
    ({"name": "x-mac", "switch": "SW", "addresses": ["fa:16:3e:zz:00:01 10.0.0.1"]}, "is not a MAC address"),
    ({"name": "x-ip", "switch": "SW", "addresses": ["fa:16:3e:00:00:01 10.0.0.300"]}, "is not an IP address"),
    ({"name": "x-ps", "switch": "SW", "port_security": ["fa:16:3e:00:00:01 10.0.0.0/40"]}, "is not an IP address"),
])
def test_bad_parameters_fail_clearly_and_write_nothing(ovn, nb_db, switch, bad, needle):
    bad = dict(bad, switch=bad["switch"].replace("SW", switch))
    before = nbctl(ovn, "--bare", "--columns=_uuid,name", "list", "Logical_Switch_Port")
    args = {"db": nb_db, "switches": [{"name": switch}],
            "ports": [{"name": f"{switch}-good", "switch": switch}, bad]}
    result = run_module("ovn_logical_switch", args)
    assert result.get("failed") is True
    assert needle in result["msg"]
    assert result["changed"] is False
    assert switch not in nb_names(ovn, "Logical_Switch")
    assert nbctl(ovn, "--bare", "--columns=_uuid,name", "list", "Logical_Switch_Port") == before


def test_unreachable_database_fails_clearly(ovn, switch):
    closed = "tcp:127.0.0.1:1"
    started = time.monotonic()
    result = run_module("ovn_logical_switch", {"db": [closed, "unix:/nonexistent/nb.sock"], "timeout": 5,
                                               "switches": [{"name": switch}]})
    assert result.get("failed") is True
    assert "cannot reach the OVN_Northbound database" in result["msg"]
    assert closed in result["msg"] and "no such socket" in result["msg"]
    assert time.monotonic() - started < 60
    assert switch not in nb_names(ovn, "Logical_Switch")


def test_leader_killed_during_a_sequence_of_calls(lab, ovn, nb_db):
    """Kill the NB leader between calls and once more in the middle of a large call: every call
    succeeds after the failover and nothing is duplicated (switch names are not unique in NB)."""
    prefix = f"fo-{uuid.uuid4().hex[:6]}"
    calls = [{"db": nb_db, "timeout": 60, "retries": 5, "switches": [{"name": f"{prefix}-{k}"}],
              "ports": [{"name": f"{prefix}-{k}-p{i}", "switch": f"{prefix}-{k}", "addresses": [mac_ip(i)]}
                        for i in range(1500)]} for k in range(6)]
    killed = []
    try:
        for k, args in enumerate(calls):
            killer = None
            if k == 2:
                leader = ovn.leader("nb")
                ovn.kill_member("nb", leader)
                killed.append(leader)
            if k == 4:
                lab.ensure("ovn")  # the first victim rejoins as a follower
                leader = ovn.leader("nb")

                def kill_later(n=leader):
                    time.sleep(0.6)
                    ovn.kill_member("nb", n)
                killer = threading.Thread(target=kill_later)
                killer.start()
                killed.append(leader)
            result = run_module("ovn_logical_switch", args)
            if killer:
                killer.join()
            assert not result.get("failed"), f"call {k}: {result.get('msg')}"
            assert result["changed"] is True
        assert len(killed) == 2 and all(killed)
        names = nb_names(ovn, "Logical_Switch")
        lsp = nb_names(ovn, "Logical_Switch_Port")
        for k in range(6):
            assert names.count(f"{prefix}-{k}") == 1
            assert len(ports_of(ovn, f"{prefix}-{k}")) == 1500
        assert len([p for p in lsp if p.startswith(prefix)]) == 6 * 1500
        for args in calls:
            assert run_module("ovn_logical_switch", args)["changed"] is False
    finally:
        lab.ensure("ovn")
        for k in range(6):
            nbctl(ovn, "--if-exists", "ls-del", f"{prefix}-{k}")
