"""labctl: start, stop and inspect the embedded lab.

    labctl up [COMPONENT ...]      start (default: the control-plane substrate) and wait for ready
    labctl down [COMPONENT ...]    stop (default: everything), leaving no process or port behind
    labctl status [--json]         what runs and whether it is ready
    labctl env                     shell exports for clients (KUBECONFIG, DB and MQ endpoints)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import time

from c5c3lab.lab import Lab
from c5c3lab.process import LabError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="labctl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    for action in ("up", "down"):
        p = sub.add_parser(action)
        p.add_argument("components", nargs="*")
    st = sub.add_parser("status")
    st.add_argument("--json", action="store_true")
    st.add_argument("components", nargs="*")
    sub.add_parser("env")
    args = parser.parse_args(argv)

    lab = Lab()
    try:
        if args.action == "up":
            lab.claim_port_base()
            for name in lab.resolve(args.components):
                t0 = time.monotonic()
                started = lab.component(name).start()
                word = "started" if started else "already running"
                print(f"{name}: {word} ({time.monotonic() - t0:.1f}s)", flush=True)
            print(f"lab ready; export KUBECONFIG={lab.settings.kubeconfig}")
        elif args.action == "down":
            stopped = lab.down(args.components)
            print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
        elif args.action == "status":
            rows = lab.status(args.components)
            if args.json:
                print(json.dumps([dataclasses.asdict(r) for r in rows], indent=2))
            else:
                for r in rows:
                    state = "ready" if r.ready else ("running" if r.running else "stopped")
                    print(f"{r.name:26} {state:8} {r.pid or ''}")
            return 0 if all(r.ready for r in rows if r.running) else 1
        elif args.action == "env":
            for k, v in lab.connection_info().items():
                print(f"export {k}={shlex.quote(v)}")
    except LabError as exc:
        print(f"labctl: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
