"""OVNCluster and OVNChassis status written by their playbooks, through the shipped operator (its
ServiceAccount, the shipped CRDs, rbac-ovn.yaml and mapping entries).

OVNCluster: the lab has no kubelet, so the StatefulSets and DaemonSets the kubernetes runtime
renders never run;
the mapping's test vars point the status reader at the lab's NB and SB raft members instead of
the pods, and the raft state published must be the one the members' control sockets report.
OVNChassis: a real chassis on this host (own OVS directory and network namespace) registers with
the lab's SB; deleting the object removes it, SB row included.
"""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
import yaml

from tests.helpers.ansible import run_module, run_playbook
from tests.helpers.operator_lab import start_operator
from tests.integration.ovn.conftest import REPO, sbctl

sys.path.insert(0, str(REPO / "operator"))
from cobaltcore_operator import testing  # noqa: E402

DEPLOY = REPO / "operator" / "deploy"


def get(kube, namespace: str, plural: str, name: str) -> dict | None:
    return kube.get(namespace, plural, name)


def conditions(obj: dict) -> dict[str, dict]:
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


def wait_run(kube, op, namespace, plural, name, timeout=300) -> dict:
    """The object once a run for its current generation has finished."""
    def done():
        obj = get(kube, namespace, plural, name)
        last = (obj.get("status") or {}).get("lastRun") or {}
        return obj if last.get("generation") == obj["metadata"]["generation"] \
            and last.get("result") in ("Succeeded", "Failed") else None
    try:
        return testing.wait_for(done, timeout=timeout, interval=1, what=f"a finished run of {plural}/{name}")
    except AssertionError:
        raise AssertionError(f"{(get(kube, namespace, plural, name) or {}).get('status')}\n{op.log()[-5000:]}") from None


@pytest.fixture
def operator(kube, ovn, nb_db, sb_db, namespace, tmp_path):
    kube.install_crds(DEPLOY / "crds" / "ovn.c5c3.io_ovnclusters.yaml", DEPLOY / "crds" / "ovn.c5c3.io_ovnchassis.yaml")
    testing.install_rbac(kube.kubectl, DEPLOY / "rbac-ovn.yaml",
                         probe=("patch", "ovnchassis.ovn.c5c3.io", "--subresource=status", "-A"))
    tag = uuid.uuid4().hex[:6]
    host, state_dir = f"hv-{tag}", Path("/tmp") / f"c5st-{tag}"  # unix sockets need short paths
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "hosts": {host: dict(local, ovn_chassis_dir=str(state_dir), ovn_chassis_netns=f"c5st-{tag}")},
        "children": {"k8s_control": {"hosts": {"ctl": local}}}}}))
    op = start_operator(kube, tmp_path, namespace, {
        "OVNCluster": {"ovn_cluster_status_nb_db": nb_db, "ovn_cluster_status_sb_db": sb_db},
        "OVNChassis": {"ovn_chassis_sb_remotes": sb_db}}, inventory=inventory, concurrency=2)
    try:
        yield op, host, state_dir, tag
    finally:
        op.stop()
        if state_dir.exists():
            run_playbook("playbooks/ovn_chassis.yml", extravars={
                "ovn_chassis_hosts": "lab_hosts", "ovn_chassis_state": "absent", "ovn_chassis_sb_remotes": sb_db,
                "ovn_chassis_system_id": f"ch-{tag}", "ovn_chassis_dir": str(state_dir),
                "ovn_chassis_netns": f"c5st-{tag}"})


