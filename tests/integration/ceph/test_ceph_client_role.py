"""Role ceph_client on the lab's Ceph, Kubernetes API and libvirt hypervisor: pools, clients with
enforced caps, keys in Secrets, keyrings and libvirt -- and never in the output."""
from __future__ import annotations

import base64
import copy
import subprocess

import pytest
import yaml

from tests.helpers.ansible import REPO, run_playbook

PLAYBOOK = "playbooks/ceph_client.yml"
CLIENTS = ("glance", "cinder", "nova")


def role_defaults() -> dict:
    return yaml.safe_load((REPO / "roles" / "ceph_client" / "defaults" / "main.yml").read_text())


@pytest.fixture
def role_vars(ceph, kube, lab, namespace, tmp_path):
    lab.ensure("libvirt")
    hv = lab.component("libvirt")
    return {
        "ceph_client_play_hosts": "lab_hosts",
        "ceph_client_cluster_conf": str(ceph.conf),
        "ceph_client_admin_keyring": str(ceph.admin_keyring),
        "ceph_client_kubeconfig": str(kube.kubeconfig),
        "ceph_client_namespace": namespace,
        "ceph_client_k8s_host": "lab-controller",
        "ceph_client_pool_defaults": {"pg_num": 8, "size": 1, "min_size": 1, "application": "rbd"},
        "ceph_client_host_targets": ["lab-controller"],
        "ceph_client_config_dir": str(tmp_path / "etc-ceph"),
        "ceph_client_libvirt_targets": [{"uri": hv.unix_uri("lab-hv1")}],
    }


def secret_data(kube, namespace: str, name: str) -> dict:
    out = kube.kubectl("-n", namespace, "get", "secret", name, "-o", "yaml").stdout
    return {k: base64.b64decode(v).decode() for k, v in yaml.safe_load(out)["data"].items()}


def rados_put(ceph, keyring, pool: str, tmp_path, client: str = "glance") -> subprocess.CompletedProcess:
    payload = tmp_path / "payload"
    payload.write_bytes(b"c5c3")
    return ceph.cli("-p", pool, "put", f"probe-{pool}", str(payload), tool="rados", name=f"client.{client}",
                    keyring=keyring, check=False)


def test_role_wires_pools_clients_secrets_keyrings_and_libvirt(ceph, kube, lab, role_vars, tmp_path):
    run = run_playbook(PLAYBOOK, extravars=role_vars, json_output=False, verbosity=1)
    assert run.rc == 0, run.stdout[-3000:]
    keys = {c: ceph.get_key(f"client.{c}") for c in CLIENTS}
    # Canary: no key anywhere in what a user sees with -v.
    for c, key in keys.items():
        assert key not in run.stdout and key not in run.stderr, f"key of client.{c} leaked into the output"

    assert {"images", "volumes", "vms"} <= set(ceph.pools())
    caps = {c: ceph.json("auth", "get", f"client.{c}")[0]["caps"] for c in CLIENTS}
    assert caps["glance"] == role_defaults()["ceph_client_clients"][0]["caps"]

    # cephx is enforced with the keyring the role wrote for host consumers.
    keyring = tmp_path / "etc-ceph" / "ceph.client.glance.keyring"
    assert oct(keyring.stat().st_mode & 0o777) == "0o640"
    assert rados_put(ceph, keyring, "images", tmp_path).returncode == 0
    refused = rados_put(ceph, keyring, "volumes", tmp_path)
    assert refused.returncode != 0 and "Operation not permitted" in refused.stderr
    conf = (tmp_path / "etc-ceph" / "ceph.conf").read_text()
    assert f"mon host = {ceph.mon_host}" in conf

    # Secrets ceph-client-<svc> carry key + monitors; nova's also the libvirt secret's UUID.
    ns = role_vars["ceph_client_namespace"]
    for c in CLIENTS:
        data = secret_data(kube, ns, f"ceph-client-{c}")
        assert data["key"] == keys[c] and data["monitors"] == ceph.mon_host and data["user"] == c
    nova_uuid = secret_data(kube, ns, "ceph-client-nova")["secret_uuid"]
    assert "secret_uuid" not in secret_data(kube, ns, "ceph-client-glance")

    # The Nova key is the libvirt secret's value on the lab hypervisor.
    hv = lab.component("libvirt")
    value = hv.virsh("lab-hv1", "secret-get-value", nova_uuid).stdout.strip()
    assert value == keys["nova"]

    again = run_playbook(PLAYBOOK, extravars=role_vars)
    assert again.rc == 0 and again.changed == 0, [
        t["task"]["name"] for p in again.plays for t in p["tasks"]
        if any(h.get("changed") for h in t["hosts"].values())]


