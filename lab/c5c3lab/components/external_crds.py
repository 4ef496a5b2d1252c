"""CRDs of the operators CobaltCore builds on (mariadb-operator, RabbitMQ, Rook, external-secrets,
K-ORC), taken from their Go modules and applied to the lab API unchanged.

Not a process: "running" means the pinned set is applied and every CRD is Established. The CRDs
live in etcd's data, so stopping the lab does not remove them.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from c5c3lab import process
from c5c3lab.components.base import Component, Status
from c5c3lab.components.kubernetes import kubectl
from c5c3lab.settings import REPO_ROOT

PIN_FILE = REPO_ROOT / "lab" / "kube" / "external-crds.txt"


def pinned_modules() -> list[tuple[str, list[str]]]:
    pins = []
    for line in PIN_FILE.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            module, *globs = line.split()
            pins.append((module, globs))
    return pins


def module_dir(module_at_version: str) -> Path:
    env = {"GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    out = process.run(["go", "mod", "download", "-json", module_at_version], env=env, timeout=600,
                      check=False)
    info = json.loads(out.stdout or "{}")
    if out.returncode != 0 or "Dir" not in info:
        raise process.LabError(f"go mod download {module_at_version}: {info.get('Error') or out.stderr.strip()}")
    return Path(info["Dir"])


def crd_documents() -> list[dict]:
    docs = []
    for module, globs in pinned_modules():
        root = module_dir(module)
        for pattern in globs:
            for path in sorted(root.glob(pattern)):
                for doc in yaml.safe_load_all(path.read_text()):
                    if doc and doc.get("kind") == "CustomResourceDefinition":
                        docs.append(doc)
    return docs


class ExternalCRDs(Component):
    name = "external-crds"
    requires = ("kube-apiserver",)

    @property
    def marker(self) -> Path:
        return self.data_dir / "applied"

    def _pin_digest(self) -> str:
        return hashlib.sha256(PIN_FILE.read_bytes()).hexdigest()

    def _expected(self) -> list[str]:
        return self.marker.read_text().split()[1:] if self.marker.exists() else []

    def running(self) -> bool:
        return self.marker.exists() and self.marker.read_text().split()[:1] == [self._pin_digest()]

    def ready(self) -> bool:
        expected = set(self._expected())
        out = kubectl(self.settings, "get", "crd", "-o", "json", check=False)
        if out.returncode != 0:
            return False
        established = {
            item["metadata"]["name"] for item in json.loads(out.stdout)["items"]
            if any(c["type"] == "Established" and c["status"] == "True"
                   for c in item.get("status", {}).get("conditions", []))
        }
        return bool(expected) and expected <= established

    def status(self) -> Status:
        running = self.running()
        ready = running and self.ready()
        return Status(self.name, running, ready, None, f"{len(self._expected())} CRDs")

    def start(self) -> bool:
        if self.running() and self.ready():
            return False
        docs = crd_documents()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        bundle = self.data_dir / "crds.yaml"
        bundle.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        kubectl(self.settings, "apply", "--server-side", "--force-conflicts",
                "--field-manager", "c5c3-lab", "-f", str(bundle))
        names = sorted(d["metadata"]["name"] for d in docs)
        self.marker.write_text(" ".join([self._pin_digest(), *names]) + "\n")
        process.wait_until(self.ready, timeout=120, what=self.name)
        return True

    def stop(self) -> bool:
        return False

    def connection_info(self) -> dict[str, str]:
        return {}


__all__ = ["ExternalCRDs", "crd_documents", "pinned_modules"]
