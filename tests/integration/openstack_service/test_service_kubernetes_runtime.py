"""The kubernetes runtime of openstack_service through its two declarations (glance from a Glance
custom resource as the operator passes it, placement from plain variables), against the lab's real
kube-apiserver. No kubelet: objects and their content are asserted, nothing waits for pods."""
from __future__ import annotations

import base64
import json
import uuid

from tests.helpers.ansible import REPO, run_playbook


def get(kube, namespace, kind, name=None, selector=None):
    args = ["-n", namespace, "get", kind] + ([name] if name else []) + (["-l", selector] if selector else [])
    return json.loads(kube.kubectl(*args, "-o", "json").stdout)


def changed_tasks(result):
    return [t["task"]["name"] for p in result.plays for t in p["tasks"]
            if any(h.get("changed") for h in t["hosts"].values())]


def secret(kube, namespace, name, data):
    kube.kubectl("-n", namespace, "create", "secret", "generic", name,
                 *[f"--from-literal={k}={v}" for k, v in data.items()])


def test_glance_from_its_custom_resource(kube, namespace, external_crds, mariadb):
    kube.kubectl("apply", "--server-side", "-f", str(REPO / "operator/deploy/crds/glance.openstack.c5c3.io_glances.yaml"))
    kube.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/glances.glance.openstack.c5c3.io")
    canaries = {"db": f"canary-db-{uuid.uuid4().hex}", "ac": f"canary-ac-{uuid.uuid4().hex}",
                "ceph": f"canary-cephkey-{uuid.uuid4().hex}"}
    secret(kube, namespace, "glance-db", {"password": canaries["db"]})
    secret(kube, namespace, "glance-keystone-credentials",
           {"application_credential_id": "0123abcd", "application_credential_secret": canaries["ac"]})
    secret(kube, namespace, "ceph-client-glance", {"key": canaries["ceph"], "monitors": "10.0.0.1:6789",
                                                   "fsid": "2f7c9a3e-0000-4000-8000-000000000001", "user": "glance"})
    spec = {"replicas": 2, "image": {"repository": "ghcr.io/c5c3/glance", "tag": "31.0.0"},
            "database": {"clusterRef": {"name": "mariadb"}, "database": "glance", "secretRef": {"name": "glance-db"}},
            "keystone": {"authUrl": "http://keystone.openstack.svc:5000/v3",
                         "appCredentialRef": {"secretName": "glance-keystone-credentials"}},
            "policyOverrides": {"rules": {"get_images": "role:reader"}},
            "storage": {"backend": "rbd", "rbd": {"pool": "images", "cephSecretRef": {"name": "ceph-client-glance"}}}}
    cr = {"apiVersion": "glance.openstack.c5c3.io/v1alpha1", "kind": "Glance",
          "metadata": {"name": "glance", "namespace": namespace}, "spec": spec}
    kube.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(cr))
    # The lab inventory runs CR-driven glances on the host (glance_cr_runtime); this test is the kubernetes one.
    extravars = {"cobaltcore_kubeconfig": str(kube.kubeconfig), "glance_wait_for_rollout": False,
                 "glance_cr_runtime": "kubernetes",
                 "cobaltcore_cr": {"api_version": cr["apiVersion"], "kind": "Glance", "plural": "glances",
                                   "name": "glance", "namespace": namespace, "spec": spec, "action": "apply"}}
    first = run_playbook("playbooks/glance.yml", extravars=extravars, verbosity=1)
    assert first.rc == 0, first.stdout[-4000:]
    for value in canaries.values():
        assert value not in first.stdout and value not in first.stderr

    pod = get(kube, namespace, "deployment", "glance")["spec"]["template"]["spec"]
    assert get(kube, namespace, "deployment", "glance")["spec"]["replicas"] == 2
    container = pod["containers"][0]
    assert container["command"] == ["gunicorn"] and container["workingDir"] == "/etc/glance"
    assert container["image"] == "ghcr.io/c5c3/glance:31.0.0"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["config-secrets"]["secret"]["secretName"] == "glance-config-secrets"
    assert volumes["ceph-keyring"]["secret"]["secretName"] == "glance-ceph-keyring"
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["ceph-keyring"] == "/etc/ceph" and mounts["config"] == "/etc/glance"

    cm = get(kube, namespace, "configmap", volumes["config"]["configMap"]["name"])
    conf = cm["data"]["glance-api.conf"]
    assert "auth_type = v3applicationcredential" in conf
    assert "enabled_backends = rbd:rbd" in conf and "rbd_store_ceph_conf = /etc/glance/ceph.conf" in conf
    assert "policy_file = /etc/glance/policy.yaml" in conf
    assert "mon host = 10.0.0.1:6789" in cm["data"]["ceph.conf"]
    assert "keyring = /etc/ceph/ceph.client.glance.keyring" in cm["data"]["ceph.conf"]
    assert '"get_images": "role:reader"' in cm["data"]["policy.yaml"]
    assert "[composite:glance-api-keystone]" in cm["data"]["glance-api-paste.ini"]
    for each in get(kube, namespace, "configmap")["items"]:
        for value in canaries.values():
            assert value not in json.dumps(each.get("data", {}))

    fragment = base64.b64decode(get(kube, namespace, "secret", "glance-config-secrets")["data"]["glance-secrets.conf"]).decode()
    assert f"application_credential_secret = {canaries['ac']}" in fragment
    assert "application_credential_id = 0123abcd" in fragment
    assert f":{canaries['db']}@mariadb.{namespace}.svc:3306/glance" in fragment
    keyring = base64.b64decode(get(kube, namespace, "secret", "glance-ceph-keyring")["data"]["ceph.client.glance.keyring"]).decode()
    assert canaries["ceph"] in keyring

    jobs = get(kube, namespace, "job", selector="app.kubernetes.io/name=glance,app.kubernetes.io/component=db-sync")["items"]
    assert len(jobs) == 1
    assert jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "glance-manage", "--config-file", "/etc/glance/glance-api.conf",
        "--config-file", "/var/lib/glance/secrets/glance-secrets.conf", "db_sync"]
    assert get(kube, namespace, "pdb", "glance")["spec"]["minAvailable"] == 1
    assert get(kube, namespace, "service", "glance")["spec"]["ports"][0]["port"] == 9292

    status = get(kube, namespace, "glances.glance.openstack.c5c3.io", "glance")["status"]
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert conditions["ConfigReady"] == "True" and conditions["SecretsReady"] == "True"
    assert "Ready" not in conditions  # the operator's to set
    assert status["endpoint"] == f"http://glance.{namespace}.svc:9292"

    again = run_playbook("playbooks/glance.yml", extravars=extravars)
    assert again.rc == 0, again.stdout[-3000:]
    assert changed_tasks(again) == []


