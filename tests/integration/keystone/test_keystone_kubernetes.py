"""The role's kubernetes runtime against the lab's real kube-apiserver (no kubelet: objects and their
content are asserted; nothing waits for pods)."""
from __future__ import annotations

import base64
import hashlib
import json
import uuid

import pytest
import yaml

from tests.helpers.ansible import REPO, run_playbook

PLAYBOOK = "playbooks/keystone.yml"


def _kube_vars(kube, namespace):
    return {
        "keystone_runtime": "kubernetes",
        "keystone_namespace": namespace,
        "cobaltcore_kubeconfig": str(kube.kubeconfig),
        "keystone_replicas": 1,
        "keystone_admin_password": f"canary-admin-{uuid.uuid4().hex}",
        "keystone_database_password": f"canary-db-{uuid.uuid4().hex}",
        "keystone_cache_servers": ["memcached.example.svc:11211"],
        "keystone_wait_for_rollout": False,
        "keystone_configmap_keep": 2,
    }


@pytest.fixture
def kube_vars(kube, namespace, external_crds, mariadb):
    # mariadb: the lab inventory's vars read its admin password file, whatever the runtime.
    return _kube_vars(kube, namespace)


@pytest.fixture(scope="module")
def deployed(kube, external_crds, mariadb):
    """One keystone deployed (at -v) into a namespace of its own, for the tests that start from a
    deployed keystone, in file order: its objects and second run, a rotation, status publishing."""
    with kube.fresh_namespace("keystone-deployed") as namespace:
        kube_vars = _kube_vars(kube, namespace)
        yield namespace, kube_vars, run_playbook(PLAYBOOK, extravars=kube_vars, verbosity=1)


def get(kube, namespace, kind, name=None, selector=None):
    args = ["-n", namespace, "get", kind] + ([name] if name else []) + (["-l", selector] if selector else [])
    return json.loads(kube.kubectl(*args, "-o", "json").stdout)


def changed_tasks(result):
    return [t["task"]["name"] for p in result.plays for t in p["tasks"]
            if any(h.get("changed") for h in t["hosts"].values())]


def test_objects_content_idempotence_and_no_secrets_in_configmaps(kube, deployed):
    namespace, kube_vars, first = deployed
    assert first.rc == 0, first.stdout[-4000:]
    secrets = [kube_vars["keystone_admin_password"], kube_vars["keystone_database_password"]]
    for secret in secrets:
        assert secret not in first.stdout and secret not in first.stderr

    deployment = get(kube, namespace, "deployment", "keystone")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["command"] == ["gunicorn"] and container["workingDir"] == "/etc/keystone"
    assert container["readinessProbe"]["httpGet"]["path"] == "/v3"
    volumes = {v["name"]: v for v in pod["volumes"]}
    cm_name = volumes["config"]["configMap"]["name"]
    assert cm_name.startswith("keystone-config-")
    assert volumes["fernet-keys"]["secret"]["secretName"] == "keystone-fernet-keys"
    assert volumes["credential-keys"]["secret"]["secretName"] == "keystone-credential-keys"
    assert volumes["config-secrets"]["secret"]["secretName"] == "keystone-config-secrets"

    cm = get(kube, namespace, "configmap", cm_name)
    assert cm["immutable"] is True
    conf = cm["data"]["keystone.conf"]
    assert "key_repository = /var/lib/keystone/fernet-keys" in conf
    assert "memcache_servers = memcached.example.svc:11211" in conf
    assert "connection =" not in conf and "mysql" not in conf
    assert "wsgi_app = \"keystone.wsgi.api:application\"" in cm["data"]["gunicorn.conf.py"]
    for item in get(kube, namespace, "configmap")["items"]:
        for secret in secrets:
            assert secret not in json.dumps(item), item["metadata"]["name"]

    fragment = base64.b64decode(get(kube, namespace, "secret", "keystone-config-secrets")["data"]
                                ["keystone-secrets.conf"]).decode()
    assert f"keystone:{kube_vars['keystone_database_password']}@mariadb.{namespace}.svc:3306/keystone" in fragment
    assert sorted(get(kube, namespace, "secret", "keystone-fernet-keys")["data"]) == ["0", "1"]
    assert sorted(get(kube, namespace, "secret", "keystone-credential-keys")["data"]) == ["0", "1"]

    jobs = {j["metadata"]["labels"]["app.kubernetes.io/component"]: j
            for j in get(kube, namespace, "jobs", selector="app.kubernetes.io/instance=keystone")["items"]}
    assert set(jobs) == {"db-sync", "bootstrap"}
    assert jobs["db-sync"]["spec"]["template"]["spec"]["containers"][0]["command"][-1] == "db_sync"
    boot = jobs["bootstrap"]["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "OS_BOOTSTRAP_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "keystone-admin", "key": "password"}}} in boot["env"]
    cronjobs = {c["metadata"]["name"] for c in get(kube, namespace, "cronjobs")["items"]}
    assert cronjobs == {"keystone-fernet-rotate", "keystone-credential-rotate"}
    assert get(kube, namespace, "service", "keystone")["spec"]["ports"][0]["port"] == 5000
    assert get(kube, namespace, "pdb", "keystone")["spec"]["maxUnavailable"] == 1
    for kind in ("databases.k8s.mariadb.com", "users.k8s.mariadb.com", "grants.k8s.mariadb.com"):
        assert get(kube, namespace, kind, "keystone")["spec"]["mariaDbRef"]["name"] == "mariadb"
    user = get(kube, namespace, "users.k8s.mariadb.com", "keystone")
    assert user["spec"]["passwordSecretKeyRef"] == {"name": "keystone-db-password", "key": "password"}

    second = run_playbook(PLAYBOOK, extravars=kube_vars)
    assert second.rc == 0
    assert second.changed == 0, changed_tasks(second)


