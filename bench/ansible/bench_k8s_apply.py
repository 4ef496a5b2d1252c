"""What a Kubernetes-facing playbook costs: objects applied by a loop (one kubernetes.core.k8s
module process per object) against one task with a list `definition`; a whole kubernetes-
runtime keystone role run (first run into an empty namespace, then the no-op second run); and a
wait of BENCH_WAIT seconds for a custom resource to become Ready, by kubernetes.core.k8s_info
with `until` (a module process per 5 s attempt, as the ControlPlane's waits were) against one
c5c3.cobaltcore.cr_wait process.

Runs against the lab apiserver (`labctl up kube-apiserver`, started by the script if needed),
each case in a namespace of its own, deleted afterwards. Wall time and CPU seconds of
ansible-playbook with all its children (module processes included). Knobs: BENCH_ROUNDS (3),
BENCH_OBJECTS (6), BENCH_WAIT (20).
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "lab"), str(REPO / "bench")]
from c5c3lab import load_settings  # noqa: E402
from results import publish  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
OBJECTS = int(os.environ.get("BENCH_OBJECTS", "6"))
WAIT = int(os.environ.get("BENCH_WAIT", "20"))
# The operator tests' Trivial kind (status preserved as written): something to wait for.
WAIT_CRD = REPO / "operator" / "tests" / "fixtures" / "crd.yaml"
WAITED = {"apiVersion": "operator-test.c5c3.io/v1", "kind": "Trivial", "plural": "trivials.operator-test.c5c3.io"}
BIN = Path(sys.executable).parent


def _configmaps(namespace: str) -> list[dict]:
    return [{"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": f"bench-{i}", "namespace": namespace}, "data": {"i": str(i)}}
            for i in range(OBJECTS)]


def _apply_play(kubeconfig: str, namespace: str, looped: bool) -> list[dict]:
    task = {"kubernetes.core.k8s": {"kubeconfig": kubeconfig, "apply": True,
                                    "server_side_apply": {"field_manager": "bench"}}}
    if looped:
        task["kubernetes.core.k8s"]["definition"] = "{{ item }}"
        task["loop"] = _configmaps(namespace)
    else:
        task["kubernetes.core.k8s"]["definition"] = _configmaps(namespace)
    return [{"hosts": "localhost", "gather_facts": False, "tasks": [dict(name="Apply", **task)]}]


def _playbook(path: str, extravars: dict | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (ansible-playbook and every child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with tempfile.NamedTemporaryFile("w", suffix=".json") as extra:
        json.dump(extravars or {}, extra)
        extra.flush()
        run = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                              "-e", f"ansible_python_interpreter={sys.executable}", "-e", f"@{extra.name}", path],
                             cwd=REPO, check=False, capture_output=True, text=True)
    if run.returncode:
        raise SystemExit(f"{path} failed (rc={run.returncode}):\n{run.stdout[-3000:]}")
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _kubectl(kubeconfig: str, *args: str, input: str | None = None) -> None:
    subprocess.run([str(BIN / "kubectl"), "--kubeconfig", kubeconfig, *args], check=True, capture_output=True,
                   input=input.encode() if input else None)


def _wait_play(kubeconfig: str, namespace: str, module: bool) -> list[dict]:
    target = {"kubeconfig": kubeconfig, "api_version": WAITED["apiVersion"], "kind": WAITED["kind"],
              "namespace": namespace, "name": "waited"}
    if module:
        task = {"c5c3.cobaltcore.cr_wait": dict(target, timeout=WAIT * 3)}
    else:
        task = {"kubernetes.core.k8s_info": target, "register": "got", "retries": WAIT * 3 // 5, "delay": 5,
                # The ControlPlane's former wait, verbatim.
                "until": "got.resources | length > 0"
                         " and (got.resources[0].status | default({})).observedGeneration | default(-1)"
                         " == got.resources[0].metadata.generation"
                         " and ((got.resources[0].status | default({})).conditions | default([])"
                         " | selectattr('type', 'equalto', 'Ready') | selectattr('status', 'equalto', 'True')"
                         " | list | length > 0)"}
    return [{"hosts": "localhost", "gather_facts": False, "tasks": [dict(name="Wait", **task)]}]


def _wait_case(kubeconfig: str, tmp: str, module: bool) -> tuple[float, float]:
    """A playbook waiting for an object that becomes Ready after WAIT seconds."""
    namespace = f"bench-wait-{uuid.uuid4().hex[:8]}"
    _kubectl(kubeconfig, "create", "namespace", namespace)
    _kubectl(kubeconfig, "-n", namespace, "create", "-f", "-", input=json.dumps(
        {"apiVersion": WAITED["apiVersion"], "kind": WAITED["kind"], "metadata": {"name": "waited"}, "spec": {}}))
    ready = {"status": {"observedGeneration": 1, "conditions": [
        {"type": "Ready", "status": "True", "reason": "Bench", "message": "",
         "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
    timer = threading.Timer(WAIT, _kubectl, (kubeconfig, "-n", namespace, "patch", WAITED["plural"], "waited",
                                             "--subresource=status", "--type=merge", "-p", json.dumps(ready)))
    play = Path(tmp) / "wait.yml"
    play.write_text(yaml.safe_dump(_wait_play(kubeconfig, namespace, module)))
    timer.start()
    try:
        return _playbook(str(play))
    finally:
        timer.join()
        _kubectl(kubeconfig, "delete", "namespace", namespace, "--wait=false")


def _summary(samples: list[tuple[float, float]]) -> dict:
    return {"wall_median_s": round(statistics.median(s[0] for s in samples), 2),
            "cpu_median_s": round(statistics.median(s[1] for s in samples), 2), "rounds": len(samples)}


def main() -> None:
    settings = load_settings()
    subprocess.run([sys.executable, str(REPO / "lab" / "labctl"), "up", "kube-apiserver"], check=True,
                   capture_output=True)
    kubeconfig = str(settings.kubeconfig)
    samples: dict[str, list[tuple[float, float]]] = {
        f"{OBJECTS} ConfigMaps, loop": [], f"{OBJECTS} ConfigMaps, one list": [],
        "keystone kubernetes runtime, first run": [], "keystone kubernetes runtime, second run": [],
        f"{WAIT} s wait for Ready, k8s_info until": [], f"{WAIT} s wait for Ready, cr_wait": []}
    _kubectl(kubeconfig, "apply", "--server-side", "-f", str(WAIT_CRD))
    _kubectl(kubeconfig, "wait", "--for=condition=Established", "--timeout=60s",
             "crd/trivials.operator-test.c5c3.io")
    with tempfile.TemporaryDirectory(prefix="c5c3-bench-k8s-") as tmp:
        for _ in range(ROUNDS):
            samples[f"{WAIT} s wait for Ready, k8s_info until"].append(_wait_case(kubeconfig, tmp, module=False))
            samples[f"{WAIT} s wait for Ready, cr_wait"].append(_wait_case(kubeconfig, tmp, module=True))
            for looped, key in ((True, f"{OBJECTS} ConfigMaps, loop"), (False, f"{OBJECTS} ConfigMaps, one list")):
                namespace = f"bench-{uuid.uuid4().hex[:8]}"
                _kubectl(kubeconfig, "create", "namespace", namespace)
                play = Path(tmp) / "apply.yml"
                play.write_text(yaml.safe_dump(_apply_play(kubeconfig, namespace, looped)))
                try:
                    samples[key].append(_playbook(str(play)))
                finally:
                    _kubectl(kubeconfig, "delete", "namespace", namespace, "--wait=false")
            namespace = f"bench-ks-{uuid.uuid4().hex[:8]}"
            _kubectl(kubeconfig, "create", "namespace", namespace)
            extravars = {"keystone_play_hosts": "localhost", "keystone_runtime": "kubernetes",
                         "keystone_namespace": namespace,
                         "cobaltcore_kubeconfig": kubeconfig, "keystone_replicas": 1,
                         "keystone_database_mode": "brownfield", "keystone_database_host": "db.example.org",
                         "keystone_admin_password": uuid.uuid4().hex, "keystone_database_password": uuid.uuid4().hex,
                         "keystone_wait_for_rollout": False}
            try:
                samples["keystone kubernetes runtime, first run"].append(
                    _playbook("playbooks/keystone.yml", extravars))
                samples["keystone kubernetes runtime, second run"].append(
                    _playbook("playbooks/keystone.yml", extravars))
            finally:
                _kubectl(kubeconfig, "delete", "namespace", namespace, "--wait=false")
    publish("ansible-k8s-apply", {key: _summary(value) for key, value in samples.items()})


if __name__ == "__main__":
    main()
