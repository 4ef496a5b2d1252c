"""Fixtures for the OVN tests: the lab's `ovn` component (NB/SB raft, northd, one chassis) and the
ovn-nbctl/ovn-sbctl views the tests check modules against."""
from __future__ import annotations

import subprocess
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