def test_brownfield_creates_no_database_objects(kube, namespace, kube_vars):
    result = run_playbook(PLAYBOOK, extravars={**kube_vars, "keystone_database_mode": "brownfield",
                                               "keystone_database_host": "db.example.org"})
    assert result.rc == 0, result.stdout[-3000:]
    assert get(kube, namespace, "databases.k8s.mariadb.com")["items"] == []
    fragment = base64.b64decode(get(kube, namespace, "secret", "keystone-config-secrets")["data"]
                                ["keystone-secrets.conf"]).decode()
    assert "@db.example.org:3306/keystone" in fragment


def test_config_change_makes_new_configmap_prunes_to_bound_and_check_mode_changes_nothing(kube, namespace, kube_vars):
    # Keep one previous ConfigMap: the third configuration prunes the first (fewest role runs).
    kube_vars = {**kube_vars, "keystone_configmap_keep": 1}
    names = []
    for size in range(3):
        result = run_playbook(PLAYBOOK, extravars={
            **kube_vars, "keystone_extra_config": {"DEFAULT": {"max_param_size": 100 + size}}})
        assert result.rc == 0, result
        names.append(get(kube, namespace, "deployment", "keystone")["spec"]["template"]["spec"]["volumes"][0]
                     ["configMap"]["name"])
    assert len(set(names)) == 3  # every config change gives a new name
    present = {c["metadata"]["name"] for c in get(kube, namespace, "configmap",
                                                   selector="app.kubernetes.io/component=config")["items"]}
    assert present == {names[1], names[2]}  # the current one and keep=1 previous; the oldest pruned

    before = {c["metadata"]["name"]: c["metadata"]["resourceVersion"]
              for c in get(kube, namespace, "configmap")["items"]}
    deployment_rv = get(kube, namespace, "deployment", "keystone")["metadata"]["resourceVersion"]
    check = run_playbook(PLAYBOOK, check=True, extravars={
        **kube_vars, "keystone_extra_config": {"DEFAULT": {"max_param_size": 999}}})
    assert check.rc == 0, check.stdout[-3000:]
    assert check.changed > 0
    after = {c["metadata"]["name"]: c["metadata"]["resourceVersion"]
             for c in get(kube, namespace, "configmap")["items"]}
    assert after == before
    assert get(kube, namespace, "deployment", "keystone")["metadata"]["resourceVersion"] == deployment_rv


def test_rotation_stages_then_promotes(kube, deployed):
    namespace, kube_vars, first = deployed
    assert first.rc == 0
    result = run_playbook("playbooks/keystone_rotate.yml", extravars=kube_vars)
    assert result.rc == 0, result.stdout[-3000:]
    assert sorted(get(kube, namespace, "secret", "keystone-fernet-keys")["data"], key=int) == ["0", "1", "2"]
    assert sorted(get(kube, namespace, "secret", "keystone-credential-keys")["data"], key=int) == ["0", "1", "2"]
    # credential keys changed: a credential_migrate Job keyed by the new primary index.
    jobs = {j["metadata"]["name"] for j in get(kube, namespace, "jobs")["items"]}
    assert "keystone-credential-migrate-2" in jobs
    # A later deploy has nothing staged to promote and changes nothing.
    again = run_playbook(PLAYBOOK, extravars=kube_vars)
    assert again.changed == 0, changed_tasks(again)


