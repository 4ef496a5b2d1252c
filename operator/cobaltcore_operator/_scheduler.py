"""Per-object run slots with supersession, global and per-kind limits, and retry backoff.

Each object has at most one run in flight. Work submitted while a run is in flight or queued
replaces the queued work (a newer generation supersedes, it never stacks), and identical work
(same target hash and action, and no reconcile request the newest work lacks) is recognised as a
no-op. A failed run is retried with exponential backoff unless newer work arrives first.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any, Awaitable, Callable, Hashable

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Work:
    key: Hashable
    kind: str            # the mapping id, for per-kind limits and metrics
    action: str          # apply | finalize
    target: str          # the desired-state hash (finalize: a marker of the deletion)
    body: dict[str, Any]
    force: bool = False  # drift check: run although the target was applied
    request: str | None = None  # the reconcile request this run handles (see _reconciler)


@dataclasses.dataclass
class _Slot:
    pending: Work | None = None
    current: Work | None = None   # running, or failed and waiting for its retry
    wake: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None
    attempts: int = 0


class Scheduler:
    def __init__(self, *, concurrency: int, per_kind: dict[str, int],
                 perform: Callable[[Work, int], Awaitable[bool]],
                 backoff: float, backoff_max: float,
                 on_queue_change: Callable[[str, int], None] = lambda kind, depth: None):
        self._global = asyncio.Semaphore(concurrency)
        self._kinds = {kind: asyncio.Semaphore(n) for kind, n in per_kind.items()}
        self._perform = perform
        self._backoff, self._backoff_max = backoff, backoff_max
        self._slots: dict[Hashable, _Slot] = {}
        self._waiting: dict[str, int] = {}
        self._on_queue_change = on_queue_change

    def busy(self, key: Hashable) -> bool:
        return key in self._slots

    def target(self, key: Hashable) -> str | None:
        """The hash queued or in flight for this object (the newest one), if any."""
        slot = self._slots.get(key)
        if not slot:
            return None
        work = slot.pending or slot.current
        return work.target if work else None

    def submit(self, work: Work) -> bool:
        """Queue ``work``; False if the same target is already queued or in flight."""
        slot = self._slots.get(work.key)
        if slot is None:
            slot = self._slots[work.key] = _Slot()
        else:
            newest = slot.pending or slot.current
            if newest is not None and newest.target == work.target and newest.action == work.action \
                    and work.request in (None, newest.request):
                if slot.pending is not None:
                    slot.pending.body = work.body  # same desired state, fresher metadata
                return False
        slot.pending = work
        slot.wake.set()
        if slot.task is None or slot.task.done():
            slot.task = asyncio.create_task(self._serve(work.key, slot), name=f"slot {work.key}")
        return True

    def forget(self, key: Hashable) -> None:
        """The object is gone: drop queued work (a run in flight finishes on its own)."""
        slot = self._slots.get(key)
        if slot:
            slot.pending = None
            slot.wake.set()

    async def _acquire(self, work: Work) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        kind_sem = self._kinds.setdefault(work.kind, asyncio.Semaphore(1))
        self._waiting[work.kind] = self._waiting.get(work.kind, 0) + 1
        self._on_queue_change(work.kind, self._waiting[work.kind])
        try:
            await kind_sem.acquire()
            try:
                await self._global.acquire()
            except BaseException:
                kind_sem.release()
                raise
        finally:
            self._waiting[work.kind] -= 1
            self._on_queue_change(work.kind, self._waiting[work.kind])
        return kind_sem, self._global

    async def _serve(self, key: Hashable, slot: _Slot) -> None:
        try:
            while slot.pending is not None:
                work, slot.pending = slot.pending, None
                slot.wake.clear()
                sems = await self._acquire(work)
                try:
                    if slot.pending is not None:  # superseded while it waited for a worker
                        work, slot.pending = slot.pending, None
                    slot.current = work
                    ok = await self._perform(work, slot.attempts)
                except Exception:  # noqa: BLE001 - a bug in one run must not kill the slot
                    log.exception("run for %s crashed", key)
                    ok = False
                finally:
                    for sem in sems:
                        sem.release()
                if ok:
                    slot.attempts, slot.current = 0, None
                    continue
                slot.attempts += 1
                if slot.pending is None:
                    delay = min(self._backoff * 2 ** (slot.attempts - 1), self._backoff_max)
                    try:
                        await asyncio.wait_for(slot.wake.wait(), delay)
                    except asyncio.TimeoutError:
                        slot.pending = work  # retry the same work
                    else:
                        if slot.pending is None:  # forgotten: the object is gone
                            break
                if slot.pending is not None and slot.pending.target != work.target:
                    slot.attempts = 0
                slot.current = None
        finally:
            if self._slots.get(key) is slot:
                del self._slots[key]

    async def shutdown(self) -> None:
        tasks = [s.task for s in self._slots.values() if s.task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
