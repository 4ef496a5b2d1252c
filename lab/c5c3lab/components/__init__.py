"""Registry of lab components, in start order."""
from __future__ import annotations

from c5c3lab.components.base import Component, Status
from c5c3lab.components.ceph import Ceph
from c5c3lab.components.external_crds import ExternalCRDs
from c5c3lab.components.infra import MariaDB, Memcached, RabbitMQ
from c5c3lab.components.kubernetes import Etcd, KubeApiserver, KubeControllerManager
from c5c3lab.components.libvirt import LibvirtHypervisors
from c5c3lab.components.ovn import OVN

REGISTRY: dict[str, type[Component]] = {
    cls.name: cls
    for cls in (Etcd, KubeApiserver, KubeControllerManager, ExternalCRDs, MariaDB, Memcached,
                RabbitMQ, OVN, LibvirtHypervisors, Ceph)
}

# What `labctl up` starts with no arguments: the embedded default is everything on this machine.
DEFAULT = tuple(REGISTRY)

__all__ = ["Component", "Status", "REGISTRY", "DEFAULT"]