def test_placement_objects_prune_and_idempotence(kube, namespace, external_crds, mariadb):
    db = f"canary-db-{uuid.uuid4().hex}"
    ac = f"canary-ac-{uuid.uuid4().hex}"
    secret(kube, namespace, "placement-keystone-credentials",
           {"application_credential_id": "feed01", "application_credential_secret": ac})
    extravars = {"placement_runtime": "kubernetes", "placement_namespace": namespace,
                 "cobaltcore_kubeconfig": str(kube.kubeconfig), "placement_replicas": 1,
                 "placement_database_password": db, "placement_wait_for_rollout": False}
    first = run_playbook("playbooks/placement.yml", extravars=extravars, verbosity=1)
    assert first.rc == 0, first.stdout[-4000:]
    assert db not in first.stdout + first.stderr and ac not in first.stdout + first.stderr
    pod = get(kube, namespace, "deployment", "placement")["spec"]["template"]["spec"]
    cm_name = {v["name"]: v for v in pod["volumes"]}["config"]["configMap"]["name"]
    conf = get(kube, namespace, "configmap", cm_name)["data"]["placement.conf"]
    assert "[placement_database]" in conf and db not in conf and ac not in conf
    assert get(kube, namespace, "pdb", "placement")["spec"]["maxUnavailable"] == 1
    fragment = base64.b64decode(get(kube, namespace, "secret", "placement-config-secrets")["data"]["placement-secrets.conf"]).decode()
    assert "[placement_database]" in fragment and ac in fragment

    assert changed_tasks(run_playbook("playbooks/placement.yml", extravars=extravars)) == []

    # Four configuration changes: the newest ConfigMap plus openstack_service_configmap_keep (3) old ones stay.
    for i in range(4):
        run = run_playbook("playbooks/placement.yml", extravars={
            **extravars, "placement_extra_config": {"DEFAULT": {"debug": i % 2 == 0, "x_rev": i}}})
        assert run.rc == 0, run.stdout[-3000:]
    cms = get(kube, namespace, "configmap", selector="app.kubernetes.io/name=placement,app.kubernetes.io/component=config")
    assert len(cms["items"]) == 4
