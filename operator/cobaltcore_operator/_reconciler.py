"""What a watch event means, and what a run writes back.

A CR needs a run only when its desired state changed: the hash of its spec, the fingerprints
(type + data) of the Secrets its mapping names and the mapping itself. That hash is compared with the one the
last clean run applied (kept in status, and in memory to ignore stale events); everything else
(resyncs, status- or metadata-only updates, restarts) is counted as a skipped no-op event.

Two things run an object whose desired state is applied: a drift check (the mapping's interval
after the last run, measured from ``status.lastRun.end`` so an operator restart does not reset
it) and a reconcile request (a new value of the RECONCILE_REQUEST annotation, handled once).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import hashlib
import json
import logging
import threading
import time
from typing import Any, Hashable

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.k8s_status import now_rfc3339 as _now
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.k8s_status import parse_rfc3339
from cobaltcore_operator._kube import Kube, ObjectRef, secret_fingerprint
from cobaltcore_operator._metrics import Metrics
from cobaltcore_operator._runner import Redactor, RunResult, execute, safe_path_part
from cobaltcore_operator._scheduler import Scheduler, Work
from cobaltcore_operator.mappings import secret_names
from cobaltcore_operator.settings import KindMapping, Settings

log = logging.getLogger("cobaltcore_operator")


def desired_hash(mapping: KindMapping, body: dict[str, Any], secret_versions: dict[str, str | None]) -> str:
    doc = {"spec": body.get("spec"), "secrets": secret_versions,
           "mapping": [mapping.playbook, mapping.role, mapping.vars]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":"),
                                     default=str).encode()).hexdigest()


RECONCILING = "Reconciling"
# Any new value (a timestamp, by convention) asks for one run although nothing changed; the value
# of the last clean run that handled one is status.lastHandledReconcileAt.
RECONCILE_REQUEST = "cobaltcore.c5c3.io/reconcile-requested-at"


def unhandled_request(body: dict[str, Any], handled: str | None) -> str | None:
    """The object's reconcile request if no clean run has handled it yet (``handled``: the
    value the last one handled, None to take it from the object's status)."""
    request = ((body.get("metadata") or {}).get("annotations") or {}).get(RECONCILE_REQUEST)
    if handled is None:
        handled = (body.get("status") or {}).get("lastHandledReconcileAt")
    return request if request and request != handled else None


def seconds_since_last_run(body: dict[str, Any], now: datetime.datetime) -> float | None:
    """Age of the object's last run as its status records it (None: no finished run)."""
    ended = parse_rfc3339(((body.get("status") or {}).get("lastRun") or {}).get("end"))
    return None if ended is None else max(0.0, (now - ended).total_seconds())


def success_conditions(live: list[dict[str, Any]], message: str) -> list[dict[str, Any]]:
    """Conditions after a clean run. A role that published its own Ready during the run (its
    reason is no longer the operator's Reconciling) knows better than "the playbook passed":
    e.g. a hypervisor whose smoke test aborted. Only an untouched Ready becomes True."""
    ready = next((c for c in live if c.get("type") == "Ready"), None)
    role_owned = ready is not None and ready.get("reason") != RECONCILING
    done = [{"type": "Progressing", "status": "False", "reason": "Idle", "message": message},
            {"type": "Failed", "status": "False", "reason": "Reconciled", "message": ""}]
    return done if role_owned else [{"type": "Ready", "status": "True", "reason": "Reconciled",
                                     "message": message}] + done


