"""The role's molecule scenario (converge, idempotence, testinfra verify, cleanup) as part of the
suite, against the lab MariaDB this session provides."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_molecule_keystone_scenario(lab, mariadb):
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, NO_COLOR="1", C5C3_LAB_DIR=str(lab.settings.lab_dir),
               C5C3_LAB_PORT_BASE=str(lab.settings.ports.base), PATH=f"{bin_dir}:{os.environ['PATH']}")
    proc = subprocess.run([shutil.which("molecule", path=env["PATH"]), "test", "-s", "keystone"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=1800, check=False)
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert proc.returncode == 0, out[-4000:]
    for step in ("syntax", "converge", "idempotence", "verify", "cleanup"):
        assert f"[keystone > {step}] Executed: Successful" in out, step
    assert re.search(r"=+ [1-9]\d* passed", out)  # testinfra ran and passed
