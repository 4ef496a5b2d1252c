"""Fixtures of the operator tests: the shipped RBAC, a token kubeconfig of the operator's own
ServiceAccount, a trivial test kind, and the operator as a subprocess."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

OPERATOR_DIR = Path(__file__).resolve().parents[1]
REPO = OPERATOR_DIR.parent
for _path in (OPERATOR_DIR, OPERATOR_DIR / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


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
from operator_test_kit import (  # noqa: E402
    FIXTURES, GROUP, KIND, PLURAL, SA, SA_NAMESPACE, VERSION, Trivials)
from cobaltcore_operator.testing import (  # noqa: E402
    OperatorProcess, install_rbac, service_account_kubeconfig)
lab, kube, namespace = _top.lab, _top.kube, _top.namespace
pytest_configure = _top.pytest_configure
pytest_collection_modifyitems = _top.pytest_collection_modifyitems
pytest_sessionstart, pytest_sessionfinish = _top.pytest_sessionstart, _top.pytest_sessionfinish
pytest_xdist_make_scheduler = _top.pytest_xdist_make_scheduler


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


@pytest.fixture
def trivials(kube, namespace, operator_factory) -> Trivials:
    return Trivials(kube, namespace, operator_factory.marker_dir)
