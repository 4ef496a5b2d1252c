"""The tests' trivial kind: its names, and kubectl helpers for its objects.

A module of its own (not conftest) so test modules can import it by a unique name.
"""
from __future__ import annotations

import json
from pathlib import Path

OPERATOR_DIR = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEPLOY = OPERATOR_DIR / "deploy"
SA, SA_NAMESPACE = "cobaltcore-operator", "cobaltcore-system"
GROUP, VERSION, KIND, PLURAL = "operator-test.c5c3.io", "v1", "Trivial", "trivials"


class Trivials:
    """kubectl on Trivial objects in one namespace (admin credentials: the test is the user)."""

    def __init__(self, kube, namespace: str, marker_dir: Path):
        self.kube, self.namespace, self.marker_dir = kube, namespace, marker_dir

    def create(self, name: str, spec: dict) -> None:
        doc = {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND,
               "metadata": {"name": name, "namespace": self.namespace}, "spec": spec}
        self.kube.kubectl("create", "-f", "-", input=json.dumps(doc))

    def get(self, name: str) -> dict | None:
        return self.kube.get(self.namespace, f"{PLURAL}.{GROUP}", name)

    def patch(self, name: str, patch: dict, subresource: str | None = None) -> None:
        args = ["-n", self.namespace, "patch", f"{PLURAL}.{GROUP}", name, "--type=merge",
                "-p", json.dumps(patch)]
        if subresource:
            args.append(f"--subresource={subresource}")
        self.kube.kubectl(*args)

    def runs(self, name: str) -> list[int]:
        """Generations of the runs the playbook recorded, in order."""
        files = sorted(self.marker_dir.glob(f"{name}.run.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
        return [int(p.name.split(".")[2]) for p in files]

    @staticmethod
    def condition(obj: dict | None, ctype: str) -> dict:
        for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
            if cond["type"] == ctype:
                return cond
        return {}

    def ready_at(self, name: str, generation: int | None = None):
        obj = self.get(name)
        if not obj or self.condition(obj, "Ready").get("status") != "True":
            return None
        gen = generation or obj["metadata"]["generation"]
        if obj["status"].get("observedGeneration") != gen or obj["metadata"]["generation"] != gen:
            return None
        return obj
