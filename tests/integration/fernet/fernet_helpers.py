"""Helpers for the fernet_keys tests: run the module, snapshot repositories."""
from __future__ import annotations

import base64
import dataclasses
import json
import os
import stat
from pathlib import Path


from tests.helpers.ansible import PlaybookResult, run_module, run_playbook

PLAYBOOK = Path(__file__).parent / "playbooks" / "fernet_keys.yml"


@dataclasses.dataclass
class ModuleRun:
    result: dict
    playbook: PlaybookResult | None = None  # set for runs through ansible-playbook

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed")) or (self.playbook is not None and self.playbook.rc != 0)

    @property
    def msg(self) -> str:
        return self.result.get("msg", "")


def fernet_keys(check: bool = False, diff: bool = False, verbosity: int = 0, json_output: bool = True,
                **params) -> ModuleRun:
    """One fernet_keys run. The module's behaviour is tested in a process of its own fed its
    arguments (``run_module``); what only ansible-playbook shows, its output at a verbosity or
    without the JSON callback (where key material must never appear), goes through a playbook."""
    if verbosity == 0 and json_output:
        return ModuleRun(run_module("fernet_keys", params, check=check, diff=diff))
    extravars = {"fk_" + name: value for name, value in params.items()}
    play = run_playbook(PLAYBOOK, extravars=extravars, check=check, diff=diff, verbosity=verbosity,
                        json_output=json_output)
    if not json_output:
        return ModuleRun({}, play)
    results = play.task_results("Run fernet_keys")
    assert results, play.stdout[-3000:] + play.stderr[-3000:]
    return ModuleRun(results[0], play)


def dir_snapshot(path: Path) -> dict:
    """Every entry with its bytes, mode and owner: 'untouched' means all of it is equal."""
    if not path.exists():
        return {}
    snap = {".": (stat.S_IMODE(path.stat().st_mode), path.stat().st_uid, path.stat().st_gid)}
    for entry in sorted(path.iterdir()):
        st = entry.lstat()
        snap[entry.name] = (entry.read_bytes(), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
    return snap


def dir_keys(path: Path) -> dict[int, str]:
    return {int(p.name): p.read_text() for p in path.iterdir()}


def secret_get(kube, namespace: str, name: str) -> dict | None:
    got = kube.kubectl("-n", namespace, "get", "secret", name, "-o", "json", check=False)
    if got.returncode != 0:
        assert "NotFound" in got.stderr, got.stderr
        return None
    return json.loads(got.stdout)


def secret_keys(secret: dict) -> dict[int, str]:
    return {int(k): base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}


def material_leaks(text: str, keys) -> list[str]:
    """Key material (or its base64 form, as in Secret data) found in ``text``."""
    leaks = []
    for key in keys:
        for form in (key, base64.b64encode(key.encode()).decode()):
            if form in text:
                leaks.append(form[:6] + "...")
    return leaks
