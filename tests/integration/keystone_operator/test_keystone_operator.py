"""A Keystone CR reconciled by the shipped operator (its own ServiceAccount, shipped RBAC and
mapping, lab inventory: host runtime) makes a real keystone answer, once per desired state."""
from __future__ import annotations

import copy
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from tests.helpers.operator_lab import (KEYSTONE_CRD, PrivateKeystone, apply, conditions, drop_database, get,
                                        install_operator_rbac, secret, start_operator, wait_ready)

REPO = Path(__file__).resolve().parents[3]
STEPS = ["SecretsReady", "DatabaseReady", "FernetKeysReady", "ConfigReady", "DeploymentReady", "BootstrapReady"]


def token(url: str, password: str) -> requests.Response:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "password": password, "domain": {"id": "default"}}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    return requests.post(f"{url}/auth/tokens", json=body, timeout=30)


@pytest.fixture(scope="module")
def deployment(lab, kube, mariadb, tmp_path_factory):
    """One namespace, operator and private keystone for the module: the tests act on the same
    Keystone object in turn (deploying it is what costs), each applying it and waiting for Ready
    first, so each also runs alone."""
    tmp = tmp_path_factory.mktemp("keystone-operator")
    with kube.fresh_namespace("keystone-operator") as namespace:
        install_operator_rbac(kube)
        ks = PrivateKeystone.make(lab.settings, tmp)
        op = start_operator(kube, tmp, namespace, {"Keystone": ks.vars})
        admin_password = f"canary-admin-{uuid.uuid4().hex}"
        db_user = f"{ks.db_prefix}keystone"
        apply(kube, namespace, secret("keystone-db-credentials",
                                      {"username": db_user, "password": f"canary-db-{uuid.uuid4().hex}"}))
        apply(kube, namespace, secret("keystone-admin-credentials", {"password": admin_password}))
        cr = yaml.safe_load((REPO / "examples" / "keystone_lab.yaml").read_text())
        cr["spec"]["database"]["database"] = db_user
        try:
            yield namespace, op, ks, cr, admin_password
        finally:
            op.stop()
            ks.stop()
            drop_database(mariadb, db_user, db_user)


def test_keystone_cr_reaches_ready_and_serves_tokens(kube, deployment):
    namespace, op, ks, cr, admin_password = deployment
    apply(kube, namespace, cr)
    obj = wait_ready(kube, op, namespace, KEYSTONE_CRD, "keystone")
    conds = conditions(obj)
    for step in STEPS:
        assert conds[step]["status"] == "True", conds[step]
    assert obj["status"]["endpoint"] == ks.url
    assert requests.get(ks.url, timeout=30).json()["version"]["id"].startswith("v3")
    resp = token(ks.url, admin_password)
    assert resp.status_code == 201, resp.text
    assert resp.headers["X-Subject-Token"]
    # The CR's policy override reached keystone's policy file (the rendered config is the CR's).
    assert "identity:list_projects" in (ks.root / "etc" / "policy.yaml").read_text()
    # No secret in status, Events or the operator log.
    events = kube.kubectl("-n", namespace, "get", "events", "-o", "yaml").stdout
    for text in (str(obj["status"]), events, op.log()):
        assert admin_password not in text

    # The same desired state again: the operator starts no playbook.
    runs = op.metric("cobaltcore_operator_runs_total")
    skipped = op.metric("cobaltcore_operator_skipped_noop_events_total")
    labelled = copy.deepcopy(cr)
    labelled["metadata"]["labels"] = {"touched": "yes"}
    apply(kube, namespace, labelled)
    deadline = time.monotonic() + 30
    while op.metric("cobaltcore_operator_skipped_noop_events_total") <= skipped and time.monotonic() < deadline:
        time.sleep(0.5)
    assert op.metric("cobaltcore_operator_skipped_noop_events_total") > skipped
    time.sleep(3)  # a run, had one been queued, would have started by now
    assert op.metric("cobaltcore_operator_runs_total") == runs
    assert get(kube, namespace, KEYSTONE_CRD, "keystone")["status"]["lastRun"] == obj["status"]["lastRun"]


def test_admin_password_change_reruns(kube, deployment):
    namespace, op, ks, cr, admin_password = deployment
    apply(kube, namespace, cr)
    first = wait_ready(kube, op, namespace, KEYSTONE_CRD, "keystone")
    new_password = f"canary-admin2-{uuid.uuid4().hex}"
    apply(kube, namespace, secret("keystone-admin-credentials", {"password": new_password}))

    def rerun_done():
        obj = get(kube, namespace, KEYSTONE_CRD, "keystone")
        last = obj["status"].get("lastRun") or {}
        return obj if last.get("start") != first["status"]["lastRun"]["start"] and last.get("end") \
            and conditions(obj)["Ready"]["status"] == "True" else None
    deadline = time.monotonic() + 600
    while not rerun_done():
        assert time.monotonic() < deadline, op.log()[-4000:]
        time.sleep(1)
    assert token(ks.url, new_password).status_code == 201
    assert token(ks.url, admin_password).status_code == 401
    assert new_password not in op.log()
