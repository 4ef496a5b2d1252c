"""The lab's idea of a live process (lab/c5c3lab/process.py), which `labctl down` and every
component's stop rely on to leave no process and no port behind."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from c5c3lab import process

# The main thread leaves with the exit system call (not the process's exit_group), so the
# thread-group leader turns zombie while a second thread holds a listening socket for a while.
LEADER_LEAVES_FIRST = """
import ctypes, socket, sys, threading, time
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
print(server.getsockname()[1], flush=True)
threading.Thread(target=time.sleep, args=(float(sys.argv[1]),)).start()
time.sleep(0.2)
ctypes.CDLL(None).syscall(int(sys.argv[2]), 0)  # SYS_exit: this thread only
"""
SYS_EXIT = {"x86_64": 60, "aarch64": 93}


def _listening(port: int) -> bool:
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True)
    return bool(out.stdout.strip())


@pytest.mark.skipif(os.uname().machine not in SYS_EXIT, reason="exit system call number unknown here")
def test_a_process_whose_leader_thread_exited_is_alive_until_its_last_thread_ends():
    proc = subprocess.Popen([sys.executable, "-c", LEADER_LEAVES_FIRST, "3", str(SYS_EXIT.get(os.uname().machine))],
                            stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        deadline = time.monotonic() + 5
        while _leader_state(proc.pid) != "Z":
            assert time.monotonic() < deadline, "the leader thread never exited"
            time.sleep(0.05)
        # The leader is a zombie, the process still listens: alive.
        assert _listening(port)
        assert process.pid_alive(proc.pid)
        process.wait_until(lambda: not process.pid_alive(proc.pid), timeout=15, what="the last thread ends")
        assert not _listening(port)
    finally:
        proc.kill()
        proc.wait()


def test_a_reaped_or_zombie_process_is_not_alive():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait_until(lambda: _leader_state(proc.pid) in ("Z", None), timeout=15, what="the child exits")
    assert not process.pid_alive(proc.pid)  # a zombie, not yet reaped
    proc.wait()
    assert not process.pid_alive(proc.pid)
    assert not process.pid_alive(None)


def _leader_state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def test_a_process_that_ends_while_its_threads_are_read_is_not_alive(monkeypatch):
    """/proc/<pid>/task/<tid>/stat of a thread that ended after the listing fails with ESRCH on
    read (seen when ovsdb-server exited during `down`): that thread does not count, and no error
    escapes to the caller's stop loop."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        real_open = open

        def open_of_an_ended_process(path, *args, **kwargs):
            if str(path).startswith(f"/proc/{proc.pid}/task/"):
                raise ProcessLookupError(3, "No such process")
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(process, "open", open_of_an_ended_process, raising=False)
        assert not process.pid_alive(proc.pid)
    finally:
        proc.kill()
        proc.wait()


def test_terminate_stops_a_process_that_leads_no_group_and_spares_its_group():
    """A daemon that forked after setsid (gunicorn, memcached -d) is in a group it does not lead:
    terminate signals that process alone, never the group (here: pytest's own)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert os.getpgid(proc.pid) != proc.pid and os.getpgid(proc.pid) == os.getpgid(0)
        assert process.terminate(proc.pid, timeout=5)
        assert not process.pid_alive(proc.pid)
    finally:
        proc.kill()
        proc.wait()
