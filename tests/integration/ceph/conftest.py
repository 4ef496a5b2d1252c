"""Fixtures for the Ceph tests: the lab's one-host Ceph cluster and a way to run one module."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers.ansible import REPO, run_playbook


@dataclasses.dataclass
class CephAccess:
    conf: Path
    admin_keyring: Path
    mon_host: str
    component: object

    @property
    def conn(self) -> dict:
        """Connection options of the ceph_* modules for client.admin."""
        return {"cluster_conf": str(self.conf), "keyring": str(self.admin_keyring), "timeout": 20}

    def cli(self, *args: str, tool: str = "ceph", name: str = "client.admin", keyring: Path | None = None,
            check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        argv = [tool, "--conf", str(self.conf), "--name", name, "--keyring", str(keyring or self.admin_keyring),
                "--client-mount-timeout", "20", *args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, input=input, check=False,
                              env=dict(os.environ, CEPH_ARGS=""))
        if check and proc.returncode != 0:
            raise AssertionError(f"{argv} rc={proc.returncode}: {proc.stderr}")
        return proc

    def json(self, *args: str):
        return json.loads(self.cli(*args, "--format", "json").stdout)

    def pools(self) -> list[str]:
        return [p["poolname"] for p in self.json("osd", "lspools")]

    def get_key(self, entity: str) -> str:
        return self.cli("auth", "get-key", entity).stdout.strip()


@pytest.fixture(scope="session")
def ceph(lab) -> CephAccess:
    lab.ensure("ceph")
    comp = lab.component("ceph")
    return CephAccess(comp.conf, comp.admin_keyring, comp.mon_host, comp)


def run_in_playbook(module: str, args: dict, *, check: bool = False, diff: bool = False,
                    no_log: bool = False, save_to: Path | None = None) -> dict:
    """Run one c5c3.cobaltcore module through ansible-playbook (a one-task play) and return its
    result with the playbook's output (``_stdout``): for what Ansible shows of a module's secrets.
    The modules' behaviour is tested with tests.helpers.ansible.run_module."""
    import tempfile

    import yaml

    task = {"name": "module under test", f"c5c3.cobaltcore.{module}": args, "register": "result"}
    if no_log:
        task["no_log"] = True
    tasks = [task]
    if save_to is not None:
        # What a role does with a returned key: use it in another no_log task.
        tasks.append({"name": "save", "no_log": True, "ansible.builtin.copy": {
            "content": "{{ result | to_json }}", "dest": str(save_to), "mode": "0600"}})
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=REPO / "tests" / "integration" / "ceph",
                                     prefix=".tmp-play-", delete=True) as f:
        os.chmod(f.name, 0o600)
        yaml.safe_dump(play, f)
        f.flush()
        ran = run_playbook(f.name, check=check, diff=diff, timeout=300)
    result = ran.task_results("module under test")[0]
    result["_stdout"] = ran.stdout + ran.stderr
    return result
