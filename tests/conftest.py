"""pytest harness: session fixtures that bring up the lab components a test needs.

A component that already runs (a developer's `make lab-up`) is reused and left running; what the
session starts itself it stops at the end (set C5C3_LAB_KEEP=1 to keep it). Tests get connection
details from the fixtures, never from hard-coded ports.

Parallel runs (pytest-xdist, `make test` uses `-n $(PYTEST_WORKERS) --dist loadgroup`): workers
start components under a file lock and never stop them; the controlling process stops, at the end,
what was not running when the session began. Tests that share state outside their own namespace
run on one worker: see ``xdist_group_of``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import os
import re
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "lab"))
sys.path.insert(0, str(REPO))
# ansible_collections.c5c3.cobaltcore resolves to this tree (make collection-link), for unit tests.
sys.path.insert(0, str(REPO / ".collections"))

from c5c3lab import Lab  # noqa: E402
from c5c3lab.components import REGISTRY  # noqa: E402
from c5c3lab.components.kubernetes import kube_bin_dir, kubectl as lab_kubectl  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: needs real lab services (started on demand)")
    _use_this_venv_and_repo_config()


def _use_this_venv_and_repo_config() -> None:
    """What `make` exports, for a pytest started by hand: the tests call ansible-playbook, openstack
    and molecule by name, and they must be this venv's, run with the repository's ansible.cfg."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if path[:1] != [venv_bin]:
        os.environ["PATH"] = os.pathsep.join([venv_bin, *[p for p in path if p != venv_bin]])
    os.environ.setdefault("ANSIBLE_CONFIG", str(REPO / "ansible.cfg"))
    if os.environ.get("C5C3_TASK_TIMES"):
        # Every ansible-playbook the tests start (directly, through molecule or the operator)
        # inherits this and appends its tasks' timings: tests/callback_plugins/c5c3_task_times.py.
        os.environ["ANSIBLE_CALLBACK_PLUGINS"] = str(REPO / "tests" / "callback_plugins")
        os.environ["ANSIBLE_CALLBACKS_ENABLED"] = "c5c3_task_times"


def _is_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


# The modules that use the session's host keystone (`host_keystone`: one port, one directory): they
# run on one worker. Collection fails, naming the module, when one that uses it is missing here.
HOST_KEYSTONE_MODULES = frozenset({
    "tests/integration/keystone/test_keystone_host.py",
    "tests/integration/keystone/test_catalog.py",
    "tests/integration/glance/test_glance_host.py",
    "tests/integration/placement/test_placement_host.py",
    "tests/integration/glance_placement_operator/test_glance_placement_operator.py",
})


def xdist_group_of(path: str) -> str:
    """The worker group of a test module (a path relative to the repository). Integration suites
    group by directory: a suite shares module fixtures and lab state beyond its namespaces (the OVN
    leader a test kills, the lab's two hypervisors, Ceph's pools); the rest group by module."""
    if path in HOST_KEYSTONE_MODULES:
        return "host-keystone"
    parts = Path(path).parts
    if parts[:2] == ("tests", "integration") and len(parts) > 3:
        return parts[2]
    return path


GROUP_SECONDS_FILE = REPO / "tests" / "group_seconds.json"
# A group the file does not know yet weighs this much per test.
UNMEASURED_SECONDS = {"integration": 30.0, "unit": 0.5}


