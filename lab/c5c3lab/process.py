"""Supervision of lab processes: start detached with a pidfile and a log, stop the whole group.

Every lab process runs in its own session, so stopping it also stops whatever it forked. A pidfile
whose process is gone, or belongs to another program, counts as not running.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence


class LabError(RuntimeError):
    """A lab component could not be started, stopped or probed; the message says why."""


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive for our purposes. But the leader of a threaded daemon (ceph-osd) is a
    # zombie as soon as its own thread exits, while its other threads, and its sockets, live on:
    # the process is alive while any of its threads is.
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return False
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", encoding="ascii") as f:
                if f.read().split(") ", 1)[1].split()[0] not in ("Z", "X"):
                    return True
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue  # the thread (or the whole process) ended between listing and reading: ESRCH
    return False


def spawn(
    argv: Sequence[str],
    *,
    pidfile: Path,
    logfile: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start ``argv`` in a new session, stdout+stderr appended to ``logfile``; return its pid."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    with open(logfile, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - argv is built by the lab, never from user input
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=str(cwd) if cwd else None,
            start_new_session=True,
            close_fds=True,
        )
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def terminate(pid: int | None, *, timeout: float = 20.0) -> bool:
    """SIGTERM the process, then SIGKILL after ``timeout``; True once it is gone. A process that
    leads its own process group (what ``spawn`` starts) is signalled with its group, so forked
    children go too; any other one (a daemon that forked after setsid, a qemu under libvirtd)
    alone, never the group it belongs to."""
    if not pid_alive(pid):
        return True
    assert pid is not None
    leads_group = _leads_group(pid)

    def send(sig: int) -> None:
        try:
            if leads_group:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            os.kill(pid, sig)

    send(signal.SIGTERM)
    if not _gone_within(pid, timeout):
        send(signal.SIGKILL)
        _gone_within(pid, 5.0)
    # Members of the group that outlived the leader (e.g. forked workers).
    if leads_group:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return not pid_alive(pid)


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _gone_within(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        _reap(pid)
        if not pid_alive(pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def wait_until(
    probe: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
    alive: Callable[[], bool] | None = None,
    logfile: Path | None = None,
) -> None:
    """Poll ``probe`` until it is true; fail early if ``alive`` says the process died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if probe():
                return
        except Exception:  # noqa: BLE001 - a probe that raises is simply not ready yet
            pass
        if alive is not None and not alive():
            raise LabError(f"{what}: process exited before it was ready{_tail(logfile)}")
        if time.monotonic() > deadline:
            raise LabError(f"{what}: not ready after {timeout:.0f}s{_tail(logfile)}")
        time.sleep(interval)


def _tail(logfile: Path | None, lines: int = 15) -> str:
    if logfile is None or not logfile.exists():
        return ""
    text = logfile.read_text(errors="replace").splitlines()[-lines:]
    return f"; last lines of {logfile}:\n  " + "\n  ".join(text)


def run(argv: Sequence[str], *, env: Mapping[str, str] | None = None, input: str | None = None,
        check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.run(  # noqa: S603
        list(argv), env=full_env, input=input, capture_output=True, text=True, timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise LabError(f"{argv[0]} failed (rc={proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    return proc


def tcp_open(host: str, port: int, timeout: float = 0.5) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
