"""A one-host Ceph cluster from Debian's packages: 1 mon, 1 mgr, 1 OSD (bluestore on a sparse
file), cephx required everywhere, bound to the lab host only.

Three daemons make one component: ``labctl up ceph`` starts what is missing of them, ``labctl down
ceph`` stops all three. Each daemon runs in the foreground (``-f``) as its own supervised process
with its own pidfile, so stopping really stops it (a self-daemonising Ceph daemon is re-parented
and would outlive the lab's process group). The cluster is bootstrapped once (fsid, keys, mon
store, OSD) and keeps its data under ``<lab>/data/ceph`` across restarts.
"""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from c5c3lab import process
from c5c3lab.components.base import Component, Launch, Status

MON_ID = "a"
MGR_ID = "x"
ADMIN = "client.admin"


class Ceph(Component):
    name = "ceph"
    ready_timeout = 120.0

    # --- layout --------------------------------------------------------------------------------
    @property
    def conf(self) -> Path:
        return self.data_dir / "ceph.conf"

    @property
    def keyring_dir(self) -> Path:
        return self.data_dir / "keyring"

    @property
    def admin_keyring(self) -> Path:
        return self.keyring_dir / f"ceph.{ADMIN}.keyring"

    @property
    def sock_dir(self) -> Path:
        return self.settings.run_dir / "ceph"

    @property
    def mon_host(self) -> str:
        h, p = self.settings.host, self.settings.ports
        return f"[v2:{h}:{p.ceph_mon_v2},v1:{h}:{p.ceph_mon_v1}]"

    def ports(self) -> list[int]:
        return [self.settings.ports.ceph_mon_v2, self.settings.ports.ceph_mon_v1]

    def daemon_port_range(self) -> range:
        """Where mgr and OSD bind (ms_bind_port_min..max), for the no-port-left-behind check."""
        p = self.settings.ports
        return range(p.ceph_daemon_min, p.ceph_daemon_max + 1)

    def _pidfile(self, daemon: str) -> Path:
        return self.settings.run_dir / f"ceph-{daemon}.pid"

    @property
    def pidfile(self) -> Path:
        return self._pidfile(f"mon.{MON_ID}")

    def _daemons(self) -> list[str]:
        osd = self._osd_id()
        return [f"mon.{MON_ID}", f"mgr.{MGR_ID}"] + ([f"osd.{osd}"] if osd is not None else [])

    def _alive(self, daemon: str) -> bool:
        return process.pid_alive(process.read_pid(self._pidfile(daemon)))

    # --- bootstrap -----------------------------------------------------------------------------
    def _fsid(self) -> str:
        path = self.data_dir / "fsid"
        if not path.exists():
            path.write_text(str(uuid.uuid4()) + "\n")
        return path.read_text().strip()

    def _write_conf(self) -> None:
        d, p, host = self.data_dir, self.settings.ports, self.settings.host
        log_dir = self.settings.log_dir / "ceph"
        for sub in (self.keyring_dir, self.sock_dir, log_dir, d / "mon", d / "mgr", d / "osd"):
            sub.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(f"""[global]
fsid = {self._fsid()}
mon host = {self.mon_host}
mon initial members = {MON_ID}
public network = {host}/32
public addr = {host}
cluster addr = {host}
ms bind ipv6 = false
ms bind port min = {p.ceph_daemon_min}
ms bind port max = {p.ceph_daemon_max}
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
run dir = {self.sock_dir}
log file = {log_dir}/$cluster-$name.log
mon data = {d}/mon/$cluster-$id
mgr data = {d}/mgr/$cluster-$id
osd data = {d}/osd/$cluster-$id
keyring = {self.keyring_dir}/$cluster.$name.keyring

[client]
# Clients (CLI calls, modules, tests) run concurrently under one name; only daemons get a socket.
admin socket =

[mon]
keyring = {d}/mon/$cluster-$id/keyring
admin socket = {self.sock_dir}/$cluster-$name.asok

[mgr]
admin socket = {self.sock_dir}/$cluster-$name.asok

[osd]
admin socket = {self.sock_dir}/$cluster-$name.asok
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 4294967296
bluestore fsck on mkfs = false
osd memory target = 939524096
osd max object name len = 256
osd max object namespace len = 64
""")

    def prepare(self) -> None:
        self._write_conf()
        mon_store = self.data_dir / "mon" / f"ceph-{MON_ID}"
        if (mon_store / "store.db").exists():
            return
        kr = self.keyring_dir
        mon_keyring = kr / "mon.keyring"
        self._tool("ceph-authtool", "--create-keyring", str(mon_keyring), "--gen-key", "-n", "mon.",
                   "--cap", "mon", "allow *")
        self._tool("ceph-authtool", "--create-keyring", str(self.admin_keyring), "--gen-key", "-n", ADMIN,
                   "--cap", "mon", "allow *", "--cap", "osd", "allow *", "--cap", "mds", "allow *",
                   "--cap", "mgr", "allow *")
        self._tool("ceph-authtool", str(mon_keyring), "--import-keyring", str(self.admin_keyring))
        monmap = self.data_dir / "monmap"
        self._tool("monmaptool", "--create", "--clobber", "--fsid", self._fsid(),
                   "--addv", MON_ID, self.mon_host, str(monmap))
        self._tool("ceph-mon", "--conf", str(self.conf), "--mkfs", "-i", MON_ID,
                   "--monmap", str(monmap), "--keyring", str(mon_keyring))
        for path in (mon_keyring, self.admin_keyring):
            path.chmod(0o600)

    def _tool(self, *argv: str, input: str | None = None, timeout: float = 60) -> str:
        return process.run(list(argv), input=input, timeout=timeout).stdout

    def ceph(self, *args: str, input: str | None = None, timeout: float = 30, check: bool = True,
             fmt: str = "json"):
        """The ``ceph`` CLI as client.admin against this cluster."""
        argv = ["ceph", "--conf", str(self.conf), "--name", ADMIN, "--keyring", str(self.admin_keyring),
                "--connect-timeout", str(int(timeout)), *args, "--format", fmt]
        return process.run(argv, input=input, timeout=timeout + 10, check=check)

    def _osd_id(self) -> int | None:
        path = self.data_dir / "osd-id"
        return int(path.read_text()) if path.exists() else None

    def _ensure_mgr_key(self) -> None:
        keyring = self.keyring_dir / f"ceph.mgr.{MGR_ID}.keyring"
        (self.data_dir / "mgr" / f"ceph-{MGR_ID}").mkdir(parents=True, exist_ok=True)
        if not keyring.exists():
            self.ceph("auth", "get-or-create", f"mgr.{MGR_ID}", "mon", "allow profile mgr",
                      "osd", "allow *", "mds", "allow *", "-o", str(keyring), fmt="plain")
            keyring.chmod(0o600)

    def _ensure_osd(self) -> int:
        osd_id = self._osd_id()
        if osd_id is not None and (self.data_dir / "osd" / f"ceph-{osd_id}" / "ready").exists():
            return osd_id
        osd_uuid = str(uuid.uuid4())
        secret = self._tool("ceph-authtool", "--gen-print-key").strip()
        # The secret travels on stdin, never on a command line others could read in /proc.
        out = self.ceph("osd", "new", osd_uuid, "-i", "-", input=json.dumps({"cephx_secret": secret}))
        osd_id = int(json.loads(out.stdout)["osdid"]) if out.stdout.strip().startswith("{") \
            else int(out.stdout.strip())
        (self.data_dir / "osd" / f"ceph-{osd_id}").mkdir(parents=True, exist_ok=True)
        keyring = self.keyring_dir / f"ceph.osd.{osd_id}.keyring"
        self._tool("ceph-authtool", "--create-keyring", str(keyring), "--name", f"osd.{osd_id}",
                   "--add-key", secret)
        keyring.chmod(0o600)
        self._tool("ceph-osd", "--conf", str(self.conf), "-i", str(osd_id), "--mkfs", "--osd-uuid", osd_uuid,
                   timeout=180)
        (self.data_dir / "osd-id").write_text(f"{osd_id}\n")
        return osd_id

    # --- lifecycle ---------------------------------------------------------------------------
    def command(self) -> Launch:
        return self._launch(f"mon.{MON_ID}")

    def _launch(self, daemon: str) -> Launch:
        kind, ident = daemon.split(".", 1)
        return Launch([f"ceph-{kind}", "-f", "--conf", str(self.conf), "-i", ident])

    def _spawn(self, daemon: str) -> bool:
        if self._alive(daemon):
            return False
        launch = self._launch(daemon)
        process.spawn(launch.argv, pidfile=self._pidfile(daemon),
                      logfile=self.settings.log_dir / f"ceph-{daemon}.log")
        return True

    def _wait(self, probe, what: str, daemons: list[str]) -> None:
        dead: list[str] = []

        def alive() -> bool:
            dead[:] = [d for d in daemons if not self._alive(d)]
            return not dead

        try:
            process.wait_until(probe, timeout=self.ready_timeout, what=what, interval=0.2, alive=alive)
        except process.LabError as exc:
            log = self.settings.log_dir / "ceph" / f"ceph-{(dead or daemons)[-1]}.log"
            raise process.LabError(f"{exc}{process._tail(log)}") from None

    def _mon_up(self) -> bool:
        return self.ceph("mon", "stat", timeout=5, check=False).returncode == 0

    def running(self) -> bool:
        return self._alive(f"mon.{MON_ID}")

    def ready(self) -> bool:
        osd = json.loads(self.ceph("osd", "stat", timeout=5).stdout)
        mgr = json.loads(self.ceph("mgr", "stat", timeout=5).stdout)
        return osd.get("num_up_osds", 0) >= 1 and osd.get("num_in_osds", 0) >= 1 and bool(mgr.get("available"))

    def status(self) -> Status:
        alive = [d for d in self._daemons() if self._alive(d)]
        running = bool(alive)
        ready = False
        if len(alive) == 3:
            try:
                ready = self.ready()
            except Exception:  # noqa: BLE001 - a failing probe means not ready
                ready = False
        return Status(self.name, running, ready, self.pid if running else None,
                      f"{len(alive)}/3 daemons: {', '.join(alive) or '-'}")

    def start(self) -> bool:
        """Start the daemons that are not running (mon, then mgr, then OSD) and wait until the OSD
        is up and in and the mgr is available. Returns True if it started any daemon."""
        mon = f"mon.{MON_ID}"
        if not self._alive(mon):
            busy = [p for p in self.ports() if process.tcp_open(self.settings.host, p)]
            if busy:
                raise process.LabError(f"ceph: port(s) {busy} on {self.settings.host} are taken by another "
                                       "process; stop it or change the lab ports")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        started = self._spawn(mon)
        self._wait(self._mon_up, "ceph-mon", [mon])
        self._ensure_mgr_key()
        started |= self._spawn(f"mgr.{MGR_ID}")
        osd_id = self._ensure_osd()
        started |= self._spawn(f"osd.{osd_id}")
        self._wait(self.ready, "ceph (OSD up and in, mgr available)", self._daemons())
        return started

    def stop(self) -> bool:
        stopped = False
        for daemon in reversed(self._daemons()):
            pidfile = self._pidfile(daemon)
            pid = process.read_pid(pidfile)
            if process.pid_alive(pid):
                stopped = True
                process.terminate(pid)
            pidfile.unlink(missing_ok=True)
        return stopped

    def connection_info(self) -> dict[str, str]:
        return {
            "CEPH_CONF": str(self.conf),
            "CEPH_ADMIN_KEYRING": str(self.admin_keyring),
            "CEPH_MON_HOST": self.mon_host,
        }


__all__ = ["Ceph"]
