"""Lab start-up times on a private lab (own directory, port block 19000).

- cold: `labctl up` on an empty lab directory (Go binaries already cached; their one-time build
  is measured separately by `lab/kube/build.sh` on an empty cache and reported in bench/README.md)
- warm: `labctl up` after `labctl down` with the data kept (the usual developer/CI re-run)
- no-op: `labctl up` when everything already runs
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
from results import publish  # noqa: E402
LABCTL = [sys.executable, str(REPO / "lab" / "labctl")]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def timed(env: dict, *args: str) -> float:
    t0 = time.monotonic()
    subprocess.run([*LABCTL, *args], env=env, check=True, capture_output=True, text=True)
    return time.monotonic() - t0


def main() -> None:
    results: dict[str, list[float]] = {"cold": [], "warm": [], "noop": [], "down": []}
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory(prefix="c5c3-bench-lab-") as tmp:
            env = dict(os.environ, C5C3_LAB_DIR=tmp, C5C3_LAB_PORT_BASE="19000")
            try:
                results["cold"].append(timed(env, "up"))
                results["noop"].append(timed(env, "up"))
                results["down"].append(timed(env, "down"))
                results["warm"].append(timed(env, "up"))
            finally:
                subprocess.run([*LABCTL, "down"], env=env, check=False, capture_output=True)
    summary = {k: {"median_s": round(statistics.median(v), 2), "min_s": round(min(v), 2),
                   "max_s": round(max(v), 2), "rounds": len(v)} for k, v in results.items()}
    publish("lab-start", summary)


if __name__ == "__main__":
    main()