def test_role_applies_a_caps_change(ceph, role_vars, tmp_path):
    # A client of its own: client.glance is shared with the glance and controlplane suites, which
    # may run at the same time on another worker.
    name = "itest-caps"
    caps = {"mon": "profile rbd", "osd": "profile rbd pool=images", "mgr": "profile rbd pool=images"}
    own = dict(role_vars, ceph_client_clients=[{"name": name, "caps": caps}], ceph_client_libvirt_targets=[])
    assert run_playbook(PLAYBOOK, extravars=own).rc == 0
    keyring = tmp_path / "etc-ceph" / f"ceph.client.{name}.keyring"
    assert rados_put(ceph, keyring, "volumes", tmp_path, client=name).returncode != 0

    wider = dict(caps, osd="profile rbd pool=images, profile rbd pool=volumes")
    try:
        run = run_playbook(PLAYBOOK, extravars=dict(own, ceph_client_clients=[{"name": name, "caps": wider}]), diff=True)
        assert run.rc == 0 and run.changed >= 1
        assert ceph.json("auth", "get", f"client.{name}")[0]["caps"]["osd"] == wider["osd"]
        assert rados_put(ceph, keyring, "volumes", tmp_path, client=name).returncode == 0
    finally:
        assert run_playbook(PLAYBOOK, extravars=own).rc == 0
    assert rados_put(ceph, keyring, "volumes", tmp_path, client=name).returncode != 0


def test_role_prechecks_refuse_bad_input_before_changes(ceph, role_vars):
    bad = dict(role_vars, ceph_client_clients=[{"name": "glance"}])
    run = run_playbook(PLAYBOOK, extravars=bad)
    failed = [h for p in run.plays for t in p["tasks"] for h in t["hosts"].values() if h.get("failed")]
    assert run.rc != 0 and len(failed) == 1
    assert "every client needs caps" in failed[0]["msg"] or "caps" in failed[0]["msg"], failed[0]["msg"]
    assert not any(h.get("changed") for p in run.plays for t in p["tasks"] for h in t["hosts"].values())


def test_rook_backend_declares_cephblockpools_and_cephclients(kube, lab, namespace, role_vars):
    lab.ensure("external-crds")
    rook_vars = dict(role_vars, ceph_client_backend="rook", ceph_client_rook_namespace=namespace,
                     ceph_client_rook_wait=False)
    run = run_playbook(PLAYBOOK, extravars=rook_vars)
    assert run.rc == 0, run.stdout[-3000:]
    pools = yaml.safe_load(kube.kubectl("-n", namespace, "get", "cephblockpools.ceph.rook.io", "-o", "yaml").stdout)
    by_name = {p["metadata"]["name"]: p["spec"] for p in pools["items"]}
    assert set(by_name) == {"images", "volumes", "vms"}
    assert by_name["images"]["replicated"]["size"] == 1 and by_name["images"]["application"] == "rbd"
    clients = yaml.safe_load(kube.kubectl("-n", namespace, "get", "cephclients.ceph.rook.io", "-o", "yaml").stdout)
    caps = {c["metadata"]["name"]: c["spec"]["caps"] for c in clients["items"]}
    assert caps["glance"] == role_defaults()["ceph_client_clients"][0]["caps"]
    assert run_playbook(PLAYBOOK, extravars=rook_vars).changed == 0
