"""Lab settings: where state lives, where binaries are cached, which loopback ports are used."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


DEFAULT_PORT_BASE = 16000

# Offsets from the port base; the default base puts them at 16xxx, away from common defaults.
_PORT_OFFSETS = {
    "etcd_client": 379, "etcd_peer": 380, "kube_apiserver": 443, "kube_controller_manager": 257,
    "mariadb": 306, "memcached": 211, "rabbitmq_amqp": 672, "rabbitmq_dist": 673,
    "rabbitmq_epmd": 369, "keystone": 500,
    # OpenStack API services of the host runtime (roles glance, placement).
    "glance": 592, "placement": 578,
    # Ceph: mon msgr2 and msgr1; mgr and OSD bind inside ceph_daemon_min..ceph_daemon_max.
    "ceph_mon_v2": 780, "ceph_mon_v1": 789, "ceph_daemon_min": 800, "ceph_daemon_max": 899,
    # libvirt lab hypervisors: TCP listeners, and three live-migration ports each (x..x+2).
    "libvirt_hv1_tcp": 709, "libvirt_hv2_tcp": 710, "libvirt_hv1_migration": 711,
    "libvirt_hv2_migration": 714,
    # OVN: NB/SB raft members' client (OVSDB) and raft ports; ovn_role_* for the role's own tests.
    "ovn_nb_1": 641, "ovn_nb_2": 642, "ovn_nb_3": 643, "ovn_sb_1": 651, "ovn_sb_2": 652, "ovn_sb_3": 653,
    "ovn_nb_raft_1": 661, "ovn_nb_raft_2": 662, "ovn_nb_raft_3": 663,
    "ovn_sb_raft_1": 631, "ovn_sb_raft_2": 632, "ovn_sb_raft_3": 633,
    "ovn_role_nb": 681, "ovn_role_nb_raft": 684, "ovn_role_sb": 687, "ovn_role_sb_raft": 690,
}


@dataclasses.dataclass(frozen=True)
class Ports:
    """Loopback ports of the lab: one block of 1000 starting at ``base`` (C5C3_LAB_PORT_BASE)."""

    base: int = DEFAULT_PORT_BASE

    def __post_init__(self) -> None:
        if not 1024 <= self.base <= 64000 or self.base <= 2024 < self.base + 1000:
            raise ValueError(f"C5C3_LAB_PORT_BASE {self.base} must be in 1024..64000 and keep clear of 2024")

    def __getattr__(self, name: str) -> int:
        if name in _PORT_OFFSETS:
            return self.base + _PORT_OFFSETS[name]
        raise AttributeError(name)


@dataclasses.dataclass(frozen=True)
class LabSettings:
    lab_dir: Path
    cache_dir: Path
    ports: Ports = dataclasses.field(default_factory=Ports)
    host: str = "127.0.0.1"

    @property
    def log_dir(self) -> Path:
        return self.lab_dir / "logs"

    @property
    def run_dir(self) -> Path:
        return self.lab_dir / "run"

    @property
    def kubeconfig(self) -> Path:
        return self.lab_dir / "kubeconfig"

    def data_dir(self, component: str) -> Path:
        return self.lab_dir / "data" / component

    def service_venv(self, service: str) -> Path:
        """The venv of an OpenStack service's host runtime (keystone, glance, placement): in the
        cache, shared by every lab of this user. It outlives `labctl down` and a fresh clone, so
        only a changed package set reinstalls (the role's venv marker; its lock serialises)."""
        return self.cache_dir / "service-venvs" / service


def load_settings(environ: dict[str, str] | None = None) -> LabSettings:
    """Settings from the environment: ``C5C3_LAB_DIR`` (default ``<repo>/.lab``),
    ``C5C3_LAB_CACHE`` (default ``$XDG_CACHE_HOME/c5c3-lab``), ``C5C3_LAB_PORT_BASE`` (16000)."""
    env = os.environ if environ is None else environ
    lab_dir = Path(env.get("C5C3_LAB_DIR") or REPO_ROOT / ".lab").resolve()
    cache = env.get("C5C3_LAB_CACHE") or str(
        Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "c5c3-lab"
    )
    base = int(env.get("C5C3_LAB_PORT_BASE") or DEFAULT_PORT_BASE)
    return LabSettings(lab_dir=lab_dir, cache_dir=Path(cache).resolve(), ports=Ports(base))
