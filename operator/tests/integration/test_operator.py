"""The operator against the real lab apiserver, running as its own ServiceAccount with the
shipped RBAC: runs only on desired-state change, survives SIGKILL, keeps objects whose cleanup
failed, and never leaks a Secret."""
from __future__ import annotations

import json
import os
import secrets as pysecrets
import signal

import yaml

from cobaltcore_operator import RECONCILE_REQUEST
from cobaltcore_operator.testing import wait_for
from operator_test_kit import DEPLOY, KIND


def skipped(op) -> float:
    return op.metric("cobaltcore_operator_skipped_noop_events_total")


def test_deploy_applies_server_side(kube, operator_rbac):
    # Everything in the kustomization through the server's full apply path (admission, schema,
    # CRD structural checks). Dry run with forced conflicts: the shared lab's CRDs may be owned
    # by other field managers (their own tests), whose ownership this test must not take.
    out = kube.kubectl("apply", "--server-side", "--dry-run=server", "--force-conflicts",
                       "--field-manager=operator-tests", "-k", str(DEPLOY))
    applied = [line for line in out.stdout.splitlines() if "serverside-applied" in line]
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    assert len(applied) >= len(kustomization["resources"])
    # The operator's own objects for real, twice: server-side apply is idempotent.
    for _ in range(2):
        for name in ("namespace.yaml", "serviceaccount.yaml", "rbac.yaml", "deployment.yaml"):
            kube.kubectl("apply", "--server-side", "--field-manager=operator-tests", "-f", str(DEPLOY / name))
    deployment = json.loads(kube.kubectl("-n", "cobaltcore-system", "get", "deployment", "cobaltcore-operator",
                                         "-o", "json").stdout)
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "cobaltcore-operator"


def test_operator_is_not_cluster_admin(kube, operator_rbac):
    def can(*args):
        return kube.kubectl("auth", "can-i", *args, "--as", operator_rbac, check=False).stdout.strip()
    assert can("create", "clusterrolebindings") == "no"
    assert can("delete", "secrets", "-A") == "no"
    assert can("patch", "trivials.operator-test.c5c3.io", "--subresource=status", "-A") == "yes"


def test_runs_once_then_only_on_spec_change(operator_factory, trivials):
    op = operator_factory().start()
    trivials.create("one", {"size": 1})
    obj = wait_for(lambda: trivials.ready_at("one", 1), what="Ready at generation 1")
    assert trivials.runs("one") == [1]
    status = obj["status"]
    assert status["lastRun"]["result"] == "Succeeded" and status["appliedHash"]
    # The role's own condition survives the operator's status writes (merge by type).
    assert trivials.condition(obj, "TrivialReady")["status"] == "True"
    assert trivials.condition(obj, "Progressing")["status"] == "False"
    assert trivials.condition(obj, "Failed")["status"] == "False"
    reasons = [e["reason"] for e in json.loads(trivials.kube.kubectl(
        "-n", trivials.namespace, "get", "events", "-o", "json").stdout)["items"]]
    assert "RunStarted" in reasons and "RunSucceeded" in reasons

    # Labels, annotations and status are not desired state.
    before = skipped(op)
    trivials.patch("one", {"metadata": {"labels": {"touched": "yes"}}})
    trivials.patch("one", {"metadata": {"annotations": {"touched": "yes"}}})
    trivials.patch("one", {"status": {"note": "hello"}}, subresource="status")
    wait_for(lambda: skipped(op) >= before + 3, what="three no-op events")
    assert op.metric("cobaltcore_operator_runs_in_flight") == 0
    assert trivials.runs("one") == [1]

    # A restart lists the object again and runs nothing.
    op.stop()
    op.start()
    wait_for(lambda: skipped(op) >= 1, what="the restart's no-op event")
    assert trivials.runs("one") == [1]
    assert op.metric("cobaltcore_operator_runs_total") == 0

    trivials.patch("one", {"spec": {"size": 2}})
    obj = wait_for(lambda: trivials.ready_at("one", 2), what="Ready at generation 2")
    assert trivials.runs("one") == [1, 2]
    assert "size 2" in trivials.condition(obj, "TrivialReady")["message"]

    # Two quick spec changes: at most two runs, and the last one applies the latest generation.
    trivials.patch("one", {"spec": {"size": 3}})
    trivials.patch("one", {"spec": {"size": 4}})
    obj = wait_for(lambda: trivials.ready_at("one", 4), what="Ready at generation 4")
    runs = trivials.runs("one")
    assert 1 <= len(runs) - 2 <= 2 and runs[-1] == 4
    assert "size 4" in trivials.condition(obj, "TrivialReady")["message"]


