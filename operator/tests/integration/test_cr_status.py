"""c5c3.cobaltcore.cr_status against the lab apiserver: merge by type, idempotence, check mode."""
from __future__ import annotations

import json

import yaml
from operator_test_kit import GROUP, KIND, PLURAL, VERSION

from tests.helpers.ansible import run_playbook


def _playbook(tmp_path, kube, namespace, conditions, status=None, check=False):
    task = {"name": "Publish", "c5c3.cobaltcore.cr_status": {
        "kubeconfig": str(kube.kubeconfig), "api_version": f"{GROUP}/{VERSION}", "kind": KIND,
        "name": "obj", "namespace": namespace, "conditions": conditions, "status": status or {}}}
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump([{"name": "cr_status", "hosts": "localhost", "gather_facts": False,
                                     "tasks": [task]}]))
    return run_playbook(path, check=check, diff=True)


def _status(kube, namespace):
    return json.loads(kube.kubectl("-n", namespace, "get", f"{PLURAL}.{GROUP}", "obj", "-o", "json")
                      .stdout).get("status") or {}


def test_cr_status_merges_idempotently(kube, operator_rbac, namespace, tmp_path):
    kube.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": f"{GROUP}/{VERSION}", "kind": KIND,
        "metadata": {"name": "obj", "namespace": namespace}, "spec": {}}))
    kube.kubectl("-n", namespace, "patch", f"{PLURAL}.{GROUP}", "obj", "--subresource=status",
                 "--type=merge", "-p", json.dumps({"status": {"conditions": [
                     {"type": "Ready", "status": "True", "reason": "Operator", "message": "",
                      "lastTransitionTime": "2020-01-01T00:00:00Z"}]}}))
    db = [{"type": "DatabaseReady", "status": "True", "reason": "Synced", "message": "one"}]

    checked = _playbook(tmp_path, kube, namespace, db, {"endpoint": "http://x"}, check=True)
    assert checked.rc == 0 and checked.changed == 1
    assert [c["type"] for c in _status(kube, namespace)["conditions"]] == ["Ready"]

    first = _playbook(tmp_path, kube, namespace, db, {"endpoint": "http://x"})
    assert first.rc == 0 and first.changed == 1
    status = _status(kube, namespace)
    assert status["endpoint"] == "http://x"
    by_type = {c["type"]: c for c in status["conditions"]}
    assert by_type["Ready"]["lastTransitionTime"] == "2020-01-01T00:00:00Z"  # not ours: untouched
    since = by_type["DatabaseReady"]["lastTransitionTime"]

    again = _playbook(tmp_path, kube, namespace, db, {"endpoint": "http://x"})
    assert again.rc == 0 and again.changed == 0

    reworded = _playbook(tmp_path, kube, namespace, [dict(db[0], message="two")])
    assert reworded.changed == 1
    cond = {c["type"]: c for c in _status(kube, namespace)["conditions"]}["DatabaseReady"]
    assert cond["message"] == "two" and cond["lastTransitionTime"] == since

    refused = _playbook(tmp_path, kube, namespace, db, {"appliedHash": "forged"})
    assert refused.rc != 0 and "managed elsewhere" in refused.stdout
    assert "appliedHash" not in _status(kube, namespace)
