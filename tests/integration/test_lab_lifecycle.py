"""`labctl up`/`down` on a second, private lab (own directory and port block): starting twice is a
no-op, and `down` leaves no lab process and no listening port behind."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
LABCTL = [sys.executable, str(REPO / "lab" / "labctl")]


def labctl(env, *args):
    return subprocess.run([*LABCTL, *args], env=env, capture_output=True, text=True, timeout=600)


def lab_processes(lab_dir: Path) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline", "status", "environ"]):
        try:
            if p.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmd = " ".join(p.info["cmdline"] or [])
            env = p.info["environ"] or {}
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if str(lab_dir) in cmd or any(str(lab_dir) in v for v in env.values()) or _cwd_inside(p, lab_dir):
            found.append(p)
    return found


def _cwd_inside(proc: psutil.Process, directory: Path) -> bool:
    try:
        return Path(proc.cwd()).is_relative_to(directory)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def start_host_service(lab_dir: Path, service: str, port: int) -> int:
    """What a host runtime leaves in the lab directory (keystone of the lab inventory): a daemon
    run from `<lab dir>/<service>/etc`, its pid in `<lab dir>/<service>/state/gunicorn.pid`,
    listening on a port. Daemonized as gunicorn does (setsid, then a fork), so it leads no process
    group. An HTTP server stands in for gunicorn: `labctl down` goes by the pidfile and the working
    directory, not the program."""
    etc, state = lab_dir / service / "etc", lab_dir / service / "state"
    etc.mkdir(parents=True)
    state.mkdir(parents=True)
    pidfile = state / "gunicorn.pid"
    subprocess.run(["setsid", "sh", "-c", f'"$0" -m http.server --bind 127.0.0.1 {port} >/dev/null 2>&1 & '
                    f'echo $! > {pidfile}', sys.executable], cwd=etc, check=True)
    pid = int(pidfile.read_text())
    assert os.getpgid(pid) != pid
    return pid


def listening(ports: set[int]) -> set[int]:
    return {c.laddr.port for c in psutil.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr.port in ports}


@pytest.fixture
def private_lab(lab):
    # A short path: unix sockets (libvirt, MariaDB, OVN) live under the lab directory.
    lab_dir = Path(tempfile.mkdtemp(prefix="c5c3-lc-"))
    env = dict(os.environ, C5C3_LAB_DIR=str(lab_dir), C5C3_LAB_PORT_BASE="18000",
               C5C3_LAB_CACHE=str(lab.settings.cache_dir))
    yield env, lab_dir
    labctl(env, "down")
    shutil.rmtree(lab_dir, ignore_errors=True)


def test_lab_up_is_idempotent_and_down_leaves_nothing(private_lab):
    env, lab_dir = private_lab
    sys.path.insert(0, str(REPO / "lab"))
    from c5c3lab import Lab, load_settings

    ports = set(Lab(load_settings(env)).ports())
    assert all(18000 <= p < 19000 for p in ports)

    first = labctl(env, "up")
    assert first.returncode == 0, first.stderr
    assert "kube-apiserver: started" in first.stdout
    assert listening(ports) >= {18443, 18379, 18306, 18211, 18672}
    assert (lab_dir / "kubeconfig").exists()

    second = labctl(env, "up")
    assert second.returncode == 0, second.stderr
    assert "started (" not in second.stdout
    from c5c3lab.components import DEFAULT

    assert second.stdout.count("already running") == len(DEFAULT)

    status = labctl(env, "status")
    assert status.returncode == 0 and "stopped" not in status.stdout

    from c5c3lab import process

    service = start_host_service(lab_dir, "keystone", 18500)
    try:
        process.wait_until(lambda: listening({18500}) == {18500}, timeout=30, what="the host service listens")
        down = labctl(env, "down")
        assert down.returncode == 0, down.stderr
        assert "keystone (host runtime)" in down.stdout
        assert not process.pid_alive(service)
        assert lab_processes(lab_dir) == []
        assert listening(ports | {18500}) == set()
    finally:
        if process.pid_alive(service):
            os.kill(service, signal.SIGKILL)

    again = labctl(env, "down")
    assert "nothing was running" in again.stdout