def test_reconcile_request_and_an_overdue_drift_check_rerun_an_applied_object(operator_factory, trivials):
    # What `make demo` relies on when a host service stopped under a Ready object.
    op = operator_factory().start()
    trivials.create("asked", {"size": 1})
    wait_for(lambda: trivials.ready_at("asked", 1), what="Ready at generation 1")
    request = "2026-11-22T10:00:00Z"
    trivials.patch("asked", {"metadata": {"annotations": {RECONCILE_REQUEST: request}}})
    obj = wait_for(lambda: (lambda o: o if (o.get("status") or {}).get("lastHandledReconcileAt") == request
                            and trivials.ready_at("asked", 1) else None)(trivials.get("asked")),
                   what="the request handled")
    assert trivials.runs("asked") == [1, 1]
    assert request in trivials.condition(obj, "Ready")["message"]
    # Handled stays handled, across a restart and when the annotation goes.
    op.stop()
    op.start()
    wait_for(lambda: skipped(op) >= 1, what="the restart's no-op event")
    trivials.patch("asked", {"metadata": {"annotations": {RECONCILE_REQUEST: None}}})
    wait_for(lambda: skipped(op) >= 2, what="the annotation removal's no-op event")
    assert op.metric("cobaltcore_operator_runs_total") == 0
    op.stop()

    # The drift clock runs from status.lastRun.end, not from the operator's start: an operator
    # that was away for longer than the interval runs the overdue check at once.
    trivials.patch("asked", {"status": {"lastRun": {"end": "2000-01-01T00:00:00Z"}}}, subresource="status")
    op = operator_factory(drift_seconds=3600).start()
    wait_for(lambda: len(trivials.runs("asked")) == 3 and trivials.ready_at("asked", 1),
             what="the overdue drift-check run")
    end = trivials.get("asked")["status"]["lastRun"]["end"]
    assert end > "2000-01-01T00:00:00Z"
    # ...and the next one is due an interval after that run, not now.
    op.stop()
    op.start()
    wait_for(lambda: skipped(op) >= 1, what="the restart's no-op event")
    assert op.metric("cobaltcore_operator_runs_total") == 0


def test_sigkill_mid_run_converges_after_restart(operator_factory, trivials):
    op = operator_factory().start()
    trivials.create("slow", {"sleep": 3})
    wait_for(lambda: ((trivials.get("slow") or {}).get("status") or {}).get("progress", {})
             .get("task") == "Take a while when asked", what="the run to reach the slow task")
    op.kill()
    obj = trivials.get("slow")
    assert trivials.condition(obj, "Progressing")["status"] == "True"
    assert obj["status"]["lastRun"]["result"] == "Running"

    op.start()
    obj = wait_for(lambda: trivials.ready_at("slow", 1), timeout=90, what="Ready after the restart")
    assert obj["status"]["lastRun"]["result"] == "Succeeded"
    assert "progress" not in obj["status"]
    assert trivials.runs("slow")[-1] == 1


def test_failing_finalizer_keeps_object_until_fixed(operator_factory, trivials, kube, namespace):
    op = operator_factory(finalizer=True).start()
    block = operator_factory.marker_dir / "block-finalizer"
    block.write_text("")
    trivials.create("held", {"size": 1})
    obj = wait_for(lambda: trivials.ready_at("held", 1), what="Ready")
    assert "cobaltcore.c5c3.io/playbook" in obj["metadata"]["finalizers"]

    kube.kubectl("-n", namespace, "delete", "trivials.operator-test.c5c3.io", "held", "--wait=false")
    obj = wait_for(lambda: (lambda o: o if trivials.condition(o, "Failed").get("reason") == "FinalizerFailed"
                            else None)(trivials.get("held")), what="FinalizerFailed in status")
    assert "cleanup blocked" in trivials.condition(obj, "Failed")["message"]
    assert trivials.condition(obj, "Ready")["status"] == "False"
    assert obj["metadata"].get("deletionTimestamp")
    events = json.loads(kube.kubectl("-n", namespace, "get", "events", "-o", "json").stdout)["items"]
    assert any(e["reason"] == "RunFailed" and "cleanup blocked" in e["message"] for e in events)
    wait_for(lambda: op.metric("cobaltcore_operator_runs_total", action="finalize", result="failed") >= 2,
             what="a retried cleanup")
    assert trivials.get("held") is not None

    block.unlink()
    wait_for(lambda: trivials.get("held") is None, what="deletion to complete")
    assert (operator_factory.marker_dir / "held.finalized").read_text().strip() == obj["metadata"]["uid"]


