"""OVN in the lab: NB and SB as 3-member raft clusters, ovn-northd, and one chassis.

One component, many processes: each daemon runs in the foreground in its own session with a
pidfile under ``run/ovn`` and a log ``logs/ovn-<process>.log``. ``start`` restarts whichever
process is missing (a killed raft member rejoins its cluster), so it is idempotent.

The chassis is ovsdb-server (its own Open_vSwitch DB) + ovs-vswitchd + ovn-controller. There is
no OVS kernel module here, so br-int uses the userspace ``netdev`` datapath, which makes tap
devices; ovs-vswitchd therefore runs inside a network namespace the component owns, and deleting
that namespace on stop removes every tap. ovn-controller stays in the root namespace because it
reaches the SB database over 127.0.0.1.
"""
from __future__ import annotations

import dataclasses
import os
import re
import signal
import time
from pathlib import Path

from c5c3lab import process
from c5c3lab.components.base import Component, Status

NB_SCHEMA = Path("/usr/share/ovn/ovn-nb.ovsschema")
SB_SCHEMA = Path("/usr/share/ovn/ovn-sb.ovsschema")
VSWITCH_SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")
MEMBERS = (1, 2, 3)
CHASSIS_NAME = "lab-chassis-1"
ELECTION_TIMER_MS = 4000
COMPACT_BYTES = 64 << 20


@dataclasses.dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str] = dataclasses.field(default_factory=dict)


def cluster_status(ctl: Path, database: str) -> dict[str, str]:
    """``ovs-appctl cluster/status`` as a dict of its ``Key: value`` lines."""
    out = process.run(["ovs-appctl", "-t", str(ctl), "--timeout=5", "cluster/status", database],
                      check=False, timeout=10)
    if out.returncode != 0:
        return {}
    info = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^([A-Za-z][A-Za-z ]*): (.*)$", line)
        if m:
            info[m.group(1)] = m.group(2).strip()
    return info