def test_conditions_published_into_the_keystone_cr(kube, deployed):
    namespace, kube_vars, _ = deployed
    kube.install_crds(REPO / "operator/deploy/crds/keystone.openstack.c5c3.io_keystones.yaml")
    example = (REPO / "examples" / "keystone.yaml").read_text()
    kube.kubectl("-n", namespace, "apply", "-f", "-", input=example)
    result = run_playbook(PLAYBOOK, extravars={**kube_vars, "keystone_publish_status": True})
    assert result.rc == 0, result.stdout[-3000:]
    status = get(kube, namespace, "keystones.keystone.openstack.c5c3.io", "keystone")["status"]
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["ConfigReady"]["status"] == "True"
    assert conditions["ConfigReady"]["reason"] == "Rendered"
    assert conditions["FernetKeysReady"]["status"] == "True"
    # No kubelet, no waiting: the workload conditions stay Unknown rather than claiming success.
    assert conditions["DeploymentReady"]["status"] == "Unknown"
    assert status["endpoint"] == f"http://keystone.{namespace}.svc:5000/v3"
    for secret in (kube_vars["keystone_admin_password"], kube_vars["keystone_database_password"]):
        assert secret not in json.dumps(status)


def test_keystone_cr_with_an_image_digest_runs_every_pod_from_repository_at_digest(kube, namespace, kube_vars):
    """spec.image.digest (the CRD takes exactly one of tag or digest) is projected by
    playbooks/keystone_cr.yml and pins every pod: API, db_sync, bootstrap, rotation CronJobs."""
    kube.install_crds(REPO / "operator/deploy/crds/keystone.openstack.c5c3.io_keystones.yaml")
    digest = "sha256:" + hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    cr = yaml.safe_load((REPO / "examples" / "keystone.yaml").read_text())
    cr["metadata"]["namespace"] = namespace
    cr["spec"]["image"] = {"repository": "ghcr.io/c5c3/keystone", "digest": digest}
    cr["spec"]["replicas"] = 1
    del cr["spec"]["cache"]  # no Memcached CR in this namespace
    kube.kubectl("-n", namespace, "apply", "-f", "-", input=json.dumps(cr))  # the CRD accepts it
    for name, password in (("keystone-db-credentials", kube_vars["keystone_database_password"]),
                           ("keystone-admin-credentials", kube_vars["keystone_admin_password"])):
        kube.kubectl("-n", namespace, "apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
            "data": {"password": base64.b64encode(password.encode()).decode()}}))
    result = run_playbook("playbooks/keystone_cr.yml", extravars={
        "cobaltcore_kubeconfig": str(kube.kubeconfig), "keystone_cr_runtime": "kubernetes",
        "keystone_wait_for_rollout": False,
        "cobaltcore_cr": {"api_version": cr["apiVersion"], "kind": "Keystone", "plural": "keystones",
                          "name": "keystone", "namespace": namespace, "spec": cr["spec"], "action": "apply"}})
    assert result.rc == 0, result.stdout[-4000:]

    image = f"ghcr.io/c5c3/keystone@{digest}"
    pod = get(kube, namespace, "deployment", "keystone")["spec"]["template"]["spec"]
    assert [c["image"] for c in pod["containers"]] == [image]
    jobs = get(kube, namespace, "jobs", selector="app.kubernetes.io/instance=keystone")["items"]
    assert {j["metadata"]["labels"]["app.kubernetes.io/component"] for j in jobs} == {"db-sync", "bootstrap"}
    for job in jobs:
        assert [c["image"] for c in job["spec"]["template"]["spec"]["containers"]] == [image]
    cronjobs = get(kube, namespace, "cronjobs")["items"]
    assert len(cronjobs) == 2
    for cronjob in cronjobs:
        assert [c["image"] for c in cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]] == [image]
    status = get(kube, namespace, "keystones.keystone.openstack.c5c3.io", "keystone")["status"]
    assert {c["type"]: c["status"] for c in status["conditions"]}["ConfigReady"] == "True"
