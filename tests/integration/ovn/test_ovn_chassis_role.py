"""Role ovn_chassis on this host against the lab's SB raft cluster: a second chassis (its own OVS
database, ovs-vswitchd in a namespace, ovn-controller) registers, binds a port, and is removed
cleanly - its SB row included."""
from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

from tests.helpers.ansible import run_module, run_playbook
from tests.integration.ovn.conftest import nbctl, sbctl


def chassis_rows(ovn, name):
    return sbctl(ovn, "--bare", "--columns=name", "find", "Chassis", f"name={name}").split()


def test_chassis_present_binds_a_port_and_absent_removes_it(ovn, nb_db, sb_db, tmp_path):
    tag = uuid.uuid4().hex[:6]
    name, sw, port = f"hv-{tag}", f"hvsw-{tag}", f"hvport-{tag}"
    state_dir = Path("/tmp") / f"c5c3-chassis-{tag}"  # unix sockets need a short path
    extravars = {"ovn_chassis_sb_remotes": sb_db, "ovn_chassis_system_id": name,
                 "ovn_chassis_encap_ip": "127.0.0.2", "ovn_chassis_dir": str(state_dir),
                 "ovn_chassis_netns": f"c5c3-{tag}",
                 "ovn_chassis_bridge_mappings": [{"physical_network": "physnet1", "bridge": "br-prov"}]}
    try:
        first = run_playbook("playbooks/ovn_chassis.yml", extravars=extravars)
        assert first.rc == 0, first.stdout[-3000:]
        assert chassis_rows(ovn, name) == [name]
        info = run_module("ovn_chassis_info", {"db": sb_db, "name": name})["chassis"][0]
        assert info["encaps"] == [{"type": "geneve", "ip": "127.0.0.2", "options": {"csum": "true"}}]
        assert info["other_config"]["ovn-bridge-mappings"] == "physnet1:br-prov"

        again = run_playbook("playbooks/ovn_chassis.yml", extravars=extravars)
        assert again.rc == 0 and again.changed == 0, again.stdout[-3000:]

        run_module("ovn_logical_switch", {"db": nb_db, "switches": [{"name": sw}],
                                          "ports": [{"name": port, "switch": sw, "addresses": ["fa:16:3e:bb:00:01"]}]})
        env = dict(os.environ, OVS_RUNDIR=str(state_dir))
        subprocess.run(["ovs-vsctl", f"--db=unix:{state_dir}/db.sock", "--timeout=20", "add-port", "br-int", "vif0",
                        "--", "set", "Interface", "vif0", "type=internal", f"external_ids:iface-id={port}"],
                       check=True, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if sbctl(ovn, "--bare", "--columns=up", "find", "Port_Binding", f"logical_port={port}").strip() == "true":
                break
            time.sleep(0.5)
        bound = run_module("ovn_chassis_info", {"db": sb_db, "name": name})["chassis"][0]["port_bindings"]
        assert {"logical_port": port, "type": "", "up": True} in bound
        assert nbctl(ovn, "get", "Logical_Switch_Port", port, "up").strip() == "true"

        gone = run_playbook("playbooks/ovn_chassis.yml", extravars=dict(extravars, ovn_chassis_state="absent"))
        assert gone.rc == 0, gone.stdout[-3000:]
        assert chassis_rows(ovn, name) == []
        assert sbctl(ovn, "--bare", "--columns=chassis", "find", "Port_Binding", f"logical_port={port}").strip() == ""
        assert not state_dir.exists()
        assert f"c5c3-{tag}" not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        again = run_playbook("playbooks/ovn_chassis.yml", extravars=dict(extravars, ovn_chassis_state="absent"))
        assert again.rc == 0 and again.changed == 0, again.stdout[-3000:]
    finally:
        if state_dir.exists():
            run_playbook("playbooks/ovn_chassis.yml", extravars=dict(extravars, ovn_chassis_state="absent"))
        nbctl(ovn, "--if-exists", "ls-del", sw)


def test_killed_controller_leaves_a_row_that_absent_deletes(ovn, sb_db):
    tag = uuid.uuid4().hex[:6]
    name = f"hvk-{tag}"
    state_dir = Path("/tmp") / f"c5c3-chassis-{tag}"
    extravars = {"ovn_chassis_sb_remotes": sb_db, "ovn_chassis_system_id": name, "ovn_chassis_encap_ip": "127.0.0.3",
                 "ovn_chassis_dir": str(state_dir), "ovn_chassis_netns": f"c5c3-{tag}"}
    try:
        assert run_playbook("playbooks/ovn_chassis.yml", extravars=extravars).rc == 0
        pid = int((state_dir / "ovn-controller.pid").read_text())
        os.kill(pid, 9)
        time.sleep(1)
        assert chassis_rows(ovn, name) == [name]  # SIGKILL leaves the row behind
        gone = run_playbook("playbooks/ovn_chassis.yml", extravars=dict(extravars, ovn_chassis_state="absent"))
        assert gone.rc == 0, gone.stdout[-3000:]
        assert chassis_rows(ovn, name) == []
    finally:
        if state_dir.exists():
            run_playbook("playbooks/ovn_chassis.yml", extravars=dict(extravars, ovn_chassis_state="absent"))
