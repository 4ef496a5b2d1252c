"""Test-only callback: where a suite's time goes, one JSON line per task and host.

Enabled by tests/conftest.py when C5C3_TASK_TIMES names a file, for every ansible-playbook the
tests start (run_playbook, molecule, the operator's runs). Each line: playbook, task, action,
host, seconds (task start to result), modules (module processes the task ran there: 0 when
skipped, one per loop item otherwise)."""
from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: c5c3_task_times
type: aggregate
short_description: append per-task timings to the file named by C5C3_TASK_TIMES
description: Test-suite accounting of task durations and module processes.
requirements: [C5C3_TASK_TIMES set]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "c5c3_task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        record = os.environ.get("C5C3_TASK_TIMES")
        # Opened once per run; every line is written under a lock (runs on both workers append).
        self._out = open(record, "a", encoding="utf-8") if record else None  # noqa: SIM115
        self._playbook = ""
        self._started: dict[str, float] = {}
        self._items: dict[tuple[str, str], int] = {}

    def v2_playbook_on_start(self, playbook):
        self._playbook = Path(playbook._file_name).name

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started[task._uuid] = time.monotonic()

    v2_playbook_on_handler_task_start = v2_playbook_on_task_start

    def _item(self, result):
        key = (result._task._uuid, result._host.get_name())
        self._items[key] = self._items.get(key, 0) + 1

    v2_runner_item_on_ok = v2_runner_item_on_failed = _item

    def _done(self, result, ran: bool):
        task, host = result._task, result._host.get_name()
        items = self._items.pop((task._uuid, host), None)
        modules = 0 if not ran else (items if items is not None else 1)
        self._write({
            "playbook": self._playbook, "task": task.get_name(), "action": task.action,
            "host": host, "modules": modules,
            "seconds": round(time.monotonic() - self._started.get(task._uuid, time.monotonic()), 3),
        })

    def v2_runner_on_ok(self, result):
        self._done(result, ran=True)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._done(result, ran=True)

    def v2_runner_on_unreachable(self, result):
        self._done(result, ran=False)

    def v2_runner_on_skipped(self, result):
        # A loop whose every item was skipped ran no module; one with items that ran did.
        self._done(result, ran=bool(self._items.get((result._task._uuid, result._host.get_name()))))

    def _write(self, line: dict) -> None:
        if self._out is None:
            return
        fcntl.flock(self._out, fcntl.LOCK_EX)
        try:
            self._out.write(json.dumps(line) + "\n")
            self._out.flush()
        finally:
            fcntl.flock(self._out, fcntl.LOCK_UN)
