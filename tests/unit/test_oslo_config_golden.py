"""Golden files: what the role keystone renders for representative inputs, byte for byte.

Regenerate after an intended change with C5C3_UPDATE_GOLDEN=1 and review the diff.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.ansible import REPO, run_playbook
from tests.helpers.golden import assert_matches_golden

GOLDEN = REPO / "tests" / "golden" / "keystone"
CASES = ["kubernetes", "host"]


def _render(case: str, out: Path) -> dict[str, str]:
    out.mkdir()
    result = run_playbook(GOLDEN / "render.yml", inventory="localhost,", extravars={
        "golden_out_dir": str(out), "ansible_python_interpreter": os.sys.executable,
        **__import__("yaml").safe_load((GOLDEN / f"inputs-{case}.yml").read_text())})
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return {p.name: p.read_text() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("case", CASES)
def test_role_renders_golden_files(case, tmp_path):
    assert_matches_golden(_render(case, tmp_path / "out"), GOLDEN / case)


def test_rendering_is_deterministic(tmp_path):
    assert _render("kubernetes", tmp_path / "a") == _render("kubernetes", tmp_path / "b")
