"""The lab component `ovn` on a private lab (own directory, port block 21000): `up` brings NB/SB
raft + northd + a registered chassis, a second `up` is a no-op, `down` leaves no process, no
listening port, no socket, no pidfile and no network namespace (so no tap device)."""
from __future__ import annotations

import subprocess

from c5c3lab import Lab
from c5c3lab.process import pid_alive, tcp_open
from c5c3lab.settings import LabSettings, Ports


def test_ovn_component_up_noop_down_leaves_nothing(lab, tmp_path):
    settings = LabSettings(lab_dir=tmp_path / "lab", cache_dir=lab.settings.cache_dir, ports=Ports(21000))
    private = Lab(settings)
    ovn = private.component("ovn")
    try:
        assert private.up(["ovn"]) == ["ovn"]
        assert ovn.status().ready
        pids = [ovn.pid_of(p.name) for p in ovn.procs()]
        assert all(pid_alive(p) for p in pids)
        chassis = subprocess.run(["ovn-sbctl", f"--db={ovn.remotes('sb')}", "--bare", "--columns=name", "list",
                                  "Chassis"], capture_output=True, text=True, check=True).stdout.split()
        assert chassis == ["lab-chassis-1"]
        assert private.up(["ovn"]) == []  # already running: nothing started
        netns = ovn.netns
        assert netns in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    finally:
        private.down(["ovn"])
    assert not any(pid_alive(p) for p in pids)
    assert not [p for p in ovn.ports() if tcp_open(settings.host, p)]
    leftovers = [f for pattern in ("*.sock", "*.ctl", "*.pid") for f in ovn.rundir.rglob(pattern)]
    assert leftovers == []
    assert netns not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