def test_secret_canary_never_leaks(operator_factory, trivials, kube, namespace, tmp_path):
    canary = "canary-" + pysecrets.token_hex(12)
    kube.kubectl("-n", namespace, "create", "secret", "generic", "leaky-secret",
                 f"--from-literal=password={canary}")
    op = operator_factory(secrets=["{name}-secret"], extra_args=["--keep-artifacts", "3"]).start()
    trivials.create("leaky", {"fail": True, "failMessage": "login refused for password"})
    obj = wait_for(lambda: (lambda o: o if trivials.condition(o, "Failed").get("status") == "True"
                            else None)(trivials.get("leaky")), what="the failing run")
    message = trivials.condition(obj, "Failed")["message"]
    assert "login refused for password ********" in message  # the failing task, redacted

    # A new version of the named Secret is a new desired state: the object runs again.
    kube.kubectl("-n", namespace, "patch", "secret", "leaky-secret", "--type=merge",
                 "-p", json.dumps({"stringData": {"password": canary + "-2"}}))
    trivials.patch("leaky", {"spec": {"fail": False}})
    wait_for(lambda: trivials.ready_at("leaky"), what="Ready after the fix")
    # The named Secret alone changing is a new desired state too.
    runs = len(trivials.runs("leaky"))
    kube.kubectl("-n", namespace, "patch", "secret", "leaky-secret", "--type=merge",
                 "-p", json.dumps({"stringData": {"password": canary + "-3"}}))
    wait_for(lambda: len(trivials.runs("leaky")) > runs and trivials.ready_at("leaky"),
             what="a run for the new Secret version")
    # Metadata is not content: a label (as an ownerReference) on the Secret starts no run.
    runs, before = len(trivials.runs("leaky")), skipped(op)
    kube.kubectl("-n", namespace, "label", "secret", "leaky-secret", "touched=yes")
    wait_for(lambda: skipped(op) > before, what="the label's no-op event")
    assert len(trivials.runs("leaky")) == runs
    op.stop()

    events = kube.kubectl("-n", namespace, "get", "events", "-o", "json").stdout
    assert "RunFailed" in events and "login refused" in events
    places = {"status": json.dumps(trivials.get("leaky")), "events": events, "operator log": op.log()}
    artifacts = [p for p in (tmp_path / "work").rglob("*") if p.is_file()]
    assert artifacts, "artifacts were kept for inspection"
    for path in artifacts:
        places[str(path)] = path.read_text(errors="replace")
    for where, text in places.items():
        assert canary not in text, f"secret leaked into {where}"
    assert KIND in places["status"]


def test_stuck_run_times_out_and_drift_check_reruns(operator_factory, trivials):
    op = operator_factory(timeout_seconds=12, drift_seconds=1).start()
    trivials.create("stuck", {"sleep": 600, "service": True})
    service = f"trivial-service-{trivials.namespace}-stuck"
    obj = wait_for(lambda: (lambda o: o if trivials.condition(o, "Failed").get("reason") == "Timeout"
                            else None)(trivials.get("stuck")), what="the run to time out")
    assert "timed out after 12s" in trivials.condition(obj, "Failed")["message"]

    trivials.patch("stuck", {"spec": {"sleep": 0, "service": False}})
    # Every process of the timed-out runs ends, the task workers ansible starts in sessions of
    # their own too (they would sleep out their 600 s; the spec is in their command line).
    wait_for(lambda: not _processes_with(trivials.namespace, '"sleep": 600'), timeout=30,
             what="the stuck runs' processes to end")
    # A service the run started is not part of the run: it keeps running, as a pod would.
    try:
        assert _processes_with(service), "the service the timed-out run started was killed with it"
    finally:
        for pid in _processes_with(service):
            os.kill(pid, signal.SIGKILL)
    wait_for(lambda: trivials.ready_at("stuck"), what="Ready once the spec is fixed")
    runs = len(trivials.runs("stuck"))
    wait_for(lambda: len(trivials.runs("stuck")) > runs, what="a drift-check run without any change")
    assert op.metric("cobaltcore_operator_runs_total", result="failed") >= 1


def _processes_with(*needles: str) -> list[int]:
    """Pids whose command line contains every needle."""
    from pathlib import Path
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        if entry.name.isdigit() and all(n in cmdline for n in needles):
            found.append(int(entry.name))
    return found