class OVN(Component):
    name = "ovn"
    ready_timeout = 60.0

    # --- layout ------------------------------------------------------------------------------
    @property
    def rundir(self) -> Path:
        return self.settings.run_dir / "ovn"

    @property
    def chassis_dir(self) -> Path:
        return self.rundir / "chassis"

    @property
    def netns(self) -> str:
        return f"c5c3lab{self.settings.ports.base}-ovn"

    def client_port(self, db: str, n: int) -> int:
        return getattr(self.settings.ports, f"ovn_{db}_{n}")

    def raft_port(self, db: str, n: int) -> int:
        return getattr(self.settings.ports, f"ovn_{db}_raft_{n}")

    def remotes(self, db: str) -> str:
        return ",".join(f"tcp:{self.settings.host}:{self.client_port(db, n)}" for n in MEMBERS)

    def ctl(self, db: str, n: int) -> Path:
        return self.rundir / f"{db}{n}.ctl"

    def ports(self) -> list[int]:
        return [f(db, n) for db in ("nb", "sb") for f in (self.client_port, self.raft_port) for n in MEMBERS]

    def chassis_env(self) -> dict[str, str]:
        d = str(self.chassis_dir)
        return {"OVS_RUNDIR": d, "OVS_LOGDIR": d, "OVS_DBDIR": d, "OVN_RUNDIR": d, "OVN_LOGDIR": d}

    @property
    def chassis_db(self) -> str:
        return f"unix:{self.chassis_dir / 'db.sock'}"

    def procs(self) -> list[Proc]:
        host, data = self.settings.host, self.data_dir
        procs = []
        for db in ("nb", "sb"):
            for n in MEMBERS:
                procs.append(Proc(f"{db}{n}", [
                    "ovsdb-server", str(data / f"{db}{n}.db"),
                    f"--remote=punix:{self.rundir / f'{db}{n}.sock'}",
                    f"--remote=ptcp:{self.client_port(db, n)}:{host}",
                    f"--unixctl={self.ctl(db, n)}", "--no-chdir",
                ]))
        procs.append(Proc("northd", [
            "ovn-northd", f"--ovnnb-db={self.remotes('nb')}", f"--ovnsb-db={self.remotes('sb')}",
            f"--unixctl={self.rundir / 'northd.ctl'}", "--no-chdir",
        ]))
        c = self.chassis_dir
        env = self.chassis_env()
        procs.append(Proc("chassis-ovsdb", [
            "ovsdb-server", str(data / "conf.db"), f"--remote=punix:{c / 'db.sock'}",
            f"--unixctl={c / 'ovsdb-server.ctl'}", "--no-chdir",
        ], env))
        procs.append(Proc("ovs-vswitchd", [
            "ip", "netns", "exec", self.netns,
            "ovs-vswitchd", self.chassis_db, f"--unixctl={c / 'ovs-vswitchd.ctl'}", "--no-chdir",
        ], env))
        # ovn-controller (23.03) has no --unixctl; its socket is OVS_RUNDIR/ovn-controller.<pid>.ctl
        procs.append(Proc("ovn-controller", ["ovn-controller", self.chassis_db, "--no-chdir"], env))
        return procs

    def pidfile_of(self, proc: str) -> Path:
        return self.rundir / f"{proc}.pid"

    def logfile_of(self, proc: str) -> Path:
        return self.settings.log_dir / f"ovn-{proc}.log"

    def pid_of(self, proc: str) -> int | None:
        return process.read_pid(self.pidfile_of(proc))

    def alive(self, proc: str) -> bool:
        return process.pid_alive(self.pid_of(proc))

    @property
    def pid(self) -> int | None:
        return self.pid_of("nb1")

    def running(self) -> bool:
        return all(self.alive(p.name) for p in self.procs())

    def status(self) -> Status:
        procs = self.procs()
        up = [p.name for p in procs if self.alive(p.name)]
        running = len(up) == len(procs)
        ready = False
        if running:
            try:
                ready = self.ready()
            except Exception:  # noqa: BLE001
                ready = False
        detail = "" if running else f"running: {', '.join(up) or 'none'}"
        return Status(self.name, running, ready, self.pid if running else None, detail)

    # --- one-time state --------------------------------------------------------------------------
    def prepare(self) -> None:
        self.rundir.mkdir(parents=True, exist_ok=True)
        self.chassis_dir.mkdir(parents=True, exist_ok=True)
        data, host = self.data_dir, self.settings.host
        for db, schema, dbname in (("nb", NB_SCHEMA, "OVN_Northbound"), ("sb", SB_SCHEMA, "OVN_Southbound")):
            first = data / f"{db}1.db"
            if not first.exists():
                process.run(["ovsdb-tool", "create-cluster", str(first), str(schema),
                             f"tcp:{host}:{self.raft_port(db, 1)}"])
            for n in MEMBERS[1:]:
                if not (data / f"{db}{n}.db").exists():
                    process.run(["ovsdb-tool", "join-cluster", str(data / f"{db}{n}.db"), dbname,
                                 f"tcp:{host}:{self.raft_port(db, n)}", f"tcp:{host}:{self.raft_port(db, 1)}"])
        if not (data / "conf.db").exists():
            process.run(["ovsdb-tool", "create", str(data / "conf.db"), str(VSWITCH_SCHEMA)])
        if not Path(f"/run/netns/{self.netns}").exists():
            process.run(["ip", "netns", "add", self.netns])
            process.run(["ip", "netns", "exec", self.netns, "ip", "link", "set", "lo", "up"])

    # --- start / stop ----------------------------------------------------------------------------
    def _spawn(self, proc: Proc) -> None:
        process.spawn(proc.argv, pidfile=self.pidfile_of(proc.name), logfile=self.logfile_of(proc.name),
                      env=proc.env)

    def _wait(self, what: str, probe, procs: list[str]) -> None:
        process.wait_until(probe, timeout=self.ready_timeout, what=f"ovn {what}",
                           alive=lambda: all(self.alive(p) for p in procs),
                           logfile=self.logfile_of(procs[0]))

    def _cluster_ready(self, db: str) -> bool:
        dbname = "OVN_Northbound" if db == "nb" else "OVN_Southbound"
        states = [cluster_status(self.ctl(db, n), dbname) for n in MEMBERS]
        return all(s.get("Status") == "cluster member" and re.match(r"self$|[0-9a-f]{4}", s.get("Leader", ""))
                   for s in states)

    def start(self) -> bool:
        procs = {p.name: p for p in self.procs()}
        missing = [name for name in procs if not self.alive(name)]
        if not missing:
            process.wait_until(self.ready, timeout=self.ready_timeout, what=self.name, alive=self.running)
            return False
        mine = {f"{db}{n}": [self.client_port(db, n), self.raft_port(db, n)] for db in ("nb", "sb") for n in MEMBERS}
        busy = [p for name in missing for p in mine.get(name, []) if process.tcp_open(self.settings.host, p)]
        if busy:
            raise process.LabError(f"ovn: port(s) {busy} on {self.settings.host} are taken by another process")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        for db, ctl in (("nb", "nbctl"), ("sb", "sbctl")):
            names = [f"{db}{n}" for n in MEMBERS]
            for name in names:
                if name in missing:
                    self._spawn(procs[name])
            self._wait(f"{db} raft cluster", lambda db=db: self._cluster_ready(db), names)
            self._raise_election_timer(db)
            # NB_Global / SB_Global: idempotent, and needed before northd and the chassis can work.
            process.run([f"ovn-{ctl}", f"--db={self.remotes(db)}", "--timeout=20", "init"], timeout=30)
        if "northd" in missing:
            self._spawn(procs["northd"])
        self._start_chassis(procs, missing)
        process.wait_until(self.ready, timeout=self.ready_timeout, what=self.name, alive=self.running,
                           logfile=self.logfile_of("ovn-controller"))
        self._compact()
        return True

    def _compact(self) -> None:
        """Bulk tests write 10,000-row transactions; compacting big raft logs keeps the next
        start (which replays the log) fast."""
        for db in ("nb", "sb"):
            for n in MEMBERS:
                path = self.data_dir / f"{db}{n}.db"
                if path.exists() and path.stat().st_size > COMPACT_BYTES:
                    process.run(["ovs-appctl", "-t", str(self.ctl(db, n)), "--timeout=60", "ovsdb-server/compact"],
                                check=False, timeout=90)

    def _raise_election_timer(self, db: str) -> None:
        """The default 1 s election timer makes the cluster change leaders while a 10,000-row
        transaction is applied on a busy 2-core machine; raft only allows doubling per step."""
        dbname = "OVN_Northbound" if db == "nb" else "OVN_Southbound"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            n = self.leader(db)
            if n is None:
                return
            # "1000", or "1000 (changing to 2000)" until the cluster committed the last step
            text = cluster_status(self.ctl(db, n), dbname).get("Election timer", "") or ""
            timer = re.match(r"(\d+)( \(changing to)?", text)
            if not timer or int(timer.group(1)) >= ELECTION_TIMER_MS:
                return
            if not timer.group(2):
                process.run(["ovs-appctl", "-t", str(self.ctl(db, n)), "cluster/change-election-timer", dbname,
                             str(min(int(timer.group(1)) * 2, ELECTION_TIMER_MS))], check=False, timeout=15)
            time.sleep(0.2)

    def _vsctl(self, *args: str, check: bool = True):
        return process.run(["ovs-vsctl", f"--db={self.chassis_db}", "--timeout=10", *args],
                           env=self.chassis_env(), check=check, timeout=20)

    def _start_chassis(self, procs: dict[str, Proc], missing: list[str]) -> None:
        if "chassis-ovsdb" in missing:
            self._spawn(procs["chassis-ovsdb"])
            self._wait("chassis ovsdb", lambda: (self.chassis_dir / "db.sock").exists(), ["chassis-ovsdb"])
        self._vsctl("--no-wait", "init")
        self._vsctl("--no-wait", "set", "Open_vSwitch", ".",
                    f"external_ids:system-id={CHASSIS_NAME}", f"external_ids:hostname={CHASSIS_NAME}",
                    f"external_ids:ovn-remote={self.remotes('sb')}", "external_ids:ovn-encap-type=geneve",
                    f"external_ids:ovn-encap-ip={self.settings.host}",
                    "external_ids:ovn-bridge-datapath-type=netdev")
        if "ovs-vswitchd" in missing:
            self._spawn(procs["ovs-vswitchd"])
            self._wait("ovs-vswitchd", lambda: (self.chassis_dir / "ovs-vswitchd.ctl").exists(), ["ovs-vswitchd"])
        if "ovn-controller" in missing:
            self._spawn(procs["ovn-controller"])

    def _chassis_registered(self) -> bool:
        out = process.run(["ovn-sbctl", f"--db={self.remotes('sb')}", "--timeout=5", "--bare",
                           "--columns=name", "find", "Chassis", f"name={CHASSIS_NAME}"], check=False, timeout=10)
        return out.returncode == 0 and out.stdout.strip() == CHASSIS_NAME

    def ready(self) -> bool:
        return self._cluster_ready("nb") and self._cluster_ready("sb") and self._chassis_registered()

    def stop(self) -> bool:
        procs = self.procs()
        was_running = any(self.alive(p.name) for p in procs)
        # 'exit' makes ovn-controller delete its Chassis row; SIGTERM would leave it stale in SB.
        pid = self.pid_of("ovn-controller")
        if process.pid_alive(pid):
            process.run(["ovs-appctl", "-t", str(self.chassis_dir / f"ovn-controller.{pid}.ctl"),
                         "--timeout=10", "exit"], check=False, timeout=15)
            deadline = time.monotonic() + 10
            while process.pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        if self.alive("chassis-ovsdb"):
            self._vsctl("--if-exists", "del-br", "br-int", check=False)
        for proc in reversed(procs):
            process.terminate(self.pid_of(proc.name))
            self.pidfile_of(proc.name).unlink(missing_ok=True)
        if Path(f"/run/netns/{self.netns}").exists():
            process.run(["ip", "netns", "del", self.netns], check=False)
        for pattern in ("*.sock", "*.ctl", "*.pid", "*.mgmt", "*.snoop"):
            for d in (self.rundir, self.chassis_dir):
                for stale in d.glob(pattern) if d.exists() else ():
                    stale.unlink(missing_ok=True)
        return was_running

    def kill_member(self, db: str, n: int) -> None:
        """SIGKILL one raft member (for failover tests); ``start`` brings it back."""
        pid = self.pid_of(f"{db}{n}")
        if process.pid_alive(pid):
            os.killpg(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while process.pid_alive(pid) and time.monotonic() < deadline:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
                time.sleep(0.05)

    def leader(self, db: str) -> int | None:
        """The member number that leads the ``db`` ("nb"/"sb") cluster right now."""
        dbname = "OVN_Northbound" if db == "nb" else "OVN_Southbound"
        for n in MEMBERS:
            if self.alive(f"{db}{n}") and cluster_status(self.ctl(db, n), dbname).get("Role") == "leader":
                return n
        return None

    def connection_info(self) -> dict[str, str]:
        return {
            "OVN_NB_DB": self.remotes("nb"),
            "OVN_SB_DB": self.remotes("sb"),
            "OVN_NB_CTLS": ",".join(str(self.ctl("nb", n)) for n in MEMBERS),
            "OVN_SB_CTLS": ",".join(str(self.ctl("sb", n)) for n in MEMBERS),
            "OVN_CHASSIS": CHASSIS_NAME,
            "OVN_CHASSIS_OVS_DB": self.chassis_db,
            "OVN_CHASSIS_RUNDIR": str(self.chassis_dir),
            "OVN_CHASSIS_NETNS": self.netns,
        }
