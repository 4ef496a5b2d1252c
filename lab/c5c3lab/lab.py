"""The lab as a whole: start components with their dependencies, stop them in reverse order."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from c5c3lab import process
from c5c3lab.components import DEFAULT, REGISTRY, Component, Status
from c5c3lab.process import LabError
from c5c3lab.settings import LabSettings, load_settings


class Lab:
    def __init__(self, settings: LabSettings | None = None):
        self.settings = settings or load_settings()
        self._components: dict[str, Component] = {}

    def component(self, name: str) -> Component:
        if name not in REGISTRY:
            raise LabError(f"unknown lab component {name!r}; known: {', '.join(REGISTRY)}")
        if name not in self._components:
            self._components[name] = REGISTRY[name](self.settings)
        return self._components[name]

    def resolve(self, names: Iterable[str] | None) -> list[str]:
        """The named components plus everything they require, in registry (start) order."""
        wanted: set[str] = set()

        def add(n: str) -> None:
            if n in wanted:
                return
            for dep in self.component(n).requires:
                add(dep)
            wanted.add(n)

        for n in names if names else DEFAULT:
            add(n)
        return [n for n in REGISTRY if n in wanted]

    @property
    def port_base_record(self) -> Path:
        return self.settings.lab_dir / "port-base"

    def claim_port_base(self) -> None:
        """Tie the lab directory to the port block it is first started on, and refuse any other.

        Ceph's mon map and OVN's raft databases store their members' addresses: started from the
        same data on another block, the mon and the raft members bind the old ports (another
        lab's, by default) or never form. Refusing loses nothing; moving means a fresh lab."""
        self.settings.lab_dir.mkdir(parents=True, exist_ok=True)
        wanted = self.settings.ports.base
        record = self.port_base_record
        if not record.exists():
            record.write_text(f"{wanted}\n")
            return
        recorded = int(record.read_text().strip())
        if recorded != wanted:
            raise LabError(
                f"the lab in {self.settings.lab_dir} was set up on C5C3_LAB_PORT_BASE={recorded}, not "
                f"{wanted}: Ceph and OVN keep their addresses in their data. Use "
                f"C5C3_LAB_PORT_BASE={recorded}, or another C5C3_LAB_DIR, or start over on {wanted} "
                f"(`labctl down`, then remove {self.settings.lab_dir}; its data goes with it).")

    def up(self, names: Iterable[str] | None = None) -> list[str]:
        """Start what is not running; returns the names this call started."""
        self.claim_port_base()
        started = []
        for n in self.resolve(names):
            if self.component(n).start():
                started.append(n)
        return started

    def down(self, names: Iterable[str] | None = None) -> list[str]:
        """Stop the named components (all known ones by default) in reverse start order; a full
        down first stops the host services the lab inventory's playbooks started."""
        order = list(REGISTRY) if not names else [n for n in REGISTRY if n in set(names)]
        stopped = [] if names else self.stop_host_services()
        for n in reversed(order):
            if self.component(n).stop():
                stopped.append(n)
        return stopped

    def stop_host_services(self) -> list[str]:
        """Stop the gunicorn masters (with their workers) that host runtimes run from the lab
        directory: keystone, glance, placement of the lab inventory, `<lab dir>/<service>/state/
        gunicorn.pid`. A pidfile whose process no longer runs inside the lab directory (its pid
        taken by another program) is removed and the process left alone."""
        lab_dir = self.settings.lab_dir.resolve()
        stopped = []
        for pidfile in sorted(lab_dir.glob("*/state/gunicorn.pid")):
            pid = process.read_pid(pidfile)
            if process.pid_alive(pid) and _works_inside(pid, lab_dir):
                # A daemonized gunicorn leads no process group (it forked after setsid): the
                # master alone is signalled, and on SIGTERM it stops its workers itself.
                if not process.terminate(pid):
                    raise LabError(f"{pidfile.parents[1].name}: gunicorn {pid} outlived SIGKILL")
                stopped.append(f"{pidfile.parents[1].name} (host runtime)")
            pidfile.unlink(missing_ok=True)
        return stopped

    def status(self, names: Iterable[str] | None = None) -> list[Status]:
        return [self.component(n).status() for n in (names or REGISTRY)]

    def ports(self, names: Iterable[str] | None = None) -> list[int]:
        return [p for n in (names or REGISTRY) for p in self.component(n).ports()]

    def connection_info(self, names: Iterable[str] | None = None) -> dict[str, str]:
        info: dict[str, str] = {"C5C3_LAB_DIR": str(self.settings.lab_dir)}
        for n in names or REGISTRY:
            c = self.component(n)
            if c.running():
                info.update(c.connection_info())
        return info


def _works_inside(pid: int | None, directory: Path) -> bool:
    """Whether the process's working directory is in ``directory`` (a host runtime's gunicorn
    runs from its config directory)."""
    try:
        return Path(f"/proc/{pid}/cwd").resolve().is_relative_to(directory)
    except OSError:
        return False
