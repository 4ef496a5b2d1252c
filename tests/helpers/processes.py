"""Stopping what test fixtures started on the host."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def stop_gunicorn(pidfile: Path, timeout: float = 30.0) -> None:
    """SIGTERM the gunicorn master named by ``pidfile`` (it stops its workers) and wait for it.
    A pidfile whose process is gone, or is no longer gunicorn, is left alone."""
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text().strip())
    try:
        if "gunicorn" not in Path(f"/proc/{pid}/cmdline").read_text():
            return
        os.kill(pid, signal.SIGTERM)
    except (FileNotFoundError, ProcessLookupError):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.2)