def test_ovncluster_status_has_the_raft_state(kube, ovn, nb_db, sb_db, namespace, operator, tmp_path):
    op, *_ = operator
    kube.apply(namespace, {"apiVersion": "ovn.c5c3.io/v1alpha1", "kind": "OVNCluster",
                           "metadata": {"name": "ovn"}, "spec": {}}, check=True)
    obj = wait_run(kube, op, namespace, "ovnclusters", "ovn")
    status, cond = obj["status"], conditions(obj)
    assert status["lastRun"]["result"] == "Succeeded", status
    for t in ("NorthboundReady", "SouthboundReady", "ClusterReady", "Ready"):
        assert cond[t]["status"] == "True", cond[t]
    assert cond["Ready"]["reason"] == "ClusterReady"
    assert status["endpoints"] == {"northbound": f"tcp:ovn-nb.{namespace}.svc:6641",
                                   "southbound": f"tcp:ovn-sb.{namespace}.svc:6642"}
    assert status["chassisCount"] >= 1  # the lab's chassis
    # the hypervisor DaemonSets were rendered by the operator's ServiceAccount; no kubelet, no pods
    for ds in ("ovn-ovs", "ovn-controller"):
        assert get(kube, namespace, "daemonset", ds)["metadata"]["ownerReferences"][0]["kind"] == "OVNCluster"
    assert status["activeControllers"] == 0
    assert cond["ControllersReady"]["status"] == "False" and cond["ControllersReady"]["reason"] == "NoNodes"
    for key, remotes, ctls in (("northbound", nb_db, ovn.connection_info()["OVN_NB_CTLS"]),
                               ("southbound", sb_db, ovn.connection_info()["OVN_SB_CTLS"])):
        raft = status[key]
        # the same leader and members as the members' own control sockets say
        truth = run_module("ovn_cluster_info", {"ctl_sockets": ctls.split(","), "database":
                                                 "OVN_Northbound" if key == "northbound" else "OVN_Southbound"})
        assert raft["leader"] == truth["leader"] and raft["clusterId"] == truth["cluster_id"]
        assert raft["replicas"] == 3 and raft["readyMembers"] == 3
        assert sorted(m["serverId"] for m in raft["members"]) == sorted(s["id"] for s in truth["servers"])
        assert [m["address"] for m in raft["members"]] == remotes
        assert [m["role"] for m in raft["members"]].count("leader") == 1
        assert raft["index"] > 0 and "term" not in raft  # no term over OVSDB
    assert "NB: " not in cond["ClusterReady"]["message"]
    assert cond["NorthboundReady"]["message"].startswith(f"leader {status['northbound']['leader']} at tcp:")

    # The same playbook where nothing answers (the pods the lab cannot run): Ready=False with the
    # reason, and nothing left over from the healthy run (leader, index are removed).
    cr = {"api_version": "ovn.c5c3.io/v1alpha1", "kind": "OVNCluster", "plural": "ovnclusters", "name": "ovn",
          "namespace": namespace, "uid": obj["metadata"]["uid"], "generation": obj["metadata"]["generation"],
          "spec": obj["spec"], "action": "apply"}
    down = run_playbook("playbooks/ovn.yml", extravars={"cobaltcore_cr": cr, "ovn_cluster_status_wait": 0,
                                                        "cobaltcore_kubeconfig": str(kube.kubeconfig)})
    assert down.rc == 0, down.stdout[-3000:]
    obj = get(kube, namespace, "ovnclusters", "ovn")
    status, cond = obj["status"], conditions(obj)
    assert cond["Ready"]["status"] == "False" and cond["ClusterReady"]["status"] == "False"
    assert cond["NorthboundReady"]["reason"] == "Unreachable"
    assert f"tcp:ovn-nb-0.ovn-nb-raft.{namespace}.svc:6641" in cond["NorthboundReady"]["message"]
    assert "leader" not in status["northbound"] and "index" not in status["northbound"]
    assert {m["role"] for m in status["northbound"]["members"]} == {"unreachable"}
    assert "chassisCount" not in status


def test_ovnchassis_status_from_sb_and_the_host(kube, ovn, sb_db, namespace, operator):
    op, host, state_dir, tag = operator
    name = f"ch-{tag}"
    body = {"apiVersion": "ovn.c5c3.io/v1alpha1", "kind": "OVNChassis", "metadata": {"name": name},
            "spec": {"hostname": host, "systemId": name, "encapsulation": {"ip": "127.0.0.5"},
                     "bridgeMappings": [{"physicalNetwork": "physnet1", "bridge": "br-prov"}]}}
    kube.apply(namespace, body, check=True)
    obj = wait_run(kube, op, namespace, "ovnchassis", name)
    status, cond = obj["status"], conditions(obj)
    assert status["lastRun"]["result"] == "Succeeded", status
    for t in ("Registered", "OVSConnected", "SBConnected", "Ready"):
        assert cond[t]["status"] == "True", cond[t]
    assert cond["Ready"]["reason"] == "ChassisReady"
    assert status["chassisName"] == name and status["hostname"] == host
    assert status["encapsulations"] == [{"type": "geneve", "ip": "127.0.0.5"}]
    assert status["bridgeMappings"] == "physnet1:br-prov" and status["boundPorts"] == 0
    registered_at = status["registeredAt"]
    assert registered_at and status["lastHeartbeat"] >= registered_at

    body["spec"]["bridgeMappings"].append({"physicalNetwork": "physnet2", "bridge": "br-prov2"})
    kube.apply(namespace, body, check=True)
    obj = wait_run(kube, op, namespace, "ovnchassis", name)
    assert obj["status"]["lastRun"]["result"] == "Succeeded", obj["status"]
    assert obj["status"]["bridgeMappings"] == "physnet1:br-prov,physnet2:br-prov2"
    assert obj["status"]["registeredAt"] == registered_at  # still the first registration
    assert conditions(obj)["Registered"]["status"] == "True"

    # Deleting the object runs the finalizer: the chassis leaves SB and the host.
    kube.kubectl("-n", namespace, "delete", "ovnchassis", name, "--wait=false")
    testing.wait_for(lambda: get(kube, namespace, "ovnchassis", name) is None, timeout=300, interval=1,
                     what="the OVNChassis to be finalized")
    assert sbctl(ovn, "--bare", "--columns=name", "find", "Chassis", f"name={name}").split() == []
    assert not state_dir.exists()