def untrusted(value: Any) -> Any:
    """Mark every string as data Ansible must never template.

    Whoever may create a custom resource would otherwise run Jinja (lookups, pipes) inside the
    operator with its service account: ansible-core templates extra vars it receives. This is
    the JSON form of ``!unsafe`` that ansible-core decodes on the command line."""
    if isinstance(value, str):
        return {"__ansible_unsafe": value}
    if isinstance(value, dict):
        return {k: untrusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [untrusted(v) for v in value]
    return value


def playbook_vars(settings: Settings, mapping: KindMapping, work: Work) -> dict[str, Any]:
    """Extra vars of a run. The spec is passed raw (camelCase, as in the CR) so that map keys
    users chose (labels, config sections) survive; Secrets are passed by name only. Everything
    taken from the object is marked untrusted; the mapping's own vars are the operator's."""
    body = work.body
    meta = body["metadata"]
    extra = dict(mapping.vars if work.action == "apply" else {**mapping.vars, **mapping.finalizer_vars})
    extra["cobaltcore_cr"] = untrusted({
        "api_version": body["apiVersion"], "kind": body["kind"], "name": meta["name"],
        "namespace": meta.get("namespace"), "uid": meta["uid"], "generation": meta.get("generation"),
        "spec": body.get("spec") or {}, "secrets": secret_names(mapping, body), "action": work.action,
        "plural": mapping.plural,
    })
    extra["cobaltcore_kubeconfig"] = str(settings.kubeconfig) if settings.kubeconfig else None
    return extra


class Reconciler:
    def __init__(self, settings: Settings, kube: Kube, metrics: Metrics):
        self.settings, self.kube, self.metrics = settings, kube, metrics
        self.by_id = {m.id: m for m in settings.mappings}
        self.scheduler = Scheduler(
            concurrency=settings.runs.concurrency,
            per_kind={m.id: m.concurrency for m in settings.mappings}, perform=self._perform,
            backoff=settings.runs.backoff_seconds, backoff_max=settings.runs.backoff_max_seconds,
            on_queue_change=lambda kind, depth: metrics.queue_depth.labels(kind).set(depth))
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=settings.runs.concurrency, thread_name_prefix="ansible-run")
        self.applied: dict[Hashable, str] = {}        # key -> hash the last clean run applied
        self.bodies: dict[Hashable, dict[str, Any]] = {}
        self.last_run_at: dict[Hashable, float] = {}  # monotonic clock
        self.handled_requests: dict[Hashable, str] = {}
        self.secret_versions: dict[tuple[str, str], str | None] = {}
        self.secret_dependents: dict[tuple[str, str], set[Hashable]] = {}
        self._cancel = threading.Event()

    @staticmethod
    def key(mapping: KindMapping, body: dict[str, Any]) -> tuple[str, str | None, str]:
        return mapping.id, body["metadata"].get("namespace"), body["metadata"]["name"]

    # -- deciding --------------------------------------------------------------------------
    async def on_object_event(self, mapping: KindMapping, event_type: str | None, body: dict[str, Any]) -> None:
        started = time.perf_counter()
        self.metrics.events.labels(mapping.id).inc()
        queued = await self._evaluate(mapping, event_type, body)
        if not queued:
            self.metrics.skipped.labels(mapping.id).inc()
        self.metrics.handling.labels(mapping.id, "queued" if queued else "noop").observe(
            time.perf_counter() - started)

    async def _evaluate(self, mapping: KindMapping, event_type: str | None, body: dict[str, Any],
                        force: bool = False) -> bool:
        key = self.key(mapping, body)
        meta = body["metadata"]
        if event_type == "DELETED":
            self.scheduler.forget(key)
            for store in (self.applied, self.bodies, self.last_run_at, self.handled_requests):
                store.pop(key, None)
            for dependents in self.secret_dependents.values():
                dependents.discard(key)
            return False
        self.bodies[key] = body
        if key not in self.last_run_at:
            # First sight (a start, or a new object): the drift clock continues from the last
            # run, wherever it ran, and a check that fell due meanwhile runs now.
            age = seconds_since_last_run(body, datetime.datetime.now(datetime.timezone.utc)) or 0.0
            interval = mapping.drift_check_seconds
            overdue = interval > 0 and age >= interval
            self.last_run_at[key] = time.monotonic() - (0.0 if overdue else age)
            force = force or overdue
        ref = ObjectRef(mapping, meta.get("namespace"), meta["name"])
        has_finalizer = self.settings.finalizer in (meta.get("finalizers") or [])
        if meta.get("deletionTimestamp"):
            if not (mapping.finalizer_playbook and has_finalizer):
                return False
            return self.scheduler.submit(Work(key, mapping.id, "finalize", f"finalize:{meta['uid']}", body))
        if mapping.finalizer_playbook and not has_finalizer:
            await asyncio.to_thread(self.kube.set_finalizer, ref, self.settings.finalizer, True)
        versions = await self._secret_versions(mapping, body, key)
        target = desired_hash(mapping, body, versions)
        request = unhandled_request(body, self.handled_requests.get(key))
        work = Work(key, mapping.id, "apply", target, body, force=force, request=request)
        applied = self.applied.get(key) or (body.get("status") or {}).get("appliedHash")
        if self.scheduler.busy(key) or target != applied or force or request:
            return self.scheduler.submit(work)
        return False

    async def _secret_versions(self, mapping: KindMapping, body: dict[str, Any],
                               key: Hashable) -> dict[str, str | None]:
        namespace = body["metadata"].get("namespace")
        versions = {}
        for name in secret_names(mapping, body):
            skey = (namespace, name)
            self.secret_dependents.setdefault(skey, set()).add(key)
            if skey not in self.secret_versions:
                self.secret_versions[skey] = await asyncio.to_thread(self.kube.secret_fingerprint, namespace, name)
            versions[name] = self.secret_versions[skey]
        return versions

    async def on_secret_event(self, event_type: str | None, body: dict[str, Any]) -> None:
        meta = body["metadata"]
        skey = (meta.get("namespace"), meta["name"])
        version = None if event_type == "DELETED" else secret_fingerprint(body.get("type"), body.get("data"))
        known = skey in self.secret_versions
        previous = self.secret_versions.get(skey)
        if not self.secret_dependents.get(skey):
            self.secret_versions.pop(skey, None)  # nobody names it: remember nothing
            return
        self.secret_versions[skey] = version
        if known and previous == version:  # metadata only: a no-op for every dependent
            for mapping_id, *_ in self.secret_dependents[skey]:
                self.metrics.skipped.labels(mapping_id).inc()
            return
        for key in list(self.secret_dependents.get(skey, ())):
            if key in self.bodies:
                await self._evaluate(self.by_id[key[0]], "MODIFIED", self.bodies[key])

    async def drift_loop(self, mapping: KindMapping) -> None:
        """Re-run objects whose last clean run is older than the mapping's drift interval."""
        interval = mapping.drift_check_seconds
        while True:
            await asyncio.sleep(min(interval, 30.0))
            now = time.monotonic()
            for key, body in list(self.bodies.items()):
                if key[0] == mapping.id and not self.scheduler.busy(key) \
                        and now - self.last_run_at.get(key, now) >= interval:
                    self.last_run_at[key] = now  # one drift run per interval, even if it fails
                    await self._evaluate(mapping, "MODIFIED", body, force=True)

    # -- running ---------------------------------------------------------------------------
    async def _perform(self, work: Work, attempt: int) -> bool:
        mapping = self.by_id[work.kind]
        meta = work.body["metadata"]
        ref = ObjectRef(mapping, meta.get("namespace"), meta["name"])
        generation = meta.get("generation")
        secrets = secret_names(mapping, work.body)
        redact = Redactor(await asyncio.to_thread(self.kube.secret_values, ref.namespace, secrets)
                          if secrets and ref.namespace else [])
        what = "finalizer playbook" if work.action == "finalize" else (mapping.playbook or mapping.role)
        started_msg = (f"running {what} for generation {generation}"
                       + (f" (retry {attempt})" if attempt else ""))
        live = await asyncio.to_thread(
            self.kube.update_status, ref,
            {"lastRun": {"start": _now(), "end": None, "result": "Running", "changed": None,
                         "action": work.action, "generation": generation},
             "progress": None},
            [{"type": "Progressing", "status": "True", "reason": "Running", "message": started_msg},
             {"type": "Ready", "status": "False", "reason": RECONCILING, "message": started_msg}])
        if live is None:
            return True  # the object is gone
        await asyncio.to_thread(self.kube.post_event, work.body, "Normal", "RunStarted", started_msg)
        self.metrics.running.labels(mapping.id).inc()
        private_dir = (self.settings.artifacts.work_dir / safe_path_part(mapping.id)
                       / safe_path_part(ref.namespace) / safe_path_part(ref.name))
        ident = f"{work.action}-g{generation}-{time.time_ns()}"
        reporter = self._progress_reporter(ref, generation)
        run_started = time.monotonic()
        try:
            result: RunResult = await asyncio.get_running_loop().run_in_executor(
                self.executor, execute, self.settings, mapping, work.action,
                playbook_vars(self.settings, mapping, work), private_dir, ident, redact,
                reporter, self._cancel)
        finally:
            reporter(None, None)
            self.metrics.running.labels(mapping.id).dec()
        self.metrics.runs.labels(mapping.id, work.action, "succeeded" if result.ok else "failed").inc()
        self.metrics.duration.labels(mapping.id, work.action).observe(time.monotonic() - run_started)
        if result.ok and work.action == "finalize":
            await asyncio.to_thread(self.kube.post_event, work.body, "Normal", "RunSucceeded",
                                    "finalizer playbook succeeded; releasing the object")
            await asyncio.to_thread(self.kube.set_finalizer, ref, self.settings.finalizer, False)
            log.info("%s: finalizer playbook succeeded, finalizer removed", ref)
            return True
        last_run = {"start": result.started, "end": result.ended,
                    "result": "Succeeded" if result.ok else "Failed", "changed": result.changed,
                    "action": work.action, "generation": generation}
        if result.ok:
            message = f"{what} applied generation {generation} (changed={result.changed})"
            applied = {"appliedHash": work.target, "observedGeneration": generation, "lastRun": last_run,
                       "progress": None}
            if work.request:
                applied["lastHandledReconcileAt"] = work.request
                message += f", reconcile request {work.request}"
            await asyncio.to_thread(
                self.kube.update_status, ref, applied, lambda live: success_conditions(live, message))
            self.applied[work.key] = work.target
            if work.request:
                self.handled_requests[work.key] = work.request
            self.last_run_at[work.key] = time.monotonic()
            await asyncio.to_thread(self.kube.post_event, work.body, "Normal", "RunSucceeded", message)
            log.info("%s: %s", ref, message)
            return True
        reason = {"timeout": "Timeout", "canceled": "Canceled"}.get(
            result.status, "FinalizerFailed" if work.action == "finalize" else "TaskFailed")
        message = redact(result.message)
        retry_in = min(self.settings.runs.backoff_seconds * 2 ** attempt, self.settings.runs.backoff_max_seconds)
        await asyncio.to_thread(
            self.kube.update_status, ref,
            {"observedGeneration": generation, "lastRun": last_run, "progress": None},
            [{"type": "Failed", "status": "True", "reason": reason, "message": message},
             {"type": "Ready", "status": "False", "reason": reason, "message": message},
             {"type": "Progressing", "status": "True", "reason": "RetryScheduled",
              "message": f"retrying in {retry_in:g}s unless the object changes first"}])
        await asyncio.to_thread(self.kube.post_event, work.body, "Warning", "RunFailed", message)
        log.warning("%s: %s run failed: %s", ref, work.action, message)
        return False

    def _progress_reporter(self, ref: ObjectRef, generation: int | None):
        """Publish the current play/task from the runner thread: at most one patch per interval,
        and the latest task always lands (trailing edge), so a long task is never hidden behind
        the short one before it."""
        interval = self.settings.runs.progress_interval_seconds
        state = {"latest": None, "published": None, "last": 0.0, "timer": None}
        lock = threading.Lock()

        def publish() -> None:
            with lock:
                state["timer"] = None
                latest = state["latest"]
                if latest is None or latest == state["published"]:
                    return
                state["published"], state["last"] = latest, time.monotonic()
            play, task = latest
            try:
                self.kube.update_status(ref, {"progress": {"play": play, "task": task,
                                                           "generation": generation}})
            except Exception as exc:  # noqa: BLE001 - progress is best effort
                log.debug("%s: progress not published: %s", ref, exc)

        def report(play: str | None, task: str | None) -> None:
            if play is None:  # the run ended: no late publication after the final status
                with lock:
                    state["latest"] = None
                    if state["timer"]:
                        state["timer"].cancel()
                return
            with lock:
                state["latest"] = (play, task)
                wait = state["last"] + interval - time.monotonic()
                if wait > 0:
                    if state["timer"] is None:
                        state["timer"] = threading.Timer(wait, publish)
                        state["timer"].daemon = True
                        state["timer"].start()
                    return
            publish()
        return report

    async def shutdown(self) -> None:
        self._cancel.set()
        await self.scheduler.shutdown()
        self.executor.shutdown(wait=True, cancel_futures=True)
