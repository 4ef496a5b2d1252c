"""Stand in for an operator's status writes, for tests only.

The lab runs no mariadb-operator, RabbitMQ operators or memcached operator, so nothing would ever
set their custom resources Ready. These helpers patch the status subresource the way the operator
would, so the roles' wait path is exercised against the real apiserver. The name says what it is:
never use this outside tests.
"""
from __future__ import annotations

import json
import threading
import time


def mark_ready_for_test(kube, namespace: str, resource: str, name: str, condition: str = "Ready",
                        extra_status: dict | None = None) -> None:
    """Set ``condition``=True on ``resource``/``name`` (e.g. ``grants.k8s.mariadb.com``)."""
    status = {"conditions": [{"type": condition, "status": "True", "reason": "MarkedReadyForTest",
                              "message": "set by tests/helpers/readiness.py",
                              "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]}
    status.update(extra_status or {})
    kube.kubectl("-n", namespace, "patch", resource, name, "--subresource=status", "--type=merge",
                 "-p", json.dumps({"status": status}))


class ReadyMarker(threading.Thread):
    """Marks each (resource, name, condition, extra_status) Ready as soon as it exists, in list
    order (the order the playbook creates them), until all are marked or ``stop()`` is called.
    Runs beside a playbook that waits for them."""

    def __init__(self, kube, namespace: str, objects: list[tuple], poll: float = 0.5):
        super().__init__(daemon=True)
        self.kube, self.namespace, self.poll = kube, namespace, poll
        self.pending = list(objects)
        self.marked: list[tuple] = []
        self.error: Exception | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            self._mark_until_done()
        except Exception as exc:  # noqa: BLE001 - handed to the test by stop()
            self.error = exc

    def _mark_until_done(self) -> None:
        # In list order, one read per poll while nothing new exists. The playbook creates every
        # object before it waits for any, so the order never stalls the marking.
        while self.pending and not self._halt.is_set():
            resource, name = self.pending[0][0], self.pending[0][1]
            if self.kube.get(self.namespace, resource, name) is not None:
                obj = self.pending.pop(0)
                mark_ready_for_test(self.kube, self.namespace, *obj)
                self.marked.append(obj)
                continue
            self._halt.wait(self.poll)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=30)
        if self.error is not None:
            raise self.error
