"""The lab's Kubernetes API: etcd, kube-apiserver (TLS, RBAC, admission) and
kube-controller-manager (garbage collection, namespace deletion, service-account tokens).

No kubelet or scheduler runs: Deployments get ReplicaSets and Pods that stay Pending.
"""
from __future__ import annotations

import json
import ssl
import subprocess
import urllib.request
from functools import cached_property
from pathlib import Path

from c5c3lab import pki, process
from c5c3lab.components.base import Component, Launch
from c5c3lab.settings import REPO_ROOT, LabSettings

BUILD_SCRIPT = REPO_ROOT / "lab" / "kube" / "build.sh"
SERVICE_CIDR = "10.96.0.0/16"


def kube_bin_dir(settings: LabSettings) -> Path:
    """Directory of the pinned etcd/kube-* binaries; builds them on first use (minutes, once)."""
    env = {"C5C3_LAB_CACHE": str(settings.cache_dir)}
    out = process.run(["bash", str(BUILD_SCRIPT)], env=env, timeout=3600)
    return Path(out.stdout.strip().splitlines()[-1])


class _KubeComponent(Component):
    @cached_property
    def bin_dir(self) -> Path:
        return kube_bin_dir(self.settings)

    @property
    def pki_dir(self) -> Path:
        return self.settings.lab_dir / "pki"


class Etcd(_KubeComponent):
    name = "etcd"

    def ports(self) -> list[int]:
        return [self.settings.ports.etcd_client, self.settings.ports.etcd_peer]

    @property
    def client_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.ports.etcd_client}"

    def command(self) -> Launch:
        peer = f"http://{self.settings.host}:{self.settings.ports.etcd_peer}"
        return Launch([
            str(self.bin_dir / "etcd"), "--name", "lab", "--data-dir", str(self.data_dir),
            "--listen-client-urls", self.client_url, "--advertise-client-urls", self.client_url,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", f"lab={peer}",
            # A lab on one disk: durability of each write is not worth the latency.
            "--unsafe-no-fsync", "--log-level", "warn",
        ])

    def ready(self) -> bool:
        with urllib.request.urlopen(f"{self.client_url}/health", timeout=2) as r:
            return json.load(r).get("health") == "true"

    def connection_info(self) -> dict[str, str]:
        return {"ETCD_ENDPOINT": self.client_url}


class KubeApiserver(_KubeComponent):
    name = "kube-apiserver"
    requires = ("etcd",)
    ready_timeout = 120.0

    def ports(self) -> list[int]:
        return [self.settings.ports.kube_apiserver]

    @property
    def url(self) -> str:
        return f"https://{self.settings.host}:{self.settings.ports.kube_apiserver}"

    def prepare(self) -> None:
        d = self.pki_dir
        d.mkdir(parents=True, exist_ok=True)
        pki.ensure_ca(d)
        pki.ensure_cert(d, "apiserver", cn="kube-apiserver", server=True,
                        sans=("127.0.0.1", "localhost", "10.96.0.1", "kubernetes",
                              "kubernetes.default", "kubernetes.default.svc"))
        crt, key = pki.ensure_cert(d, "admin", cn="c5c3-lab-admin", org="system:masters")
        pki.ensure_cert(d, "apiserver-kubelet-client", cn="kube-apiserver-kubelet-client",
                        org="system:masters")
        pki.ensure_signing_key(d, "service-account")
        pki.write_kubeconfig(self.settings.kubeconfig, server=self.url, ca=d / "ca.crt",
                             cert=crt, key=key, user="admin")

    def command(self) -> Launch:
        d = self.pki_dir
        etcd = f"http://{self.settings.host}:{self.settings.ports.etcd_client}"
        return Launch([
            str(self.bin_dir / "kube-apiserver"),
            "--etcd-servers", etcd,
            "--bind-address", self.settings.host, "--advertise-address", self.settings.host,
            "--secure-port", str(self.settings.ports.kube_apiserver),
            "--tls-cert-file", str(d / "apiserver.crt"), "--tls-private-key-file", str(d / "apiserver.key"),
            "--client-ca-file", str(d / "ca.crt"),
            "--kubelet-client-certificate", str(d / "apiserver-kubelet-client.crt"),
            "--kubelet-client-key", str(d / "apiserver-kubelet-client.key"),
            "--service-account-issuer", "https://kubernetes.default.svc",
            "--service-account-key-file", str(d / "service-account.pub"),
            "--service-account-signing-key-file", str(d / "service-account.key"),
            "--api-audiences", "https://kubernetes.default.svc",
            "--authorization-mode", "Node,RBAC",
            "--service-cluster-ip-range", SERVICE_CIDR,
            "--allow-privileged=true",
            "--profiling=false",
            "--v=1",
        ])

    def _ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.pki_dir / "ca.crt"))
        ctx.load_cert_chain(str(self.pki_dir / "admin.crt"), str(self.pki_dir / "admin.key"))
        return ctx

    def ready(self) -> bool:
        with urllib.request.urlopen(f"{self.url}/readyz", timeout=2, context=self._ssl_context()) as r:
            return r.status == 200

    def connection_info(self) -> dict[str, str]:
        return {"KUBECONFIG": str(self.settings.kubeconfig), "KUBE_APISERVER": self.url,
                "KUBECTL": str(self.bin_dir / "kubectl")}


class KubeControllerManager(_KubeComponent):
    name = "kube-controller-manager"
    requires = ("kube-apiserver",)

    def ports(self) -> list[int]:
        return [self.settings.ports.kube_controller_manager]

    @property
    def kubeconfig(self) -> Path:
        return self.pki_dir / "controller-manager.kubeconfig"

    def prepare(self) -> None:
        d = self.pki_dir
        crt, key = pki.ensure_cert(d, "controller-manager", cn="system:kube-controller-manager")
        pki.write_kubeconfig(self.kubeconfig,
                             server=f"https://{self.settings.host}:{self.settings.ports.kube_apiserver}",
                             ca=d / "ca.crt", cert=crt, key=key, user="system:kube-controller-manager")

    def command(self) -> Launch:
        d = self.pki_dir
        kc = str(self.kubeconfig)
        return Launch([
            str(self.bin_dir / "kube-controller-manager"),
            "--kubeconfig", kc, "--authentication-kubeconfig", kc, "--authorization-kubeconfig", kc,
            "--bind-address", self.settings.host,
            "--secure-port", str(self.settings.ports.kube_controller_manager),
            "--cert-dir", str(self.data_dir),
            "--service-account-private-key-file", str(d / "service-account.key"),
            "--root-ca-file", str(d / "ca.crt"),
            "--use-service-account-credentials=true",
            "--service-cluster-ip-range", SERVICE_CIDR,
            "--leader-elect=false",
            "--v=1",
        ])

    def ready(self) -> bool:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # its serving cert is self-signed at start-up
        url = f"https://{self.settings.host}:{self.settings.ports.kube_controller_manager}/healthz"
        with urllib.request.urlopen(url, timeout=2, context=ctx) as r:
            return r.status == 200


def kubectl(settings: LabSettings, *args: str, input: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    """kubectl of the pinned version against the lab (admin)."""
    return process.run([str(kube_bin_dir(settings) / "kubectl"), "--kubeconfig",
                        str(settings.kubeconfig), *args], input=input, check=check)
