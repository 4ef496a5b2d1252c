"""Operator benchmarks on the lab apiserver (the operator as a subprocess, like in production).

- noop: p95 of handling a watch event that changes no desired state (label patches on a Ready
  object): the operator's own event-handling histogram (bucket bound) and the skipped count;
- spec: spec change → Ready at the new generation, for a one-task playbook (wall time, polled
  every 50 ms);
- fleet: N objects (BENCH_OPERATOR_N, 200) created at once → all Ready; peak RSS of the
  operator's process tree (operator + ansible-runner children), sampled every 200 ms.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO / "lab"), str(REPO / "operator"), str(REPO / "bench")]

from c5c3lab.components.kubernetes import kubectl as lab_kubectl  # noqa: E402
from c5c3lab.settings import load_settings  # noqa: E402
from cobaltcore_operator.testing import OperatorProcess, wait_for  # noqa: E402
from results import publish  # noqa: E402

GROUP, PLURAL = "operator-test.c5c3.io", "trivials"
N = int(os.environ.get("BENCH_OPERATOR_N", "200"))
SPEC_ROUNDS = int(os.environ.get("BENCH_OPERATOR_SPEC_ROUNDS", "5"))
NOOP_EVENTS = int(os.environ.get("BENCH_OPERATOR_NOOP_EVENTS", "100"))
CONCURRENCY = os.environ.get("BENCH_OPERATOR_CONCURRENCY", "4")
settings = load_settings()


def kubectl(*args, input=None):
    return lab_kubectl(settings, *args, input=input)


def trivial(ns: str, name: str, spec: dict) -> dict:
    return {"apiVersion": f"{GROUP}/v1", "kind": "Trivial", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def ready(ns: str) -> dict[str, int]:
    """name -> observed generation of every Ready object at its current generation."""
    items = json.loads(kubectl("-n", ns, "get", f"{PLURAL}.{GROUP}", "-o", "json").stdout)["items"]
    out = {}
    for obj in items:
        status = obj.get("status") or {}
        conds = {c["type"]: c for c in status.get("conditions") or []}
        if conds.get("Ready", {}).get("status") == "True" \
                and status.get("observedGeneration") == obj["metadata"]["generation"]:
            out[obj["metadata"]["name"]] = obj["metadata"]["generation"]
    return out


class RssSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.proc, self.peak, self.stopped = psutil.Process(pid), 0, threading.Event()

    def run(self):
        while not self.stopped.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.2)


def p95(values):
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def main() -> None:
    kubectl("apply", "--server-side", "-f", str(REPO / "operator" / "tests" / "fixtures" / "crd.yaml"))
    kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{PLURAL}.{GROUP}")
    ns = f"bench-operator-{uuid.uuid4().hex[:6]}"
    kubectl("create", "namespace", ns)
    results: dict[str, object] = {"n": N, "concurrency": int(CONCURRENCY), "load_avg_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="c5c3-bench-operator-") as tmp:
        mappings = Path(tmp) / "mappings.yaml"
        mappings.write_text(yaml.safe_dump({"kinds": [{
            "apiVersion": f"{GROUP}/v1", "kind": "Trivial", "plural": PLURAL,
            "playbook": "operator/tests/playbooks/trivial.yml", "concurrency": int(CONCURRENCY)}]}))
        op = OperatorProcess(settings.kubeconfig, mappings, ns, Path(tmp) / "work", Path(tmp) / "op.log",
                             ["--concurrency", CONCURRENCY])
        op.start()
        try:
            # spec change -> Ready
            kubectl("create", "-f", "-", input=json.dumps(trivial(ns, "spec", {"size": 0})))
            wait_for(lambda: "spec" in ready(ns), timeout=300, what="first Ready")
            spec_times = []
            for i in range(1, SPEC_ROUNDS + 1):
                t0 = time.monotonic()
                kubectl("-n", ns, "patch", f"{PLURAL}.{GROUP}", "spec", "--type=merge",
                        "-p", json.dumps({"spec": {"size": i}}))
                wait_for(lambda: ready(ns).get("spec") == i + 1, timeout=300, interval=0.05,
                         what="Ready at the new generation")
                spec_times.append(time.monotonic() - t0)
            results["spec_to_ready_s"] = {"median": statistics.median(spec_times), "max": max(spec_times),
                                          "all": spec_times}

            # no-op events
            before = op.metric("cobaltcore_operator_skipped_noop_events_total")
            runs_before = op.metric("cobaltcore_operator_runs_total")
            for i in range(NOOP_EVENTS):
                kubectl("-n", ns, "label", "--overwrite", f"{PLURAL}.{GROUP}", "spec", f"touch={i}")
            wait_for(lambda: op.metric("cobaltcore_operator_skipped_noop_events_total") >= before + NOOP_EVENTS * 0.9,
                     timeout=120, what="no-op events handled")
            results["noop"] = {
                "events": NOOP_EVENTS,
                "skipped": op.metric("cobaltcore_operator_skipped_noop_events_total") - before,
                "runs_started": op.metric("cobaltcore_operator_runs_total") - runs_before,
                "handling_p95_s_le": op.histogram_quantile(
                    "cobaltcore_operator_event_handling_seconds", 0.95, outcome="noop"),
                "handling_mean_s": (op.metric("cobaltcore_operator_event_handling_seconds_sum", outcome="noop")
                                    / op.metric("cobaltcore_operator_event_handling_seconds_count", outcome="noop")),
            }

            # fleet
            sampler = RssSampler(op.proc.pid)
            sampler.start()
            docs = {"apiVersion": "v1", "kind": "List",
                    "items": [trivial(ns, f"fleet-{i:03d}", {"size": i}) for i in range(N)]}
            t0 = time.monotonic()
            kubectl("create", "-f", "-", input=json.dumps(docs))
            wait_for(lambda: sum(1 for k in ready(ns) if k.startswith("fleet-")) == N,
                     timeout=3600, interval=1.0, what="the fleet Ready")
            results["fleet_all_ready_s"] = time.monotonic() - t0
            sampler.stopped.set()
            sampler.join()
            results["fleet_peak_rss_mb"] = sampler.peak / 1048576
            results["fleet_runs"] = op.metric("cobaltcore_operator_runs_total") - op.metric(
                "cobaltcore_operator_runs_total", result="failed")
        finally:
            op.stop()
            kubectl("delete", "namespace", ns, "--wait=false")
    results["load_avg_end"] = os.getloadavg()[0]
    publish("operator-bench_operator", results)


if __name__ == "__main__":
    main()
