"""site.yml imports every area playbook in dependency order and parses as a whole."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_site_imports_in_dependency_order():
    plays = yaml.safe_load((REPO / "playbooks" / "site.yml").read_text())
    imported = [p["ansible.builtin.import_playbook"] for p in plays if "ansible.builtin.import_playbook" in p]
    for name in imported:
        assert (REPO / "playbooks" / name).exists(), name
    order = [n.removesuffix(".yml") for n in imported]
    for before, after in [("infrastructure", "keystone"), ("keystone", "catalog"), ("catalog", "glance"),
                          ("ceph_client", "glance"), ("catalog", "placement"), ("ovn", "ovn_chassis")]:
        assert order.index(before) < order.index(after), (before, after)


def test_site_passes_ansible_syntax_check():
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    proc = subprocess.run(["ansible-playbook", "--syntax-check", "playbooks/site.yml"], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
