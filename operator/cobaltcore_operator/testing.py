"""Run the operator as a separate process, the way tests and benchmarks drive it.

Like ``kopf.testing``: a small kit for callers outside the package, not used by the operator.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cobaltcore_operator._runner import kill_tree

OPERATOR_DIR = Path(__file__).resolve().parents[1]
REPO = OPERATOR_DIR.parent


def wait_for(predicate, timeout=120.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def install_rbac(kubectl, *extra: Path, account: str = "cobaltcore-operator",
                 namespace: str = "cobaltcore-system",
                 probe: tuple[str, ...] = ()) -> str:
    """Apply the shipped Namespace, ServiceAccount and RBAC (server-side) plus ``extra`` manifests
    (a kind's CRD and aggregated ClusterRole); wait until ``probe`` (``kubectl auth can-i`` args)
    is allowed for the account. Returns the account's user name."""
    deploy = OPERATOR_DIR / "deploy"
    for path in (deploy / "namespace.yaml", deploy / "serviceaccount.yaml", deploy / "rbac.yaml", *extra):
        kubectl("apply", "--server-side", "--field-manager=cobaltcore-operator-kit", "-f", str(path))
    who = f"system:serviceaccount:{namespace}:{account}"
    if probe:
        wait_for(lambda: kubectl("auth", "can-i", *probe, "--as", who, check=False).stdout.strip() == "yes",
                 what="the aggregated ClusterRole")
    return who


def service_account_kubeconfig(kubectl, server: str, ca_file: Path, path: Path,
                               account: str = "cobaltcore-operator",
                               namespace: str = "cobaltcore-system") -> Path:
    """Write a kubeconfig holding a TokenRequest token of ``account`` (``kubectl`` is a callable
    running kubectl with admin rights and returning a CompletedProcess)."""
    import yaml

    token = kubectl("create", "token", account, "-n", namespace, "--duration=2h").stdout.strip()
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "operator",
        "clusters": [{"name": "lab", "cluster": {"server": server, "certificate-authority": str(ca_file)}}],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": "operator", "context": {"cluster": "lab", "user": account}}],
    }))
    path.chmod(0o600)
    return path


def mapping_subset(path: Path, kinds: dict[str, dict], shipped: Path = OPERATOR_DIR / "mappings.yaml",
                   fields: dict | None = None) -> Path:
    """Write the shipped mapping entries of ``kinds`` (kind -> extra vars merged over the entry's
    vars) to ``path``: an operator that watches only the kinds whose RBAC a caller installed.
    ``fields`` (``driftCheckSeconds: 0``, say) replace those of every entry."""
    import yaml

    entries = []
    for entry in yaml.safe_load(shipped.read_text())["kinds"]:
        if entry["kind"] in kinds:
            entries.append({**entry, **(fields or {}),
                            "vars": {**entry.get("vars", {}), **kinds[entry["kind"]]}})
    missing = set(kinds) - {e["kind"] for e in entries}
    if missing:
        raise ValueError(f"kinds not in {shipped}: {sorted(missing)}")
    path.write_text(yaml.safe_dump({"kinds": entries}))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OperatorProcess:
    """``python -m cobaltcore_operator run`` in its own process group, logging to a file."""

    def __init__(self, kubeconfig: Path, mappings: Path, namespace: str, work_dir: Path,
                 log_path: Path, extra_args: list[str]):
        self.kubeconfig, self.mappings, self.namespace = kubeconfig, mappings, namespace
        self.work_dir, self.log_path, self.extra_args = work_dir, log_path, extra_args
        self.proc: subprocess.Popen | None = None
        self.port = free_port()

    def start(self) -> "OperatorProcess":
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONPATH"] = str(OPERATOR_DIR)
        env.pop("KUBECONFIG", None)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cobaltcore_operator", "run", "--kubeconfig", str(self.kubeconfig),
             "--mappings", str(self.mappings), "--namespace", self.namespace,
             "--work-dir", str(self.work_dir), "--probe-host", "127.0.0.1",
             "--probe-port", str(self.port), *self.extra_args],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_for(self._ready, timeout=60, what="operator readiness")
        return self

    def ensure_running(self) -> None:
        """Raise (with the operator's log) if the operator process has exited: for waits that
        would otherwise run into their timeout."""
        if self.proc.poll() is not None:
            raise AssertionError(f"operator exited rc={self.proc.returncode}:\n{self.log()}")

    def _ready(self) -> bool:
        self.ensure_running()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def samples(self, name: str) -> list[tuple[str, float]]:
        """(labels, value) of every sample of the metric ``name`` (exact sample name)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
            text = r.read().decode()
        out = []
        for line in text.splitlines():
            m = re.match(rf"^{re.escape(name)}(?:{{(.*)}})? (\S+)$", line)
            if m:
                out.append((m.group(1) or "", float(m.group(2))))
        return out

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples of ``name`` whose labels include ``labels``."""
        return sum(v for lbl, v in self.samples(name)
                   if all(f'{k}="{v2}"' in lbl for k, v2 in labels.items()))

    def histogram_quantile(self, name: str, q: float, **labels: str) -> float:
        """Upper bound of the bucket holding quantile ``q`` (summed over matching label sets)."""
        buckets: dict[float, float] = {}
        for labels_text, value in self.samples(f"{name}_bucket"):
            if not all(f'{k}="{v}"' in labels_text for k, v in labels.items()):
                continue
            le = float(re.search(r'le="([^"]+)"', labels_text).group(1))
            buckets[le] = buckets.get(le, 0.0) + value
        total = buckets.get(float("inf"), 0.0)
        for le in sorted(buckets):
            if total and buckets[le] >= q * total:
                return le
        return float("nan")

    def stop(self) -> None:
        """SIGTERM, as a pod's end: the operator cancels its runs and ends their processes."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                kill_tree(self.proc.pid)
                self.proc.wait(10)

    def kill(self) -> None:
        """What a node does to a container: SIGKILL to every process in it, the playbook runs too
        (ansible-runner starts each in a session of its own)."""
        kill_tree(self.proc.pid)
        self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
