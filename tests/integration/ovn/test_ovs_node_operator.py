"""OVSNode through the shipped operator: the object's spec is applied to its host's Open vSwitch
(playbooks/ovs_node.yml, role ovn_chassis with scope ovs) and what OVS does there comes back as
status. The operator runs as its ServiceAccount with the shipped CRD, RBAC (rbac-ovs.yaml) and
mapping entry; its inventory has one host named like the Node (connection local, its own OVS
state directory and network namespace).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from tests.helpers.ansible import run_playbook
from tests.helpers.operator_lab import start_operator
from tests.integration.ovn.conftest import REPO, sbctl

sys.path.insert(0, str(REPO / "operator"))
from cobaltcore_operator import testing  # noqa: E402

DEPLOY = REPO / "operator" / "deploy"
CRD = "ovsnodes.ovs.c5c3.io"


def ovs(state_dir: Path, *args: str) -> str:
    return subprocess.run(["ovs-vsctl", f"--db=unix:{state_dir}/db.sock", "--timeout=20", *args],
                          capture_output=True, text=True, check=True, env=dict(os.environ, OVS_RUNDIR=str(state_dir))).stdout


def external_ids(state_dir: Path) -> dict[str, str]:
    out = json.loads(ovs(state_dir, "--format=json", "--columns=external_ids", "list", "Open_vSwitch"))
    return dict(out["data"][0][0][1])


def get(kube, namespace: str, name: str) -> dict | None:
    return kube.get(namespace, "ovsnode", name)


def conditions(obj: dict) -> dict[str, dict]:
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


def wait_run(kube, op, namespace, name, generation=None, timeout=300) -> dict:
    """The object once a run for ``generation`` (default: the current one) has finished."""
    def done():
        obj = get(kube, namespace, name)
        last = (obj.get("status") or {}).get("lastRun") or {}
        want = generation or obj["metadata"]["generation"]
        return obj if last.get("generation") == want and last.get("result") in ("Succeeded", "Failed") else None
    try:
        return testing.wait_for(done, timeout=timeout, interval=1, what=f"a finished run of ovsnode/{name}")
    except AssertionError:
        raise AssertionError(f"{(get(kube, namespace, name) or {}).get('status')}\n{op.log()[-5000:]}") from None


@pytest.fixture
def operator(kube, namespace, tmp_path):
    """The operator for OVSNode in ``namespace``, with an inventory holding the host hv-<tag>."""
    kube.install_crds(DEPLOY / "crds" / "ovs.c5c3.io_ovsnodes.yaml")
    testing.install_rbac(kube.kubectl, DEPLOY / "rbac-ovs.yaml",
                         probe=("patch", CRD, "--subresource=status", "-A"))
    tag = uuid.uuid4().hex[:6]
    host = f"hv-{tag}"
    state_dir = Path("/tmp") / f"c5on-{tag}"  # unix sockets need short paths
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {host: {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "ovn_chassis_dir": str(state_dir), "ovn_chassis_netns": f"c5on-{tag}"}}}}))
    op = start_operator(kube, tmp_path, namespace, {"OVSNode": {}}, inventory=inventory, concurrency=2)
    try:
        yield op, host, state_dir, tag
    finally:
        op.stop()


def test_ovsnode_applied_to_its_host_and_reported(kube, ovn, sb_db, namespace, operator):
    op, host, state_dir, tag = operator
    system_id = f"ovsn-{tag}"
    body = {"apiVersion": "ovs.c5c3.io/v1alpha1", "kind": "OVSNode", "metadata": {"name": host},
            "spec": {"nodeRef": {"name": host}, "systemId": system_id, "datapathType": "netdev",
                     "bridges": [{"name": "br-ex"}],
                     "bridgeMappings": [{"physicalNetwork": "physnet1", "bridge": "br-prov"}]}}
    chassis_vars = {"ovn_chassis_sb_remotes": sb_db, "ovn_chassis_system_id": system_id, "ovn_chassis_hostname": host,
                    "ovn_chassis_encap_ip": "127.0.0.4", "ovn_chassis_dir": str(state_dir),
                    "ovn_chassis_netns": f"c5on-{tag}", "ovn_chassis_datapath_type": "netdev",
                    "ovn_chassis_bridge_mappings": [{"physical_network": "physnet1", "bridge": "br-prov"}]}
    try:
        kube.apply(namespace, body, check=True)
        obj = wait_run(kube, op, namespace, host)
        status = obj["status"]
        assert status["lastRun"]["result"] == "Succeeded", status
        cond = conditions(obj)
        assert cond["Ready"]["status"] == "True" and cond["Ready"]["reason"] == "OVSReady", cond["Ready"]
        assert cond["OVSDBConnected"]["status"] == "True"
        assert cond["AllBridgesHealthy"]["status"] == "True", cond["AllBridgesHealthy"]
        assert cond["AllBondsHealthy"]["reason"] == "NoBonds"
        # no ovn-controller yet: OVS alone is Ready, the controller is reported as not running
        assert cond["OVNControllerConnected"]["status"] == "False"
        assert cond["OVNControllerConnected"]["reason"] == "NotRunning"
        assert status["ovsVersion"] and status["dpdkEnabled"] is False
        bridges = {b["name"]: b for b in status["bridges"]}
        assert set(bridges) == {"br-ex", "br-prov"}
        assert all(b["datapathType"] == "netdev" and b["status"] in ("ok", "no-flows") for b in bridges.values())
        assert status["ovnController"] == {"connected": False, "sbConnection": "", "chassisId": system_id}
        assert status["issues"] == []
        # ... and on the host
        ids = external_ids(state_dir)
        assert ids["system-id"] == system_id and ids["hostname"] == host
        assert ids["ovn-bridge-mappings"] == "physnet1:br-prov" and ids["ovn-bridge-datapath-type"] == "netdev"
        assert sorted(ovs(state_dir, "list-br").split()) == ["br-ex", "br-prov"]

        # An OVN chassis on the same Open vSwitch (what an OVNChassis run does): ovn-controller
        # registers with the lab's SB. The next OVSNode run keeps it and reports it connected.
        chassis = run_playbook("playbooks/ovn_chassis.yml", extravars=chassis_vars)
        assert chassis.rc == 0, chassis.stdout[-3000:]
        body["spec"]["bridges"].append({"name": "br-ex2"})
        kube.apply(namespace, body, check=True)
        obj = wait_run(kube, op, namespace, host)
        cond = conditions(obj)
        assert obj["status"]["lastRun"]["result"] == "Succeeded" and cond["Ready"]["status"] == "True"
        assert cond["OVNControllerConnected"]["status"] == "True", cond["OVNControllerConnected"]
        assert obj["status"]["ovnController"] == {"connected": True, "sbConnection": ",".join(sb_db),
                                                  "chassisId": system_id}
        bridges = {b["name"]: b for b in obj["status"]["bridges"]}
        assert {"br-ex", "br-ex2", "br-prov", "br-int"} <= set(bridges)
        assert bridges["br-int"]["flows"] > 0 and bridges["br-int"]["status"] == "ok"
        # the OVSNode run did not touch what the chassis owns
        ids = external_ids(state_dir)
        assert ids["ovn-remote"] == ",".join(sb_db) and ids["ovn-encap-ip"] == "127.0.0.4"
        assert sbctl(ovn, "--bare", "--columns=name", "find", "Chassis", f"name={system_id}").split() == [system_id]

        # Drift: a bridge deleted behind the operator's back comes back with the next run.
        ovs(state_dir, "del-br", "br-ex")
        kube.kubectl("-n", namespace, "annotate", "ovsnode", host, "test/poke=1")  # no new generation: no run
        generation = obj["metadata"]["generation"]
        body["spec"]["bridges"] = [{"name": "br-ex"}]
        kube.apply(namespace, body, check=True)
        obj = wait_run(kube, op, namespace, host, generation=generation + 1)
        assert conditions(obj)["AllBridgesHealthy"]["status"] == "True"
        assert "br-ex" in ovs(state_dir, "list-br").split()

        # Deleting the object leaves the node's Open vSwitch alone (no finalizer).
        kube.kubectl("-n", namespace, "delete", "ovsnode", host, "--timeout=30s")
        assert get(kube, namespace, host) is None
        assert "br-prov" in ovs(state_dir, "list-br").split()
    finally:
        if state_dir.exists():
            gone = run_playbook("playbooks/ovn_chassis.yml", extravars=dict(chassis_vars, ovn_chassis_state="absent"))
            assert gone.rc == 0, gone.stdout[-3000:]


def test_ovsnode_of_a_node_outside_the_inventory_fails_clearly(kube, namespace, operator):
    op, _host, _state_dir, _tag = operator
    body = {"apiVersion": "ovs.c5c3.io/v1alpha1", "kind": "OVSNode", "metadata": {"name": "elsewhere"},
            "spec": {"nodeRef": {"name": "node-elsewhere"}}}
    kube.apply(namespace, body, check=True)
    obj = wait_run(kube, op, namespace, "elsewhere")
    cond = conditions(obj)
    assert obj["status"]["lastRun"]["result"] == "Failed"
    assert cond["Ready"]["status"] == "False" and cond["Failed"]["status"] == "True"
    assert "node node-elsewhere is not a host of the inventory" in cond["Ready"]["message"], cond["Ready"]
