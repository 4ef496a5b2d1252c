"""``python -m cobaltcore_operator run --kubeconfig PATH --mappings operator/mappings.yaml``"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from cobaltcore_operator import (ArtifactSettings, ProbeSettings, RunSettings, Settings,
                                 load_mappings, operate)
from cobaltcore_operator.settings import REPO_ROOT


def parse(argv: list[str]) -> Settings:
    env = os.environ.get
    p = argparse.ArgumentParser(prog="cobaltcore_operator")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="watch the mapped kinds and run their playbooks")
    run.add_argument("--kubeconfig", type=Path, default=env("KUBECONFIG") or None,
                     help="kubeconfig file (default: $KUBECONFIG, else in-cluster)")
    default_mappings = env("COBALTCORE_OPERATOR_MAPPINGS") or REPO_ROOT / "operator" / "mappings.yaml"
    run.add_argument("--mappings", type=Path, default=Path(default_mappings))
    run.add_argument("--project-dir", type=Path, default=Path(env("COBALTCORE_OPERATOR_PROJECT_DIR") or REPO_ROOT))
    run.add_argument("--inventory", type=Path, default=env("COBALTCORE_OPERATOR_INVENTORY") or None)
    run.add_argument("--namespace", "-n", action="append", default=[],
                     help="watch only this namespace (repeatable; default: cluster-wide)")
    run.add_argument("--concurrency", type=int, default=int(env("COBALTCORE_OPERATOR_CONCURRENCY") or 4))
    run.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    run.add_argument("--backoff", type=float, default=5.0, help="first retry delay, doubled per failure")
    run.add_argument("--backoff-max", type=float, default=300.0)
    run.add_argument("--work-dir", type=Path, default=None, help="ansible-runner private data dirs")
    run.add_argument("--keep-artifacts", type=int, default=0, help="artifact dirs kept per object")
    run.add_argument("--artifacts-max-bytes", type=int, default=64 * 1024 * 1024)
    run.add_argument("--probe-host", default="0.0.0.0")
    run.add_argument("--probe-port", type=int, default=int(env("COBALTCORE_OPERATOR_PROBE_PORT") or 8080),
                     help="/healthz, /readyz, /metrics (0: any free port, -1: off)")
    run.add_argument("--verbose", "-v", action="store_true")
    a = p.parse_args(argv)
    project_dir = a.project_dir.resolve()
    artifacts = ArtifactSettings(keep_per_object=a.keep_artifacts, max_bytes=a.artifacts_max_bytes,
                                 **({"work_dir": a.work_dir.resolve()} if a.work_dir else {}))
    logging.basicConfig(level=logging.DEBUG if a.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not a.verbose:
        logging.getLogger("kopf").setLevel(logging.WARNING)
    return Settings(
        mappings=load_mappings(a.mappings, project_dir),
        kubeconfig=Path(a.kubeconfig).resolve() if a.kubeconfig else None,
        namespaces=tuple(a.namespace), project_dir=project_dir,
        inventory=a.inventory.resolve() if a.inventory else None,
        runs=RunSettings(concurrency=a.concurrency, timeout_seconds=a.timeout, backoff_seconds=a.backoff,
                         backoff_max_seconds=a.backoff_max),
        artifacts=artifacts, probes=ProbeSettings(host=a.probe_host, port=a.probe_port))


def main(argv: list[str] | None = None) -> int:
    settings = parse(sys.argv[1:] if argv is None else argv)
    os.umask(0o077)  # private data dirs and artifacts readable by the operator only
    settings.artifacts.work_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(operate(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
