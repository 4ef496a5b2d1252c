"""Golden files: what roles glance and placement (through openstack_service) render for
representative inputs, byte for byte: glance-api.conf, placement.conf, paste, ceph.conf,
policy.yaml, gunicorn.conf.py and the secret fragment.

Regenerate after an intended change with C5C3_UPDATE_GOLDEN=1 and review the diff.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.helpers.ansible import REPO, run_playbook
from tests.helpers.golden import assert_matches_golden

GOLDEN = REPO / "tests" / "golden" / "openstack_service"
CASES = ["glance-host-rbd", "glance-kubernetes-file", "placement-host", "placement-kubernetes"]


def _render(case: str, out: Path) -> dict[str, str]:
    out.mkdir()
    inputs = yaml.safe_load((GOLDEN / f"inputs-{case}.yml").read_text())
    role = inputs["golden_role"]
    result = run_playbook(GOLDEN / "render.yml", inventory="localhost,", extravars={
        "ansible_python_interpreter": os.sys.executable, f"{role}_action": "render",
        f"{role}_render_dir": str(out), **inputs})
    assert result.rc == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return {p.name: p.read_text() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("case", CASES)
def test_role_renders_golden_files(case, tmp_path):
    assert_matches_golden(_render(case, tmp_path / "out"), GOLDEN / case)


def test_service_configs_use_application_credentials(tmp_path):
    rendered = _render("glance-host-rbd", tmp_path / "g")
    assert "auth_type = v3applicationcredential" in rendered["glance-api.conf"]
    assert "password" not in rendered["glance-api.conf"]
    assert "golden-ac-secret" not in rendered["glance-api.conf"]
    assert "application_credential_secret = golden-ac-secret" in rendered["glance-secrets.conf"]
