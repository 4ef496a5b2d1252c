"""What a Kubernetes-facing playbook costs: objects applied by a loop (one kubernetes.core.k8s
module process per object) against one task with a list `definition`, and a whole kubernetes-
runtime keystone role run (first run into an empty namespace, then the no-op second run).

Runs against the lab apiserver (`labctl up kube-apiserver`, started by the script if needed),
each case in a namespace of its own, deleted afterwards. Wall time and CPU seconds of
ansible-playbook with all its children (module processes included). Knobs: BENCH_ROUNDS (3),
BENCH_OBJECTS (6).
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
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
        subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                        "-e", f"ansible_python_interpreter={sys.executable}", "-e", f"@{extra.name}", path],
                       cwd=REPO, check=True, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _kubectl(kubeconfig: str, *args: str) -> None:
    subprocess.run([str(BIN / "kubectl"), "--kubeconfig", kubeconfig, *args], check=True, capture_output=True)


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
        "keystone kubernetes runtime, first run": [], "keystone kubernetes runtime, second run": []}
    with tempfile.TemporaryDirectory(prefix="c5c3-bench-k8s-") as tmp:
        for _ in range(ROUNDS):
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
