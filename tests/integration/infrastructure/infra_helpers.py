"""Shared inputs of the infrastructure role tests."""
from __future__ import annotations

import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK = REPO / "playbooks/infrastructure.yml"
CRDS = [REPO / "operator/deploy/crds/memcached.c5c3.io_memcacheds.yaml"]


def canaries() -> dict[str, str]:
    """Unique passwords whose appearance in any output is a leak."""
    tag = uuid.uuid4().hex[:10]
    return {"db": f"CANARYdb{tag}", "mq": f"CANARYmq{tag}", "root": f"CANARYroot{tag}"}


def role_task_results(result, name: str) -> list[dict]:
    """Host results of every task called ``name``, whether or not the callback prefixes the role."""
    out = []
    for play in result.plays:
        for task in play.get("tasks", []):
            if task["task"]["name"] == name or task["task"]["name"].endswith(" : " + name):
                out.extend(task["hosts"].values())
    return out