def group_weights(nodeids) -> dict[str, float]:
    """The expected seconds of each group of these tests: measured ones from GROUP_SECONDS_FILE
    (written by tests/record_group_seconds.py from a JUnit report), others by their test count."""
    import json

    measured = json.loads(GROUP_SECONDS_FILE.read_text()) if GROUP_SECONDS_FILE.exists() else {}
    weights: dict[str, float] = {}
    for nodeid in nodeids:
        path = nodeid.split("::", 1)[0]
        group = xdist_group_of(path)
        if group in measured:
            weights[group] = measured[group]
        else:
            kind = "integration" if "/integration/" in f"/{path}" else "unit"
            weights[group] = weights.get(group, 0.0) + UNMEASURED_SECONDS[kind]
    return weights


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` by ``xdist_group_of``, longest group first. pytest-xdist's own loadgroup
    reads markers through a node id suffix that pytest 9 no longer lets it set, so the groups come
    from paths here; and its order (most tests first) started the many quick unit modules before
    the few long suites, which then ran on one worker while the other idled."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group_of(nodeid.split("::", 1)[0])

        def _assign_work_unit(self, node) -> None:
            # Hand out the heaviest waiting group. Only the queue is reordered: workers run tests
            # by their index in the worker's own collection, which must stay as collected.
            if not hasattr(self, "_weights"):
                self._weights = group_weights(self.collection or [])
            heaviest = max(self.workqueue, key=lambda scope: self._weights.get(scope, 0.0))
            self.workqueue.move_to_end(heaviest, last=False)
            super()._assign_work_unit(node)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    keystone_users = {str(Path(str(i.fspath)).resolve().relative_to(REPO))
                      for i in items if "host_keystone" in getattr(i, "fixturenames", ())}
    if keystone_users - HOST_KEYSTONE_MODULES:
        raise pytest.UsageError(f"{', '.join(sorted(keystone_users - HOST_KEYSTONE_MODULES))} use(s) "
                                "host_keystone: add to HOST_KEYSTONE_MODULES in tests/conftest.py")
    for item in items:
        # Everything under tests/integration is an integration test, whatever its author forgot.
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def pytest_sessionstart(session):
    if not _is_xdist_worker(session.config):
        lab = Lab()
        session.config.stash[_RUNNING_AT_START] = {n for n in REGISTRY if lab.component(n).running()}


def pytest_sessionfinish(session):
    """Stop what this run started (all workers are done when the controller gets here)."""
    if _is_xdist_worker(session.config) or os.environ.get("C5C3_LAB_KEEP"):
        return
    before = session.config.stash.get(_RUNNING_AT_START, None)
    if before is None:
        return
    lab = Lab()
    started = [n for n in REGISTRY if n not in before and lab.component(n).running()]
    if started:
        lab.down(started)


_RUNNING_AT_START = pytest.StashKey[set]()


class LabHandle:
    """The session's view of the lab: start components on demand (one process at a time)."""

    def __init__(self, lab: Lab):
        self.lab = lab
        self.settings = lab.settings

    def ensure(self, *names: str) -> None:
        self.settings.lab_dir.mkdir(parents=True, exist_ok=True)
        with open(self.settings.lab_dir / ".ensure.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.lab.up(names)

    def component(self, name: str):
        return self.lab.component(name)


@pytest.fixture(scope="session")
def lab():
    return LabHandle(Lab())


@dataclasses.dataclass
class KubeAccess:
    kubeconfig: Path
    server: str
    bin_dir: Path
    settings: object

    @property
    def ca_file(self) -> Path:
        return self.settings.lab_dir / "pki" / "ca.crt"

    def kubectl(self, *args: str, input: str | None = None, check: bool = True):
        return lab_kubectl(self.settings, *args, input=input, check=check)

    def install_crds(self, *paths: Path | str) -> list[str]:
        """Apply CRD files server-side (as operator/deploy is applied) and wait until every CRD
        in them is Established; returns their names."""
        import yaml

        names = []
        for path in paths:
            names += [doc["metadata"]["name"] for doc in yaml.safe_load_all(Path(path).read_text())
                      if doc and doc.get("kind") == "CustomResourceDefinition"]
            self.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(path))
        if names:
            self.kubectl("wait", "--for=condition=Established", "--timeout=60s", *[f"crd/{n}" for n in names])
        return names

    def apply(self, namespace: str, body: dict, check: bool = False):
        """Server-side apply of one object; the result carries the apiserver's verdict."""
        import json

        return self.kubectl("-n", namespace, "apply", "--server-side", "--force-conflicts", "-f", "-",
                            input=json.dumps(body), check=check)

    def api_client(self):
        import kubernetes

        return kubernetes.config.new_client_from_config(config_file=str(self.kubeconfig))

    @contextlib.contextmanager
    def fresh_namespace(self, base: str):
        """A new namespace ``t-<base>-<random>``, deleted on leaving (deletion returns at once; the
        namespace controller empties it)."""
        name = f"t-{re.sub(r'[^a-z0-9-]', '-', base.lower())[:40].strip('-')}-{uuid.uuid4().hex[:6]}"
        self.core_v1.create_namespace({"metadata": {"name": name}})
        try:
            yield name
        finally:
            try:
                self.core_v1.delete_namespace(name)
            except Exception:  # noqa: BLE001 - a test may have deleted it itself
                pass

    @functools.cached_property
    def core_v1(self):
        """CoreV1Api of the lab admin, in this process (no kubectl process per call)."""
        import kubernetes

        return kubernetes.client.CoreV1Api(self.api_client())

    @functools.cached_property
    def _reader(self):
        from tests.helpers.kube import ApiReader

        return ApiReader(self.api_client())

    def get(self, namespace: str | None, resource: str, name: str) -> dict | None:
        """``kubectl get RESOURCE NAME -o json`` without a process (tests poll with it), or None
        if the object does not exist."""
        return self._reader.get(namespace, resource, name)


@pytest.fixture(scope="session")
def kube(lab) -> KubeAccess:
    lab.ensure("kube-apiserver", "kube-controller-manager")
    api = lab.component("kube-apiserver")
    return KubeAccess(lab.settings.kubeconfig, api.url, kube_bin_dir(lab.settings), lab.settings)


@pytest.fixture(scope="session")
def mariadb(lab):
    lab.ensure("mariadb")
    return lab.component("mariadb")


@pytest.fixture(scope="session")
def memcached(lab):
    lab.ensure("memcached")
    return lab.component("memcached")


@pytest.fixture(scope="session")
def rabbitmq(lab):
    lab.ensure("rabbitmq")
    return lab.component("rabbitmq")


@pytest.fixture
def namespace(kube, request):
    """A fresh namespace per test, deleted afterwards (the controller-manager finalizes it)."""
    with kube.fresh_namespace(request.node.name) as name:
        yield name
