"""Role ovn: runtime host (3-member NB and SB raft clusters + northd as daemons on this host:
create, idempotent re-run, a member leaves and re-joins, destroy) and runtime kubernetes
(StatefulSets, Services and northd rendered from an OVNCluster; no pods run in the lab)."""
from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.helpers.ansible import run_module, run_playbook
from tests.helpers.kube import existing

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def role_cluster(lab):
    p = lab.settings.ports
    members = [{"name": f"m{i + 1}", "host": "lab-controller", "address": "127.0.0.1",
                "nb_port": p.ovn_role_nb + i, "sb_port": p.ovn_role_sb + i,
                "nb_raft_port": p.ovn_role_nb_raft + i, "sb_raft_port": p.ovn_role_sb_raft + i} for i in range(3)]
    state_dir = Path("/tmp") / f"c5c3-ovnrole-{uuid.uuid4().hex[:6]}"
    extravars = {"ovn_members": members, "ovn_dir": str(state_dir)}
    yield extravars
    run_playbook("playbooks/ovn.yml", extravars=dict(extravars, ovn_action="destroy"))


def cluster(state_dir, names, db="nb"):
    database = "OVN_Northbound" if db == "nb" else "OVN_Southbound"
    return run_module("ovn_cluster_info", {"ctl_sockets": [f"{state_dir}/{n}/{db}.ctl" for n in names],
                                           "database": database})


def test_host_runtime_create_leave_rejoin_destroy(role_cluster):
    state_dir = role_cluster["ovn_dir"]
    nb = ",".join(f"tcp:127.0.0.1:{m['nb_port']}" for m in role_cluster["ovn_members"])
    sb = ",".join(f"tcp:127.0.0.1:{m['sb_port']}" for m in role_cluster["ovn_members"])

    first = run_playbook("playbooks/ovn.yml", extravars=role_cluster)
    assert first.rc == 0, first.stdout[-3000:]
    for db in ("nb", "sb"):
        info = cluster(state_dir, ["m1", "m2", "m3"], db)
        assert len(info["servers"]) == 3 and info["leader"], info
    again = run_playbook("playbooks/ovn.yml", extravars=role_cluster)
    assert again.rc == 0 and again.changed == 0, again.stdout[-3000:]

    # northd of the role translates NB into SB
    run_module("ovn_logical_switch", {"db": nb.split(","), "switches": [{"name": "role-ls"}],
                                      "ports": [{"name": "role-p1", "switch": "role-ls"}]})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = subprocess.run(["ovn-sbctl", f"--db={sb}", "--bare", "--columns=logical_port", "list", "Port_Binding"],
                             capture_output=True, text=True, check=True).stdout
        if "role-p1" in out:
            break
        time.sleep(0.5)
    assert "role-p1" in out

    left = run_playbook("playbooks/ovn.yml", extravars=dict(role_cluster, ovn_action="leave", ovn_leave_member="m3"))
    assert left.rc == 0, left.stdout[-3000:]
    for db in ("nb", "sb"):
        info = cluster(state_dir, ["m1", "m2"], db)
        assert sorted(s["address"] for s in info["servers"]) == sorted(
            f"tcp:127.0.0.1:{m[db + '_raft_port']}" for m in role_cluster["ovn_members"][:2]), info
    assert not Path(f"{state_dir}/m3/nb.db").exists()

    rejoin = run_playbook("playbooks/ovn.yml", extravars=role_cluster)
    assert rejoin.rc == 0, rejoin.stdout[-3000:]
    for db in ("nb", "sb"):
        assert len(cluster(state_dir, ["m1", "m2", "m3"], db)["servers"]) == 3
    m3 = subprocess.run(["ovn-nbctl", f"--db=unix:{state_dir}/m3/nb.sock", "--no-leader-only", "ls-list"],
                        capture_output=True, text=True, check=True).stdout
    assert "role-ls" in m3

    gone = run_playbook("playbooks/ovn.yml", extravars=dict(role_cluster, ovn_action="destroy"))
    assert gone.rc == 0, gone.stdout[-3000:]
    assert not Path(state_dir).exists()
    ports = [m[k] for m in role_cluster["ovn_members"] for k in ("nb_port", "sb_port", "nb_raft_port", "sb_raft_port")]
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    assert not [p for p in ports if f"127.0.0.1:{p} " in listening]


def test_bad_members_fail_before_anything_starts(role_cluster):
    even = dict(role_cluster, ovn_members=role_cluster["ovn_members"][:2])
    result = run_playbook("playbooks/ovn.yml", extravars=even)
    assert result.rc != 0 and "odd number" in result.stdout
    assert not Path(role_cluster["ovn_dir"]).exists()


def test_kubernetes_runtime_renders_statefulsets_and_services(kube, namespace):
    extravars = {"ovn_runtime": "kubernetes", "ovn_namespace": namespace, "ovn_cluster_name": "ovn",
                 "cobaltcore_kubeconfig": str(kube.kubeconfig),
                 "ovn_cluster_spec": {"southbound": {"replicas": 5, "storage": {"size": "20Gi"}}}}
    kube.install_crds(REPO / "operator/deploy/crds/ovn.c5c3.io_ovnclusters.yaml")
    first = run_playbook("playbooks/ovn.yml", extravars=extravars)
    assert first.rc == 0, first.stdout[-3000:]

    def get(kind, name):
        return existing(kube, namespace, kind, name)

    cr = get("ovncluster", "ovn")
    nb, sb = get("statefulset", "ovn-nb"), get("statefulset", "ovn-sb")
    assert nb["spec"]["replicas"] == 3 and sb["spec"]["replicas"] == 5
    assert sb["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert nb["spec"]["serviceName"] == "ovn-nb-raft"
    assert nb["metadata"]["ownerReferences"][0]["uid"] == cr["metadata"]["uid"]
    assert "join-cluster" in nb["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert get("service", "ovn-nb")["spec"]["ports"][0]["port"] == 6641
    assert get("service", "ovn-sb")["spec"]["ports"][0]["port"] == 6642
    assert get("service", "ovn-sb-raft")["spec"]["clusterIP"] == "None"
    northd = get("deployment", "ovn-northd")["spec"]["template"]["spec"]["containers"][0]["command"]
    assert f"--ovnnb-db=tcp:ovn-nb.{namespace}.svc:6641" in northd

    again = run_playbook("playbooks/ovn.yml", extravars=extravars)
    assert again.rc == 0 and again.changed == 0, again.stdout[-3000:]

    scaled = run_playbook("playbooks/ovn.yml", extravars=dict(extravars, ovn_cluster_spec={
        "southbound": {"replicas": 3, "storage": {"size": "20Gi"}}}))
    assert scaled.rc == 0 and get("statefulset", "ovn-sb")["spec"]["replicas"] == 3

    resized = run_playbook("playbooks/ovn.yml", extravars=dict(extravars, ovn_cluster_spec={
        "southbound": {"replicas": 3, "storage": {"size": "30Gi"}}}), json_output=False)
    assert resized.rc != 0 and "storage size cannot change in place" in resized.stdout
