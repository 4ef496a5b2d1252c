"""Fixtures for the fernet_keys tests."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.integration.fernet.fernet_helpers import fernet_keys


@pytest.fixture
def run_fernet_keys():
    return fernet_keys


@pytest.fixture
def immutable_dir(tmp_path):
    """chattr +i: even root cannot create, rename or remove entries (a real unwritable target)."""
    made = []

    def make(path: Path):
        assert subprocess.run(["chattr", "+i", str(path)], check=False).returncode == 0
        made.append(path)
        return path

    yield make
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=False)
