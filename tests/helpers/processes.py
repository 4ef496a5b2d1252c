"""Stopping what test fixtures started on the host."""
from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from c5c3lab import process
from c5c3lab.components.infra import memcached_answers


def stop_gunicorn(pidfile: Path, timeout: float = 30.0) -> None:
    """SIGTERM the gunicorn master named by ``pidfile`` (it stops its workers) and wait for it."""
    stop_by_pidfile(pidfile, "gunicorn", timeout)


def stop_by_pidfile(pidfile: Path, program: str, timeout: float) -> None:
    """Stop the process named by ``pidfile`` (SIGTERM, SIGKILL after ``timeout``: the lab's
    ``process.terminate``). A pidfile whose process is gone, or is no longer ``program`` (its pid
    reused), is left alone."""
    pid = process.read_pid(pidfile)
    try:
        if not pid or program not in Path(f"/proc/{pid}/cmdline").read_text():
            return
    except FileNotFoundError:
        return
    process.terminate(pid, timeout=timeout)


@dataclass
class PrivateMemcached:
    """A memcached that serves one test keystone alone. keystone's cache keys do not include its
    database, so keystones sharing the lab's memcached would see each other's users and regions;
    without any cache, keystone spends about 0.3 s of ORM work on the roles of every request's
    token (15 times a cached request; measured on the lab, see docs/contributing.md)."""
    port: int
    pidfile: Path

    @classmethod
    def start(cls, run_dir: Path, port: int, timeout: float = 15.0) -> "PrivateMemcached":
        run_dir.mkdir(parents=True, exist_ok=True)
        cache = cls(port, run_dir / "memcached.pid")
        subprocess.run(["memcached", "-d", "-u", "root", "-l", "127.0.0.1", "-p", str(port), "-U", "0",
                        "-m", "32", "-P", str(cache.pidfile)], check=True)
        deadline = time.monotonic() + timeout
        while not cache.answers():
            if time.monotonic() > deadline:
                raise TimeoutError(f"memcached on 127.0.0.1:{port} did not answer within {timeout:.0f} s")
            time.sleep(0.1)
        return cache

    @property
    def servers(self) -> list[str]:
        return [f"127.0.0.1:{self.port}"]

    def answers(self) -> bool:
        return memcached_answers("127.0.0.1", self.port)

    def stop(self, timeout: float = 10.0) -> None:
        stop_by_pidfile(self.pidfile, "memcached", timeout)
