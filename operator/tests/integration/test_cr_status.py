"""c5c3.cobaltcore.cr_status and cr_wait against the lab apiserver: merge by type, idempotence,
check mode; a wait that only a Ready of the current generation ends."""
from __future__ import annotations

import json
import socket
import threading
from urllib.parse import urlsplit

import yaml
from operator_test_kit import GROUP, KIND, PLURAL, VERSION

from tests.helpers.ansible import run_module, run_playbook
from tests.helpers.kube import token_kubeconfig
from tests.helpers.operator_lab import free_port


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


def _wait(kube, namespace, check=False, **args):
    return run_module("cr_wait", {"kubeconfig": str(kube.kubeconfig), "api_version": f"{GROUP}/{VERSION}",
                                  "kind": KIND, "name": "waited", "namespace": namespace, **args}, check=check)


def _set_status(kube, namespace, status):
    kube.kubectl("-n", namespace, "patch", f"{PLURAL}.{GROUP}", "waited", "--subresource=status",
                 "--type=merge", "-p", json.dumps({"status": status}))


def _ready(generation, status="True"):
    return {"observedGeneration": generation, "conditions": [
        {"type": "Ready", "status": status, "reason": "Reconciled", "message": "",
         "lastTransitionTime": "2026-01-01T00:00:00Z"}]}


def test_cr_wait_wants_ready_for_the_current_generation(kube, operator_rbac, namespace):
    absent = _wait(kube, namespace, timeout=0)
    assert absent["failed"] and absent["resources"] == [] and not absent["ready"]
    assert "does not exist" in absent["msg"]

    kube.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": f"{GROUP}/{VERSION}", "kind": KIND,
        "metadata": {"name": "waited", "namespace": namespace}, "spec": {"size": 1}}))
    _set_status(kube, namespace, _ready(1))
    assert _wait(kube, namespace, timeout=0)["ready"]
    # A spec change the controller has not seen: the Ready of generation 1 does not count.
    kube.kubectl("-n", namespace, "patch", f"{PLURAL}.{GROUP}", "waited", "--type=merge",
                 "-p", json.dumps({"spec": {"size": 2}}))
    stale = _wait(kube, namespace, timeout=1, poll_interval=0.2, check=True)
    assert stale["failed"] and "generation 2 not observed yet (observed: 1)" in stale["msg"]
    assert stale["resources"][0]["metadata"]["generation"] == 2

    # The controller reports generation 2 while the module waits: it returns, having waited.
    timer = threading.Timer(2.0, _set_status, (kube, namespace, _ready(2)))
    timer.start()
    try:
        done = _wait(kube, namespace, timeout=60, poll_interval=0.2)
    finally:
        timer.join()
    assert not done.get("failed") and done["ready"] and done["changed"] is False
    assert 1.0 <= done["waited"] < 60

    # A failed object: the message says why.
    _set_status(kube, namespace, {"conditions": [
        {"type": "Ready", "status": "False", "reason": "TaskFailed", "message": "boom",
         "lastTransitionTime": "2026-01-01T00:00:00Z"},
        {"type": "Failed", "status": "True", "reason": "TaskFailed", "message": "task 'x' failed: boom",
         "lastTransitionTime": "2026-01-01T00:00:00Z"}]})
    failed = _wait(kube, namespace, timeout=0)
    assert failed["failed"] and "failed: TaskFailed: task 'x' failed: boom" in failed["msg"]


def test_cr_wait_refuses_what_it_cannot_address(kube, operator_rbac, namespace):
    assert "api_version must be group/version" in _wait(kube, namespace, api_version="v1")["msg"]
    assert "has no kind Nope" in _wait(kube, namespace, kind="Nope")["msg"]
    assert "poll_interval > 0" in _wait(kube, namespace, poll_interval=0)["msg"]
    assert "condition a condition type" in _wait(kube, namespace, condition="")["msg"]


class DelayedRelay:
    """A plain TCP relay from a free loopback port to the lab apiserver that starts listening only
    after ``delay`` seconds: until then a client sees connection refused, as while an apiserver
    restarts. TLS passes through unchanged (the serving certificate names 127.0.0.1)."""

    def __init__(self, upstream: tuple[str, int], delay: float):
        self.upstream, self.port = upstream, free_port()
        self._server = None
        self._timer = threading.Timer(delay, self._listen)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        if self._server:
            self._server.close()

    def _listen(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _kubeconfig_via(kube, port: int, path) -> str:
    config = yaml.safe_load(kube.kubeconfig.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{port}"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return str(path)


def test_cr_wait_outlasts_an_unreachable_apiserver_but_not_a_refusal(kube, operator_rbac, namespace, tmp_path):
    kube.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": f"{GROUP}/{VERSION}", "kind": KIND,
        "metadata": {"name": "waited", "namespace": namespace}, "spec": {"size": 1}}))
    _set_status(kube, namespace, _ready(1))
    apiserver = urlsplit(kube.server)

    # Nothing answers for the first 3 s (discovery and reads refused): the wait goes on.
    with DelayedRelay((apiserver.hostname, apiserver.port), delay=3.0) as relay:
        done = _wait(kube, namespace, timeout=60, poll_interval=0.5,
                     kubeconfig=_kubeconfig_via(kube, relay.port, tmp_path / "relay-kubeconfig"))
    assert not done.get("failed"), done["msg"]
    assert done["ready"] and done["waited"] >= 2

    # Nothing answers within the timeout: the message names the failed read, not the object.
    silent = _wait(kube, namespace, timeout=1, poll_interval=0.2,
                   kubeconfig=_kubeconfig_via(kube, free_port(), tmp_path / "silent-kubeconfig"))
    assert silent["failed"] and "the last read failed" in silent["msg"], silent["msg"]

    # A refusal is not waited out: a ServiceAccount without RBAC fails at once with the status.
    kube.kubectl("-n", namespace, "create", "serviceaccount", "nobody")
    token = kube.kubectl("-n", namespace, "create", "token", "nobody").stdout.strip()
    refused = _wait(kube, namespace, timeout=600,
                    kubeconfig=str(token_kubeconfig(kube, token, tmp_path / "nobody-kubeconfig")))
    assert refused["failed"] and "failed: HTTP 403" in refused["msg"], refused["msg"]
