"""Fixtures for the OVN tests: the lab's `ovn` component (NB/SB raft, northd, one chassis) and a
runner that executes one of our modules exactly as Ansible does (a process fed JSON arguments)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def ovn(lab):
    lab.ensure("ovn")
    return lab.component("ovn")


@pytest.fixture(scope="session")
def nb_db(ovn) -> list[str]:
    return ovn.remotes("nb").split(",")


@pytest.fixture(scope="session")
def sb_db(ovn) -> list[str]:
    return ovn.remotes("sb").split(",")


def run_module(name: str, args: dict, *, check: bool = False, diff: bool = False, timeout: float = 600) -> dict:
    """Run plugins/modules/<name>.py as Ansible would and return its JSON result."""
    payload = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({"ANSIBLE_MODULE_ARGS": payload}, f)
        f.flush()
        env = dict(os.environ, PYTHONPATH=str(REPO / ".collections"))
        out = subprocess.run([sys.executable, "-m", f"ansible_collections.c5c3.cobaltcore.plugins.modules.{name}",
                              f.name], env=env, capture_output=True, text=True, timeout=timeout, check=False)
    start = out.stdout.find("{")
    if start < 0:
        raise AssertionError(f"{name} printed no JSON (rc={out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout[start:])


def nbctl(ovn, *args: str) -> str:
    return subprocess.run(["ovn-nbctl", f"--db={ovn.remotes('nb')}", "--timeout=60", *args],
                          capture_output=True, text=True, check=True).stdout


def sbctl(ovn, *args: str) -> str:
    return subprocess.run(["ovn-sbctl", f"--db={ovn.remotes('sb')}", "--timeout=60", *args],
                          capture_output=True, text=True, check=True).stdout


def nb_names(ovn, table: str) -> list[str]:
    """Every name in an NB table, duplicates included (that is what the tests look for)."""
    out = nbctl(ovn, "--bare", "--columns=name", "list", table)
    return [line for line in out.splitlines() if line.strip()]
