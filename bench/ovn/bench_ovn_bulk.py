#!/usr/bin/env python3
"""OVN bulk-write benchmark: 10,000 logical switch ports on the lab's 3-member NB raft cluster.

Three ways, each on its own fresh switch:
  raw      ovsdbapp in-process: connect, ls_add + N lsp_add in one transaction (the floor);
  module   c5c3.cobaltcore.ovn_logical_switch as Ansible runs it: one module process with its
           JSON arguments (python start-up, argument validation, connect, plan, one transaction);
           then the same call again (nothing to do: changed=false);
  nbctl    one `ovn-nbctl lsp-add ... -- lsp-set-addresses ...` process per port; SAMPLE ports are
           timed with N/2 ports in the database (the mean fill of a loop that adds N) and the
           per-port cost is extrapolated to N (a full loop takes far too long to run each time).
Usage: bench/ovn/bench_ovn_bulk.py [--ports 10000] [--sample 200]   (starts the lab's `ovn` component if needed)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lab"))

from c5c3lab import Lab  # noqa: E402

sys.path.insert(0, str(REPO / ".collections"))
# Importing the collection's OVN module_utils switches python-ovs to its C JSON parser when the
# distribution provides one (see docs/ovn.md); raw ovsdbapp below then runs with the same parser,
# so the comparison is like for like.
from ansible_collections.c5c3.cobaltcore.plugins.module_utils import ovn as _ovn_utils  # noqa: E402,F401
import ovs.json  # noqa: E402


def mac_ip(i: int) -> str:
    return f"fa:16:3e:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x} 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def raw_ovsdbapp(db: str, switch: str, n: int) -> tuple[float, float]:
    from ovsdbapp.backend.ovs_idl import connection
    from ovsdbapp.schema.ovn_northbound import impl_idl

    t0 = time.perf_counter()
    idl = connection.OvsdbIdl.from_server(db, "OVN_Northbound", leader_only=True)
    api = impl_idl.OvnNbApiIdlImpl(connection.Connection(idl, timeout=300))
    t1 = time.perf_counter()
    with api.transaction(check_error=True) as txn:
        txn.add(api.ls_add(switch, may_exist=True))
        for i in range(n):
            txn.add(api.lsp_add(switch, f"{switch}-p{i}", addresses=[mac_ip(i)]))
    t2 = time.perf_counter()
    api.ovsdb_connection.stop()
    return t2 - t0, t2 - t1


def module_args(db: str, switch: str, n: int) -> dict:
    return {"db": db.split(","), "timeout": 300, "switches": [{"name": switch}],
            "ports": [{"name": f"{switch}-p{i}", "switch": switch, "addresses": [mac_ip(i)]} for i in range(n)]}


def run_module(args: dict) -> tuple[float, dict]:
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, f)
        f.flush()
        env = dict(os.environ, PYTHONPATH=str(REPO / ".collections"))
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "ansible_collections.c5c3.cobaltcore.plugins.modules.ovn_logical_switch",
                              f.name], env=env, capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - t0
    result = json.loads(out.stdout[out.stdout.index("{"):])
    if result.get("failed"):
        raise SystemExit(f"module failed: {result.get('msg')}")
    return elapsed, result


def nbctl_loop(db: str, switch: str, sample: int) -> float:
    subprocess.run(["ovn-nbctl", f"--db={db}", "ls-add", switch], check=True)
    t0 = time.perf_counter()
    for i in range(sample):
        name = f"{switch}-p{i}"
        out = subprocess.run(["ovn-nbctl", f"--db={db}", "lsp-add", switch, name, "--", "lsp-set-addresses",
                              name, mac_ip(i)], check=False, capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"ovn-nbctl failed: {out.stderr}")
    return (time.perf_counter() - t0) / sample


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports", type=int, default=10000)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--empty-too", action="store_true", help="also time the loop on an empty database")
    a = ap.parse_args()
    lab = Lab()
    lab.up(["ovn"])
    db = lab.component("ovn").remotes("nb")
    names = ("bench-raw", "bench-module", "bench-nbctl")
    for name in names:
        subprocess.run(["ovn-nbctl", f"--db={db}", "--if-exists", "ls-del", name], check=True)
    try:
        raw_total, raw_txn = raw_ovsdbapp(db, "bench-raw", a.ports)
        mod_total, res = run_module(module_args(db, "bench-module", a.ports))
        assert res["changed"] and len(res["ports"]["created"]) == a.ports
        mod_rerun, res = run_module(module_args(db, "bench-module", a.ports))
        assert not res["changed"]
        # Every ovn-nbctl process downloads the whole NB database first, so a port-by-port loop
        # gets slower as it fills the database: on average it works on a database holding half of
        # the ports. The sample is therefore timed with N/2 ports present (and only those).
        subprocess.run(["ovn-nbctl", f"--db={db}", "ls-del", "bench-raw"], check=True)
        half = dict(module_args(db, "bench-module", a.ports), state="absent", switches=[])
        half["ports"] = [{"name": p["name"]} for p in half["ports"][: a.ports // 2]]
        mod_remove_half, res = run_module(half)
        assert len(res["ports"]["deleted"]) == a.ports // 2
        per_port = nbctl_loop(db, "bench-nbctl", a.sample)
        empty_per_port = None
        if a.empty_too:
            subprocess.run(["ovn-nbctl", f"--db={db}", "ls-del", "bench-module"], check=True)
            subprocess.run(["ovn-nbctl", f"--db={db}", "ls-del", "bench-nbctl"], check=True)
            empty_per_port = nbctl_loop(db, "bench-nbctl", a.sample)
    finally:
        for name in names:
            subprocess.run(["ovn-nbctl", f"--db={db}", "--if-exists", "ls-del", name], check=False)
    nbctl_total = per_port * a.ports
    rows = [
        ("raw ovsdbapp: connect + one transaction", raw_total),
        ("raw ovsdbapp: the transaction alone", raw_txn),
        ("module process (create)", mod_total),
        ("module process (re-run, changed=false)", mod_rerun),
        ("module process (remove half: N/2 ports, one call)", mod_remove_half),
        (f"ovn-nbctl loop, N ports (x{a.sample} sampled at N/2 present)", nbctl_total),
    ]
    if empty_per_port is not None:
        rows.append((f"ovn-nbctl loop, N ports (x{a.sample} on an empty DB)", empty_per_port * a.ports))
    print(f"OVN NB raft (3 members), {a.ports} logical switch ports; python-ovs JSON parser: {ovs.json.PARSER}")
    for label, secs in rows:
        print(f"  {label:<48} {secs:8.2f} s")
    print(f"  module / raw ovsdbapp (connect + txn)            {mod_total / raw_total:8.2f} x")
    print(f"  ovn-nbctl loop / module                          {nbctl_total / mod_total:8.1f} x")
    results = {"ports": a.ports, "json_parser": ovs.json.PARSER, "raw_total": raw_total, "raw_txn": raw_txn, "module": mod_total,
               "module_rerun": mod_rerun, "nbctl_per_port": per_port, "nbctl_extrapolated": nbctl_total,
               "module_remove_half": mod_remove_half, "nbctl_per_port_empty_db": empty_per_port}
    out = REPO / "bench" / "results" / "ovn-bulk.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
