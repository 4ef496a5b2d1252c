"""The shipped operator, run against the lab for the Keystone and ControlPlane tests.

The operator runs as its own ServiceAccount with the shipped RBAC (operator/deploy), the shipped
mappings.yaml (the entries of the kinds a test needs, plus test-only vars that move the host-runtime
keystone onto a private port, directories and database) and the lab inventory.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.k8s_status import true_for_generation
from tests.helpers.processes import PrivateMemcached, stop_gunicorn
from tests.helpers.kube import existing

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "operator" / "deploy"
KEYSTONE_CRD = "keystones.keystone.openstack.c5c3.io"
CONTROLPLANE_CRD = "controlplanes.c5c3.io"


def _kit():
    import sys
    if str(REPO / "operator") not in sys.path:
        sys.path.insert(0, str(REPO / "operator"))
    from cobaltcore_operator import testing
    return testing


def free_port() -> int:
    return _kit().free_port()


# Kinds a ControlPlane deploys after Keystone, with their CRD and aggregated ClusterRole files.
SERVICE_KINDS = {"Glance": ("glance.openstack.c5c3.io_glances.yaml", "rbac-glance.yaml"),
                 "Placement": ("placement.openstack.c5c3.io_placements.yaml", "rbac-placement.yaml")}


def service_kinds() -> dict[str, tuple[str, str]]:
    """The service kinds this checkout ships (CRD and ClusterRole present)."""
    return {k: v for k, v in SERVICE_KINDS.items()
            if (DEPLOY / "crds" / v[0]).exists() and (DEPLOY / v[1]).exists()}


def install_operator_rbac(kube, services: bool = False) -> str:
    """CRDs and the kinds' aggregated ClusterRoles, as shipped (with ``services``: also those of
    the service kinds a ControlPlane deploys)."""
    t = _kit()
    crds = ["keystone.openstack.c5c3.io_keystones.yaml", "c5c3.io_controlplanes.yaml"]
    roles = [DEPLOY / "rbac-keystone.yaml", DEPLOY / "rbac-controlplane.yaml"]
    if services:
        crds += [v[0] for v in service_kinds().values()]
        roles += [DEPLOY / v[1] for v in service_kinds().values()]
    for crd in crds:
        kube.kubectl("apply", "--server-side", "-f", str(DEPLOY / "crds" / crd))
    who = t.install_rbac(kube.kubectl, *roles,
                         probe=("patch", f"{CONTROLPLANE_CRD}", "--subresource=status", "-A"))
    t.wait_for(lambda: kube.kubectl("auth", "can-i", "patch", KEYSTONE_CRD, "--subresource=status", "-A",
                                    "--as", who, check=False).stdout.strip() == "yes",
               what="the Keystone ClusterRole")
    names = [KEYSTONE_CRD, CONTROLPLANE_CRD] + [crd_name(f) for f in crds[2:]]
    kube.kubectl("wait", "--for=condition=Established", "--timeout=60s", *[f"crd/{n}" for n in names])
    return who


def crd_name(filename: str) -> str:
    """<group>_<plural>.yaml -> <plural>.<group>"""
    group, plural = filename.removesuffix(".yaml").split("_")
    return f"{plural}.{group}"


@dataclass
class PrivateService:
    """Where a test's host-runtime service (keystone, glance, placement reconciled from its CR by
    the operator) lives: not the lab's own instance. Own port and directories; the lab's service venv.
    ``vars`` are the mapping vars that move it there."""
    service: str
    root: Path
    port: int
    vars: dict = field(default_factory=dict)

    @classmethod
    def make(cls, service: str, settings, tmp_path: Path) -> "PrivateService":
        port = free_port()
        root = tmp_path / service
        return cls(service, root, port, {
            f"{service}_venv_dir": str(settings.service_venv(service)),
            f"{service}_config_dir": str(root / "etc"),
            f"{service}_state_dir": str(root / "state"),
            f"{service}_log_dir": str(root / "log"),
            f"{service}_bind_port": port,
        })

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        stop_gunicorn(self.root / "state" / "gunicorn.pid")


@dataclass
class PrivateKeystone(PrivateService):
    """A private keystone; also a database prefix for what the test creates in the shared MariaDB,
    and a memcached of its own (see PrivateMemcached)."""
    db_prefix: str = ""
    cache: PrivateMemcached | None = None

    @classmethod
    def make(cls, settings, tmp_path: Path) -> "PrivateKeystone":
        base = PrivateService.make("keystone", settings, tmp_path)
        cache = PrivateMemcached.start(base.root / "memcached", free_port())
        return cls("keystone", base.root, base.port, {**base.vars, "keystone_cache_servers": cache.servers},
                   f"op{uuid.uuid4().hex[:6]}_", cache)

    def stop(self) -> None:
        super().stop()
        if self.cache:
            self.cache.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"


def wire_glance_to_ceph(ceph, **overrides) -> None:
    """Role ceph_client against the lab's Ceph: pool images and client.glance (the caps of the
    role's defaults); ``overrides`` say where the key goes (a namespace's Secret, a keyring dir)."""
    from tests.helpers.ansible import run_playbook
    wiring = run_playbook("playbooks/ceph_client.yml", extravars={
        "ceph_client_play_hosts": "lab_hosts",
        "ceph_client_cluster_conf": str(ceph.conf),
        "ceph_client_admin_keyring": str(ceph.admin_keyring),
        "ceph_client_pool_defaults": {"pg_num": 8, "size": 1, "min_size": 1, "application": "rbd"},
        "ceph_client_pools": [{"name": "images"}],
        "ceph_client_clients": [{"name": "glance", "caps": {
            "mon": "profile rbd", "osd": "profile rbd pool=images", "mgr": "profile rbd pool=images"}}],
        **overrides,
    })
    assert wiring.rc == 0, wiring.stdout[-3000:]


def glance_ceph_secret(ceph, namespace: str) -> None:
    """client.glance's Secret ceph-client-glance in ``namespace`` (what a Glance CR on rbd names
    in cephSecretRef)."""
    wire_glance_to_ceph(ceph, ceph_client_namespace=namespace)


def start_operator(kube, tmp_path: Path, namespace: str, kinds: dict[str, dict],
                   inventory: Path = REPO / "inventories" / "lab", concurrency: int = 4):
    """The shipped operator as its own ServiceAccount, watching ``namespace`` for ``kinds`` (the
    shipped mapping entries, extra vars merged), with ``inventory``."""
    t = _kit()
    kubeconfig = t.service_account_kubeconfig(kube.kubectl, kube.server, kube.ca_file, tmp_path / "sa-kubeconfig")
    mappings = t.mapping_subset(tmp_path / "mappings.yaml", kinds)
    op = t.OperatorProcess(kubeconfig, mappings, namespace, tmp_path / "work", tmp_path / "operator.log",
                           ["--inventory", str(inventory), "--concurrency", str(concurrency)])
    return op.start()


def wait_for(predicate, **kwargs):
    return _kit().wait_for(predicate, **kwargs)


def get(kube, namespace: str, plural: str, name: str) -> dict:
    return existing(kube, namespace, plural, name)


def conditions(obj: dict) -> dict[str, dict]:
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


def wait_ready(kube, op, namespace: str, plural: str, name: str, timeout: float = 900) -> dict:
    """The object once Ready=True for its current generation; the operator log on timeout."""
    def ready():
        obj = get(kube, namespace, plural, name)
        return obj if true_for_generation(obj) else None
    try:
        return _kit().wait_for(ready, timeout=timeout, interval=1, what=f"{plural}/{name} Ready")
    except AssertionError:
        raise AssertionError(f"{plural}/{name} not Ready: {get(kube, namespace, plural, name).get('status')}\n"
                             f"operator log:\n{op.log()[-6000:]}") from None


def apply(kube, namespace: str, obj: dict) -> None:
    kube.kubectl("-n", namespace, "apply", "--server-side", "--field-manager=test", "--force-conflicts",
                 "-f", "-", input=json.dumps(obj))


def secret(name: str, data: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data}


def drop_database(mariadb, name: str, user: str | None = None) -> None:
    """Drop a test's database (and user) in the lab's MariaDB as its admin."""
    import pymysql
    info = mariadb.connection_info()
    password = Path(info["MARIADB_ADMIN_PASSWORD_FILE"]).read_text().strip()
    conn = pymysql.connect(host=info["MARIADB_HOST"], port=int(info["MARIADB_PORT"]),
                           user=info["MARIADB_ADMIN_USER"], password=password)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            if user:
                cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        conn.commit()
    finally:
        conn.close()
