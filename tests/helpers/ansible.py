"""Run playbooks the way users do (ansible-playbook with the repo's ansible.cfg) and read results."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping

REPO = Path(__file__).resolve().parents[2]


@dataclasses.dataclass
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    stats: dict[str, dict[str, int]]
    plays: list[dict[str, Any]]

    def total(self, key: str) -> int:
        return sum(host.get(key, 0) for host in self.stats.values())

    @property
    def changed(self) -> int:
        return self.total("changed")

    @property
    def failed(self) -> int:
        return self.total("failures") + self.total("unreachable")

    def failures(self) -> list[str]:
        """'task: message' of every failed, not ignored task result (JSON callback runs)."""
        out = []
        for play in self.plays:
            for task in play.get("tasks", []):
                for result in task["hosts"].values():
                    if result.get("failed") and not result.get("ignore_errors"):
                        detail = result.get("msg") or result.get("stderr") or result.get("exception") or ""
                        out.append(f"{task['task']['name']}: {str(detail)[:600]}")
        return out

    def __repr__(self) -> str:
        # What a failing `assert result.rc == 0` shows: why, not the head of the JSON document.
        failures = self.failures() or [self.stderr.strip()[-1500:] or self.stdout.strip()[-1500:]]
        return f"PlaybookResult(rc={self.rc}, stats={self.stats}, failures={failures})"

    def task_results(self, name: str) -> list[dict[str, Any]]:
        """Results of every task with this name, across hosts."""
        out = []
        for play in self.plays:
            for task in play.get("tasks", []):
                if task["task"]["name"] == name:
                    out.extend(task["hosts"].values())
        return out


def run_playbook(playbook: str | Path, *, extravars: Mapping[str, Any] | None = None,
                 inventory: str | Path | None = None, check: bool = False, diff: bool = False,
                 verbosity: int = 0, json_output: bool = True, env: Mapping[str, str] | None = None,
                 timeout: float = 1800, tags: str | None = None) -> PlaybookResult:
    """ansible-playbook with the JSON callback (parsed) or the default one (``json_output=False``,
    for tests that read what a user would see). Extra vars travel in a 0600 temp file."""
    path = Path(playbook)
    if not path.is_absolute():
        path = REPO / path
    args = ["ansible-playbook", str(path)]
    if inventory:
        args += ["-i", str(inventory)]
    if check:
        args.append("--check")
    if diff:
        args.append("--diff")
    if tags:
        args += ["--tags", tags]
    if verbosity:
        args.append("-" + "v" * verbosity)
    full_env = dict(os.environ)
    full_env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    full_env["ANSIBLE_FORCE_COLOR"] = "0"
    full_env["ANSIBLE_NOCOLOR"] = "1"
    if json_output:
        full_env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    if env:
        full_env.update(env)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=True) as vars_file:
        os.chmod(vars_file.name, 0o600)
        json.dump(dict(extravars or {}), vars_file)
        vars_file.flush()
        args += ["-e", f"@{vars_file.name}"]
        proc = subprocess.run(args, cwd=REPO, env=full_env, capture_output=True, text=True,
                              timeout=timeout, check=False)
    stats: dict[str, dict[str, int]] = {}
    plays: list[dict[str, Any]] = []
    if json_output:
        start = proc.stdout.find("{")
        if start >= 0:
            try:
                doc = json.loads(proc.stdout[start:])
                stats, plays = doc.get("stats", {}), doc.get("plays", [])
            except json.JSONDecodeError:
                pass
    else:
        stats = _parse_recap(proc.stdout)
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, stats, plays)


def _parse_recap(stdout: str) -> dict[str, dict[str, int]]:
    stats: dict[str, dict[str, int]] = {}
    in_recap = False
    for line in stdout.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        if in_recap and ":" in line:
            host, rest = line.split(":", 1)
            counts = {}
            for part in rest.split():
                if "=" in part:
                    k, v = part.split("=", 1)
                    counts[{"failed": "failures"}.get(k, k)] = int(v)
            stats[host.strip()] = counts
    return stats


def run_module(name: str, args: Mapping[str, Any], *, check: bool = False, diff: bool = False,
               timeout: float = 600) -> dict[str, Any]:
    """Run plugins/modules/<name>.py in a process of its own, fed its JSON arguments the way
    Ansible's module wrapper feeds them (check and diff mode included), and return its JSON
    result. About a quarter of an ansible-playbook run's cost: for tests of a module's behaviour;
    what Ansible adds around a module (no_log, --diff output, a role's use) is tested through
    ansible-playbook."""
    payload = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        os.chmod(f.name, 0o600)
        json.dump({"ANSIBLE_MODULE_ARGS": payload}, f)
        f.flush()
        env = dict(os.environ, PYTHONPATH=str(REPO / ".collections"))
        out = subprocess.run([sys.executable, "-m", f"ansible_collections.c5c3.cobaltcore.plugins.modules.{name}",
                              f.name], env=env, capture_output=True, text=True, timeout=timeout, check=False)
    start = out.stdout.find("{")
    if start < 0:
        raise AssertionError(f"{name} printed no JSON (rc={out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout[start:])
