"""Fixtures of the operator tests: the shipped RBAC, a token kubeconfig of the operator's own
ServiceAccount, a trivial test kind, and the operator as a subprocess."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

OPERATOR_DIR = Path(__file__).resolve().parents[1]
REPO = OPERATOR_DIR.parent
if str(OPERATOR_DIR) not in sys.path:
    sys.path.insert(0, str(OPERATOR_DIR))


def _top_conftest():
    """The lab fixtures live in the top-level tests/conftest.py; reuse them rather than copy
    them (loaded by path: operator/tests would shadow the name ``tests``)."""
    import importlib.util
    name = "c5c3_tests_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_top = _top_conftest()
from cobaltcore_operator.testing import (  # noqa: E402
    OperatorProcess, install_rbac, service_account_kubeconfig)
lab, kube, namespace = _top.lab, _top.kube, _top.namespace
pytest_collection_modifyitems = _top.pytest_collection_modifyitems

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEPLOY = OPERATOR_DIR / "deploy"
SA, SA_NAMESPACE = "cobaltcore-operator", "cobaltcore-system"
GROUP, VERSION, KIND, PLURAL = "operator-test.c5c3.io", "v1", "Trivial", "trivials"


@pytest.fixture(scope="session")
def operator_rbac(kube):
    """Namespace, ServiceAccount and RBAC exactly as shipped, plus the test kind and its
    aggregated ClusterRole."""
    who = install_rbac(kube.kubectl, FIXTURES / "crd.yaml", account=SA, namespace=SA_NAMESPACE,
                       probe=("patch", f"{PLURAL}.{GROUP}", "--subresource=status", "-A"))
    kube.kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{PLURAL}.{GROUP}")
    return who


@pytest.fixture(scope="session")
def operator_kubeconfig(kube, operator_rbac, tmp_path_factory) -> Path:
    """A kubeconfig holding a TokenRequest token of the operator's ServiceAccount (not admin)."""
    return service_account_kubeconfig(kube.kubectl, kube.server, kube.ca_file,
                                      tmp_path_factory.mktemp("operator-sa") / "kubeconfig", SA, SA_NAMESPACE)


@pytest.fixture
def operator_factory(operator_kubeconfig, namespace, tmp_path):
    """Build a mapping for the Trivial kind and run the operator on the test's namespace."""
    started: list[OperatorProcess] = []
    marker_dir = tmp_path / "markers"
    marker_dir.mkdir()

    def make(*, finalizer: bool = False, secrets: list[str] | None = None,
             extra_args: list[str] | None = None, concurrency: int = 2,
             drift_seconds: float = 0, timeout_seconds: float | None = None) -> OperatorProcess:
        entry = {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND, "plural": PLURAL,
                 "playbook": "operator/tests/playbooks/apply.yml", "concurrency": concurrency,
                 "vars": {"marker_dir": str(marker_dir)}}
        if finalizer:
            entry["finalizer"] = {"playbook": "operator/tests/playbooks/finalize.yml"}
        if secrets:
            entry["secrets"] = secrets
        if drift_seconds:
            entry["driftCheckSeconds"] = drift_seconds
        if timeout_seconds:
            entry["timeoutSeconds"] = timeout_seconds
        mappings = tmp_path / "mappings.yaml"
        mappings.write_text(yaml.safe_dump({"kinds": [entry]}))
        op = OperatorProcess(operator_kubeconfig, mappings, namespace, tmp_path / "work",
                             tmp_path / "operator.log",
                             ["--backoff", "0.5", "--backoff-max", "2", *(extra_args or [])])
        started.append(op)
        return op

    make.marker_dir = marker_dir
    yield make
    for op in started:
        op.stop()


class Trivials:
    """kubectl on Trivial objects in one namespace (admin credentials: the test is the user)."""

    def __init__(self, kube, namespace: str, marker_dir: Path):
        self.kube, self.namespace, self.marker_dir = kube, namespace, marker_dir

    def create(self, name: str, spec: dict) -> None:
        doc = {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND,
               "metadata": {"name": name, "namespace": self.namespace}, "spec": spec}
        self.kube.kubectl("create", "-f", "-", input=json.dumps(doc))

    def get(self, name: str) -> dict | None:
        out = self.kube.kubectl("-n", self.namespace, "get", f"{PLURAL}.{GROUP}", name, "-o", "json",
                                check=False)
        return json.loads(out.stdout) if out.returncode == 0 else None

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


@pytest.fixture
def trivials(kube, namespace, operator_factory) -> Trivials:
    return Trivials(kube, namespace, operator_factory.marker_dir)
