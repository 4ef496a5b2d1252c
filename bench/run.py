"""Run the project's benchmarks: every bench/<area>/bench_*.py, or those matching the arguments.

    python bench/run.py            # all
    python bench/run.py lab ovn    # only bench/lab and bench/ovn

Each benchmark is a standalone script that prints its figures; results also land in
bench/results/<area>-<name>.json (git-ignored) when the script writes them.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("*/bench_*.py"))
    if argv:
        scripts = [s for s in scripts if s.parent.name in argv]
    failed = 0
    for script in scripts:
        print(f"== {script.relative_to(HERE)}", flush=True)
        failed += subprocess.run([sys.executable, str(script)], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
