"""The lab's Ceph component: loopback only, cephx required, restart leaves no process or port."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from c5c3lab import Lab, process
from c5c3lab.settings import LabSettings, Ports
from tests.integration.ceph.conftest import CephAccess


def listening(ports) -> list[int]:
    return [p for p in ports if process.tcp_open("127.0.0.1", p)]


def test_cluster_is_healthy_and_requires_cephx(ceph, tmp_path):
    assert ceph.json("health")["status"] == "HEALTH_OK"
    empty = tmp_path / "empty.keyring"
    empty.write_text("")
    refused = ceph.cli("health", keyring=empty, check=False)
    assert refused.returncode != 0
    wrong = tmp_path / "wrong.keyring"
    wrong.write_text("[client.admin]\n\tkey = AQBJY9lmAAAAABAAz4Hr5+ZkZ5h7GytVpL3m9w==\n")
    assert ceph.cli("health", keyring=wrong, check=False).returncode != 0


def test_daemons_listen_on_loopback_inside_the_lab_ports(ceph):
    pids = [str(process.read_pid(ceph.component._pidfile(d))) for d in ceph.component._daemons()]
    out = subprocess.run(["ss", "-Htlnp"], capture_output=True, text=True, check=True).stdout
    lines = [ln for ln in out.splitlines() if any(f"pid={p}," in ln for p in pids)]
    assert lines
    allowed = set(ceph.component.ports()) | set(ceph.component.daemon_port_range())
    for ln in lines:
        local = ln.split()[3]
        host, port = local.rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) in allowed, ln


@pytest.fixture
def private_ceph(lab):
    """A Ceph of its own (short directory: unix sockets; port block 27000): stopping the lab's
    Ceph would pull it from under the glance and controlplane suites on the other worker."""
    root = Path(tempfile.mkdtemp(prefix="cl", dir="/tmp"))
    settings = LabSettings(lab_dir=root, cache_dir=lab.settings.cache_dir, ports=Ports(27000))
    comp = Lab(settings).component("ceph")
    try:
        assert comp.start()
        yield CephAccess(comp.conf, comp.admin_keyring, comp.mon_host, comp)
    finally:
        comp.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_stop_leaves_nothing_and_start_brings_the_data_back(private_ceph):
    ceph = private_ceph
    comp = ceph.component
    ceph.cli("osd", "pool", "create", "t-lab-persist", "8")
    pids = [process.read_pid(comp._pidfile(d)) for d in comp._daemons()]
    assert comp.stop()
    assert not any(process.pid_alive(p) for p in pids)
    assert listening(list(comp.ports()) + list(comp.daemon_port_range())) == []
    assert not comp.status().running
    assert comp.start()
    # start() waited for readiness; status() probes with the ceph CLI once, which a loaded
    # machine can make time out, so it gets a few tries.
    process.wait_until(lambda: comp.status().ready, timeout=60, what="ceph status ready")
    assert "t-lab-persist" in ceph.pools()
    assert comp.start() is False, "starting a running cluster is a no-op"
