"""One lab component = one supervised process with a readiness probe.

Subclasses declare ``name``, ``requires`` and ``ports`` and implement ``prepare`` (one-time state:
data directories, certificates, config files), ``command`` and ``ready``. Start, stop and status
are the same for all of them, which is what makes every component idempotent in the same way.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar, Mapping, Sequence

from c5c3lab import process
from c5c3lab.settings import LabSettings


@dataclasses.dataclass
class Launch:
    argv: Sequence[str]
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    cwd: Path | None = None


@dataclasses.dataclass
class Status:
    name: str
    running: bool
    ready: bool
    pid: int | None
    detail: str = ""


class Component:
    name: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()
    ready_timeout: ClassVar[float] = 60.0

    def __init__(self, settings: LabSettings):
        self.settings = settings

    # --- to implement -------------------------------------------------------------------------
    def prepare(self) -> None:
        """Create whatever the process needs before its first start. Must be idempotent."""

    def command(self) -> Launch:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def ports(self) -> list[int]:
        """Loopback TCP ports this component listens on (used by status and the lab-down check)."""
        return []

    def after_stop(self) -> None:
        """Clean-up of helper processes the main process leaves behind (e.g. epmd)."""

    def connection_info(self) -> dict[str, str]:
        """What clients need (URLs, sockets, files); shown by ``labctl env``."""
        return {}

    # --- shared behaviour ---------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir(self.name)

    @property
    def pidfile(self) -> Path:
        return self.settings.run_dir / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return self.settings.log_dir / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        return process.read_pid(self.pidfile)

    def running(self) -> bool:
        return process.pid_alive(self.pid)

    def status(self) -> Status:
        running = self.running()
        ready = False
        if running:
            try:
                ready = bool(self.ready())
            except Exception:  # noqa: BLE001 - a failing probe means not ready
                ready = False
        return Status(self.name, running, ready, self.pid if running else None)

    def start(self) -> bool:
        """Start unless already running; wait for readiness. Returns True if it started it."""
        if self.running():
            process.wait_until(self.ready, timeout=self.ready_timeout, what=self.name,
                               alive=self.running, logfile=self.logfile)
            return False
        busy = [p for p in self.ports() if process.tcp_open(self.settings.host, p)]
        if busy:
            raise process.LabError(
                f"{self.name}: port(s) {busy} on {self.settings.host} are taken by another process; "
                "stop it or change the lab ports"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        launch = self.command()
        process.spawn(launch.argv, pidfile=self.pidfile, logfile=self.logfile,
                      env=launch.env, cwd=launch.cwd)
        process.wait_until(self.ready, timeout=self.ready_timeout, what=self.name,
                           alive=self.running, logfile=self.logfile)
        return True

    def stop(self) -> bool:
        """Stop if running. Returns True if something was stopped."""
        pid = self.pid
        was_running = process.pid_alive(pid)
        process.terminate(pid)
        self.after_stop()
        self.pidfile.unlink(missing_ok=True)
        return was_running
