"""Fixtures for the hypervisor tests: the lab's two libvirtd instances, the hypervisor.c5c3.io
CRDs in the lab API, guests on real QEMU, and clean hypervisors around every test."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import libvirt
import pytest

from tests.helpers.ansible import REPO, PlaybookResult, run_playbook
from tests.helpers.kube import existing

PLAYBOOKS = Path(__file__).parent / "playbooks"
CRDS = sorted((REPO / "operator" / "deploy" / "crds").glob("hypervisor.c5c3.io_*.yaml"))
HV1, HV2 = "lab-hv1", "lab-hv2"
# Other suites use the lab hypervisors too (e.g. Ceph secrets): these tests only create, count and
# remove domains and secrets whose names start with this prefix.
PREFIX = "hvt-"

libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


@dataclasses.dataclass
class Hypervisors:
    component: Any
    kube: Any
    lab_dir: Path

    def uri(self, host: str) -> str:
        return self.component.tcp_uri(host)

    def conn(self, host: str):
        return libvirt.open(self.uri(host))

    @property
    def kernel(self) -> Path:
        return self.component.smoke_kernel

    def lab_vars(self, **extra) -> dict[str, Any]:
        """What the lab inventory would give the role: TCG allowed, the lab's guest payload, a
        console directory Ansible and QEMU see at the same path."""
        return {
            "hypervisor_allow_tcg": True,
            "hypervisor_lab_mode": True,
            "hypervisor_smoke_guest_kernel": str(self.kernel),
            "hypervisor_smoke_console_dir": str(self.lab_dir / "data" / "hypervisor" / "consoles"),
            "hypervisor_smoke_timeout": 20,
            "hypervisor_smoke_guest_name": f"{PREFIX}smoke",
            **extra,
        }

    def names(self, host: str, active_only: bool = False) -> list[str]:
        conn = self.conn(host)
        try:
            flags = libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE if active_only else 0
            return sorted(d.name() for d in conn.listAllDomains(flags) if d.name().startswith(PREFIX))
        finally:
            conn.close()

    def guest_xml(self, name: str, memory_mb: int = 32, disk: Path | None = None) -> str:
        disk_xml = ""
        if disk is not None:
            # A host-local disk with write-back caching: libvirt refuses to live-migrate it
            # (unsafe without shared storage), like an instance with local state would be.
            disk_xml = (f"<disk type='file' device='disk'><driver name='qemu' type='raw' cache='writeback'/>"
                        f"<source file='{disk}'/><target dev='vda' bus='virtio'/></disk>")
        console = self.lab_dir / "data" / "hypervisor" / "consoles" / f"{name}.log"
        console.parent.mkdir(parents=True, exist_ok=True)
        return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>{memory_mb}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{self.kernel}</kernel><cmdline>{name}</cmdline></os>
  <devices>{disk_xml}<serial type='file'><source path='{console}'/></serial>
    <video><model type='none'/></video><memballoon model='none'/></devices>
</domain>"""

    def start_guest(self, host: str, name: str, **kw) -> None:
        conn = self.conn(host)
        try:
            conn.defineXML(self.guest_xml(name, **kw)).create()
        finally:
            conn.close()

    def wipe(self) -> None:
        for host in (HV1, HV2):
            conn = self.conn(host)
            try:
                for dom in conn.listAllDomains():
                    if not dom.name().startswith(PREFIX):
                        continue
                    if dom.isActive():
                        dom.destroy()
                    dom.undefine()
                for secret in conn.listAllSecrets():
                    if (secret.usageID() or "").startswith(PREFIX):
                        secret.undefine()
            finally:
                conn.close()
        for kind in ("migrations", "evictions"):
            self.kube.kubectl("delete", f"{kind}.hypervisor.c5c3.io", "--all", "--wait=true", check=False)
        self.kube.kubectl("delete", "hypervisors.hypervisor.c5c3.io", HV1, HV2, "--ignore-not-found",
                          "--wait=true", check=False)

    # --- custom resources -------------------------------------------------------------------
    def create_hypervisor(self, name: str, host: str | None = None, **spec) -> None:
        body = {"apiVersion": "hypervisor.c5c3.io/v1", "kind": "Hypervisor", "metadata": {"name": name},
                "spec": {"libvirtURI": self.uri(host or name), **spec}}
        self.kube.kubectl("apply", "-f", "-", input=json.dumps(body))

    def set_status(self, kind: str, name: str, status: dict) -> None:
        self.kube.kubectl("patch", f"{kind}.hypervisor.c5c3.io", name, "--subresource=status",
                          "--type=merge", "-p", json.dumps({"status": status}))

    def get(self, kind: str, name: str) -> dict:
        return existing(self.kube, None, f"{kind}.hypervisor.c5c3.io", name)

    def list(self, kind: str) -> list[dict]:
        out = self.kube.kubectl("get", f"{kind}.hypervisor.c5c3.io", "-o", "json")
        return json.loads(out.stdout)["items"]

    def play(self, playbook: str, **extravars) -> PlaybookResult:
        path = REPO / "playbooks" / playbook if playbook.startswith("hypervisor_") else PLAYBOOKS / playbook
        extravars.setdefault("cobaltcore_kubeconfig", str(self.kube.kubeconfig))
        return run_playbook(path, extravars=self.lab_vars(**extravars))


def condition(obj: dict, ctype: str) -> dict:
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == ctype), {})


@pytest.fixture(scope="session")
def libvirt_lab(lab):
    lab.ensure("libvirt")
    return lab.component("libvirt")


@pytest.fixture(scope="session")
def hypervisor_crds(kube):
    kube.install_crds(*CRDS)
    return CRDS


@pytest.fixture
def hypervisors(libvirt_lab, kube, hypervisor_crds, lab):
    """Both lab hypervisors without guests, secrets or custom resources, before and after."""
    hv = Hypervisors(libvirt_lab, kube, lab.settings.lab_dir)
    hv.wipe()
    yield hv
    hv.wipe()
