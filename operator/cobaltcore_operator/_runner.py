"""One playbook run through ansible-runner, with nothing secret left on disk.

Events are harvested in memory and never written as job_events; stdout/stderr files and env
files are suppressed; the remaining artifact directory is purged (or kept within the configured
count and byte budget). Secret values never enter extra vars: playbooks read the Secrets the
mapping names themselves, and every text the operator publishes is redacted first.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable

import ansible_runner

from cobaltcore_operator.settings import KindMapping, Settings

REDACTED = "********"
# The playbook process of a run carries this in its environment, with the run's ident as value.
RUN_MARKER = "C5C3_OPERATOR_RUN"
_RUNNER_SETTINGS = {"suppress_output_file": True, "suppress_ansible_output": True}
_MIN_SECRET_LEN = 4  # shorter values would redact ordinary words


class Redactor:
    def __init__(self, values: list[str] = ()):
        import base64
        found = set()
        for value in values:
            for candidate in (value, value.strip()):
                if len(candidate) >= _MIN_SECRET_LEN:
                    found.add(candidate)
                    found.add(base64.b64encode(candidate.encode()).decode())
        # Longest first, so a secret containing another is replaced whole.
        self._values = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, REDACTED)
        return text


@dataclasses.dataclass
class RunResult:
    status: str          # successful, failed, timeout, canceled
    rc: int | None
    changed: int
    started: str
    ended: str
    failed_task: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "successful"


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _failure_message(res: Any) -> str:
    if not isinstance(res, dict):
        return str(res or "")
    msg = res.get("msg") or res.get("reason") or res.get("stderr") or res.get("module_stderr") or ""
    if not isinstance(msg, str):
        msg = str(msg)
    return msg.strip().splitlines()[0][:400] if msg.strip() else ""


def execute(settings: Settings, mapping: KindMapping, action: str, extravars: dict[str, Any],
            private_dir: Path, ident: str, redact: Redactor,
            on_task: Callable[[str, str], None], cancel: threading.Event) -> RunResult:
    """Run the mapping's playbook (``action`` apply) or finalizer playbook (finalize); blocking."""
    private_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # ansible-runner 2.4 drops a `settings=` argument when env/settings is missing, and only
    # reads suppress_output_file from there: without this file it writes stdout to disk.
    (private_dir / "env").mkdir(exist_ok=True, mode=0o700)
    (private_dir / "env" / "settings").write_text(json.dumps(_RUNNER_SETTINGS))
    failure: dict[str, str] = {}
    changed = 0

    def handle(event: dict[str, Any]) -> bool:
        nonlocal changed
        kind = event.get("event")
        data = event.get("event_data") or {}
        if kind == "playbook_on_task_start":
            on_task(redact(str(data.get("play") or "")), redact(str(data.get("task") or "")))
        elif kind in ("runner_on_failed", "runner_on_unreachable") and not data.get("ignore_errors"):
            failure["task"] = redact(str(data.get("task") or ""))
            failure["message"] = redact(_failure_message(data.get("res")))
        elif kind == "verbose" and "ERROR" in (event.get("stdout") or "") and "error" not in failure:
            # Failures outside any task (syntax errors, a missing playbook) only reach stdout.
            line = next(ln for ln in event["stdout"].splitlines() if "ERROR" in ln)
            failure["error"] = redact(line.strip()[:400])
        elif kind == "playbook_on_stats":
            changed = sum((data.get("changed") or {}).values())
        return False  # harvested here; never written to job_events on disk

    kwargs: dict[str, Any] = {}
    playbook = mapping.playbook if action == "apply" else mapping.finalizer_playbook
    if action == "apply" and mapping.role:
        kwargs["role"] = mapping.role
    else:
        kwargs["playbook"] = str(settings.project_dir / playbook)
    inventory = (str(settings.inventory) if settings.inventory else
                 f"localhost ansible_connection=local ansible_python_interpreter={settings.python}\n")
    timeout = mapping.timeout_seconds or settings.runs.timeout_seconds
    deadline = time.monotonic() + timeout
    timed_out = False

    def stop_requested() -> bool:
        """ansible-runner's cancel hook, polled while the playbook runs; also the run's timeout.
        ansible-runner would only kill the playbook's process group, but ansible-core runs each
        task's worker in a session of its own (a stuck module would run on), so the whole process
        tree goes first, while it still hangs below the playbook. Services the run started have
        left the tree by then and keep running."""
        nonlocal timed_out
        timed_out = timed_out or time.monotonic() > deadline
        if not (timed_out or cancel.is_set()):
            return False
        _kill_run_tree(ident)
        return True

    started = _now()
    runner = ansible_runner.run(
        private_data_dir=str(private_dir), project_dir=str(settings.project_dir), ident=ident,
        inventory=inventory, extravars=extravars, quiet=True, verbosity=settings.runs.verbosity,
        envvars={"ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0", RUN_MARKER: ident},
        suppress_env_files=True, suppress_output_file=True,
        rotate_artifacts=max(1, settings.artifacts.keep_per_object),
        event_handler=handle, cancel_callback=stop_requested, **kwargs)
    status = "timeout" if timed_out else runner.status
    result = RunResult(status=status, rc=runner.rc, changed=changed, started=started,
                       ended=_now())
    if not result.ok:
        result.failed_task = failure.get("task")
        if status == "timeout":
            result.message = f"run timed out after {int(timeout)}s"
            if failure.get("task"):
                result.message += f" (last failed task: {failure['task']})"
        elif status == "canceled":
            result.message = "run canceled"
        elif failure.get("task"):
            result.message = f"task '{failure['task']}' failed: {failure.get('message') or 'no message'}"
        else:
            result.message = f"ansible-playbook exited with rc={runner.rc}"
            if failure.get("error"):
                result.message += f": {failure['error']}"
    _purge(settings, private_dir / "artifacts", ident)
    return result


def process_tree(root: int, proc: Path = Path("/proc")) -> list[int]:
    """``root`` and every process below it now, by parent pid (in any session or group)."""
    children: dict[int, list[int]] = {}
    for stat in proc.glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(parent, []).append(int(stat.parent.name))
    tree, todo = [root], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            tree.append(child)
            todo.append(child)
    return tree


def kill_tree(root: int) -> None:
    """SIGKILL ``root`` and every process below it."""
    for pid in process_tree(root):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _kill_run_tree(ident: str) -> None:
    """Kill the process tree of the run ``ident``: the child of this process (ansible-runner
    forks the playbook from here) whose environment carries RUN_MARKER=ident."""
    marker = f"{RUN_MARKER}={ident}".encode()
    for pid in process_tree(os.getpid())[1:]:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in environ:
            kill_tree(pid)
            return


def _purge(settings: Settings, artifacts: Path, ident: str) -> None:
    """Drop this run's artifacts (or keep them without the command/env record) and hold the
    whole work directory under its byte budget, oldest run first."""
    run_dir = artifacts / ident
    if settings.artifacts.keep_per_object <= 0:
        shutil.rmtree(run_dir, ignore_errors=True)
        return
    (run_dir / "command").unlink(missing_ok=True)
    runs = []
    for path in settings.artifacts.work_dir.glob("**/artifacts/*"):
        if path.is_dir():
            size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            runs.append((path.stat().st_mtime, size, path))
    total = sum(size for _, size, _ in runs)
    for _, size, path in sorted(runs):
        if total <= settings.artifacts.max_bytes:
            break
        shutil.rmtree(path, ignore_errors=True)
        total -= size


def safe_path_part(text: str | None) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in (text or "_cluster"))
