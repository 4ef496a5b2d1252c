"""The lab's libvirt component on its own (a private lab directory and port block, so the shared
lab keeps running): two daemons with distinct hostnames, a guest that boots, and `down` leaving no
daemon, guest, port or mount behind."""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import libvirt
import pytest

from c5c3lab import process
from c5c3lab.components.libvirt import HYPERVISORS, SMOKE_MARKER, LibvirtHypervisors
from c5c3lab.settings import LabSettings, Ports


@pytest.fixture
def private_lab(lab):
    # A short path: the daemons' unix sockets live below it (108-byte limit).
    lab_dir = Path(tempfile.mkdtemp(prefix="hvlab-", dir="/tmp"))
    settings = LabSettings(lab_dir=lab_dir, cache_dir=lab.settings.cache_dir, ports=Ports(26000))
    component = LibvirtHypervisors(settings)
    yield component
    component.stop()
    shutil.rmtree(lab_dir, ignore_errors=True)


def _qemu_pids():
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if "qemu-system" in os.readlink(f"/proc/{entry}/exe"):
                    pids.append(int(entry))
            except OSError:
                pass
    return set(pids)


def test_too_long_socket_path_is_refused_clearly(tmp_path, lab):
    deep = tmp_path / ("x" * 60)
    component = LibvirtHypervisors(LabSettings(lab_dir=deep, cache_dir=lab.settings.cache_dir,
                                               ports=Ports(26000)))
    with pytest.raises(process.LabError, match="too long for a unix socket"):
        component.start()
    assert not component.running()


def test_two_daemons_boot_a_guest_and_leave_nothing_behind(private_lab):
    before = _qemu_pids()
    assert private_lab.start() is True
    assert private_lab.start() is False  # idempotent: already running
    hostnames = []
    for host in HYPERVISORS:
        conn = libvirt.open(private_lab.tcp_uri(host))
        hostnames.append(conn.getHostname())
        conn.close()
    assert hostnames == list(HYPERVISORS)

    console = private_lab.data_dir / "console.log"
    conn = libvirt.open(private_lab.unix_uri("lab-hv1"))
    conn.defineXML(f"""<domain type='qemu'><name>lab-check</name><memory unit='MiB'>32</memory>
      <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{private_lab.smoke_kernel}</kernel>
      <cmdline>lab-check</cmdline></os><devices><serial type='file'><source path='{console}'/></serial>
      <video><model type='none'/></video><memballoon model='none'/></devices></domain>""").create()
    conn.close()
    process.wait_until(lambda: SMOKE_MARKER in console.read_text(), timeout=30, what="guest console")
    assert "lab-check" in console.read_text()
    assert _qemu_pids() - before

    assert private_lab.stop() is True
    time.sleep(0.5)
    assert not (_qemu_pids() - before)
    assert not private_lab.running()
    for port in private_lab.ports():
        assert not process.tcp_open("127.0.0.1", port)
    with open("/proc/mounts") as mounts:
        assert str(private_lab.data_dir) not in mounts.read()
