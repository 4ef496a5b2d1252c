"""Pure logic of the operator: condition merging, the mapping schema, hashing, redaction, and
the scheduler's supersession, de-duplication, limits and backoff."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.k8s_status import merge_conditions, true_for_generation
from cobaltcore_operator import KindMapping, MappingError, load_mappings
from cobaltcore_operator._reconciler import (
    RECONCILE_REQUEST, desired_hash, seconds_since_last_run, unhandled_request)
from cobaltcore_operator._runner import Redactor
from cobaltcore_operator._scheduler import Scheduler, Work

REPO = Path(__file__).resolve().parents[3]


def test_merge_keeps_other_types_and_transition_time():
    existing = [{"type": "KeystoneReady", "status": "True", "reason": "Up", "message": "",
                 "lastTransitionTime": "2020-01-01T00:00:00Z"},
                {"type": "Ready", "status": "False", "reason": "Reconciling", "message": "a",
                 "lastTransitionTime": "2020-01-01T00:00:00Z"}]
    merged, changed = merge_conditions(existing, [{"type": "Ready", "status": "False",
                                                   "reason": "Reconciling", "message": "b"}], "NOW")
    assert changed and merged[0] == existing[0]
    assert merged[1]["message"] == "b" and merged[1]["lastTransitionTime"] == "2020-01-01T00:00:00Z"
    merged, changed = merge_conditions(merged, [{"type": "Ready", "status": "True"}], "NOW")
    assert changed and merged[1]["lastTransitionTime"] == "NOW" and merged[1]["reason"] == "Ready"
    again, changed = merge_conditions(merged, [{"type": "Ready", "status": "True"}], "LATER")
    assert not changed and again == merged


def test_merge_rejects_invalid_status():
    with pytest.raises(ValueError, match="status must be one of"):
        merge_conditions([], [{"type": "Ready", "status": "yes"}])


def _write(tmp_path, text):
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return path


def test_mapping_schema(tmp_path):
    (tmp_path / "p.yml").write_text("---\n")
    good = _write(tmp_path, "kinds:\n- {apiVersion: a.io/v1, kind: A, plural: as, playbook: p.yml,"
                            " secrets: ['{name}-x', spec.ref.name], finalizer: {playbook: p.yml}}\n")
    (m,) = load_mappings(good, tmp_path)
    assert (m.group, m.version, m.finalizer_playbook, m.drift_check_seconds) == ("a.io", "v1", "p.yml", 0.0)
    for bad, message in [
        ("kinds:\n- {apiVersion: a.io/v1, kind: A, plural: as}\n", "exactly one of"),
        ("kinds:\n- {apiVersion: a.io/v1, kind: A, plural: as, playbook: nope.yml}\n", "not found"),
        ("kinds:\n- {apiVersion: a.io/v1, kind: A, plural: as, playbook: p.yml, typo: 1}\n", "unknown keys"),
        ("kinds:\n- {apiVersion: a.io/v1, kind: A, plural: as, playbook: p.yml}\n"
         "- {apiVersion: a.io/v1, kind: A, plural: as, playbook: p.yml}\n", "mapped twice"),
    ]:
        with pytest.raises(MappingError, match=message):
            load_mappings(_write(tmp_path, bad), tmp_path)


def test_shipped_mapping_loads():
    load_mappings(REPO / "operator" / "mappings.yaml", REPO)


def test_hash_follows_spec_and_secrets_only():
    m = KindMapping("a.io", "v1", "A", "as", playbook="p.yml")
    body = {"metadata": {"name": "x", "labels": {"a": "b"}}, "spec": {"size": 1}, "status": {"n": 1}}
    h = desired_hash(m, body, {"s": "1"})
    touched = {"metadata": {"name": "x", "labels": {"c": "d"}}, "spec": {"size": 1}, "status": {"n": 2}}
    assert desired_hash(m, touched, {"s": "1"}) == h
    assert desired_hash(m, {**body, "spec": {"size": 2}}, {"s": "1"}) != h
    assert desired_hash(m, body, {"s": "2"}) != h


def test_true_for_generation_ignores_a_condition_of_an_older_generation():
    def obj(generation, observed, status="True", ctype="Ready"):
        return {"metadata": {"generation": generation},
                "status": {"observedGeneration": observed, "conditions": [{"type": ctype, "status": status}]}}
    assert true_for_generation(obj(2, 2))
    assert not true_for_generation(obj(2, 1))
    assert not true_for_generation(obj(2, 2, status="False"))
    assert not true_for_generation(obj(2, 2, ctype="Other"))
    assert true_for_generation(obj(2, 2, ctype="Other"), "Other")
    assert not true_for_generation(None) and not true_for_generation({"metadata": {"generation": 1}})


def test_reconcile_request_is_pending_until_a_clean_run_handled_it():
    def body(request=None, handled=None):
        annotations = {RECONCILE_REQUEST: request} if request else {}
        status = {"lastHandledReconcileAt": handled} if handled else {}
        return {"metadata": {"name": "x", "annotations": annotations}, "status": status}
    assert unhandled_request(body(), None) is None
    assert unhandled_request(body("t1"), None) == "t1"
    assert unhandled_request(body("t1", handled="t1"), None) is None
    assert unhandled_request(body("t2", handled="t1"), None) == "t2"
    # What the operator handled itself wins over a status event older than its write.
    assert unhandled_request(body("t2", handled="t1"), "t2") is None
    # A request is not desired state: it never changes the applied hash.
    m = KindMapping("a.io", "v1", "A", "as", playbook="p.yml")
    assert desired_hash(m, body("t1"), {}) == desired_hash(m, body(), {})


def test_last_run_age_comes_from_status():
    import datetime
    now = datetime.datetime(2026, 11, 22, 12, 0, 0, tzinfo=datetime.timezone.utc)
    ended = {"status": {"lastRun": {"end": "2026-11-22T11:30:00Z"}}}
    assert seconds_since_last_run(ended, now) == 1800
    assert seconds_since_last_run({"status": {"lastRun": {"end": None, "result": "Running"}}}, now) is None
    assert seconds_since_last_run({}, now) is None
    assert seconds_since_last_run({"status": {"lastRun": {"end": "garbage"}}}, now) is None
    # A clock behind the writer's never makes the age negative.
    assert seconds_since_last_run({"status": {"lastRun": {"end": "2026-11-22T12:00:05Z"}}}, now) == 0


def test_redactor_replaces_secret_and_its_base64():
    redact = Redactor(["hunter22", "ab"])
    assert redact("pw hunter22 / aHVudGVyMjI= / ab") == "pw ******** / ******** / ab"


def _work(key, target, action="apply", request=None):
    return Work(key=key, kind="k", action=action, target=target, body={}, request=request)


def test_scheduler_queues_a_reconcile_request_behind_a_run_that_started_before_it():
    async def scenario():
        done, gate = [], asyncio.Event()

        async def perform(work, attempt):
            await gate.wait()
            done.append((work.target, work.request))
            return True
        s = Scheduler(concurrency=2, per_kind={"k": 1}, perform=perform, backoff=0.01, backoff_max=0.01)
        assert s.submit(_work("o", "g1"))
        await asyncio.sleep(0.01)                           # g1 is in flight, it predates the request
        assert s.submit(_work("o", "g1", request="t1"))     # so the request needs a run of its own
        assert not s.submit(_work("o", "g1", request="t1"))  # once
        assert not s.submit(_work("o", "g1"))                # and plain events ride along
        gate.set()
        while s.busy("o"):
            await asyncio.sleep(0.01)
        return done
    assert asyncio.run(scenario()) == [("g1", None), ("g1", "t1")]


def test_scheduler_supersedes_and_deduplicates():
    async def scenario():
        done, gate = [], asyncio.Event()

        async def perform(work, attempt):
            await gate.wait()
            done.append(work.target)
            return True
        s = Scheduler(concurrency=2, per_kind={"k": 1}, perform=perform, backoff=0.01, backoff_max=0.01)
        assert s.submit(_work("o", "g1"))
        await asyncio.sleep(0.01)              # g1 is in flight
        assert not s.submit(_work("o", "g1"))  # the same desired state: a no-op
        assert s.submit(_work("o", "g2"))
        assert s.submit(_work("o", "g3"))      # replaces g2, never stacks
        assert s.target("o") == "g3"
        gate.set()
        while s.busy("o"):
            await asyncio.sleep(0.01)
        return done
    assert asyncio.run(scenario()) == ["g1", "g3"]


def test_scheduler_retries_with_backoff_until_success_and_limits_kind():
    async def scenario():
        attempts, in_flight, peak = [], [0], [0]

        async def perform(work, attempt):
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            await asyncio.sleep(0.01)
            in_flight[0] -= 1
            attempts.append((work.key, attempt))
            return not (work.key == "a" and attempt < 2)
        s = Scheduler(concurrency=4, per_kind={"k": 1}, perform=perform, backoff=0.01, backoff_max=0.02)
        for key in ("a", "b", "c"):
            s.submit(_work(key, "g1"))
        while any(s.busy(k) for k in "abc"):
            await asyncio.sleep(0.01)
        return attempts, peak[0]
    attempts, peak = asyncio.run(scenario())
    assert [a for k, a in attempts if k == "a"] == [0, 1, 2]
    assert peak == 1  # per-kind concurrency 1 holds although the global cap is 4


def test_a_ready_published_by_the_role_wins_over_a_clean_run():
    from cobaltcore_operator._reconciler import RECONCILING, success_conditions

    untouched = [{"type": "Ready", "status": "False", "reason": RECONCILING, "message": "running"}]
    got = {c["type"]: c for c in success_conditions(untouched, "applied")}
    assert got["Ready"]["status"] == "True" and got["Failed"]["status"] == "False"

    aborted = [{"type": "Ready", "status": "False", "reason": "Aborted", "message": "smoke test failed"}]
    got = {c["type"]: c for c in success_conditions(aborted, "applied")}
    assert "Ready" not in got  # left as the role published it
    assert got["Progressing"]["status"] == "False"

    assert {c["type"] for c in success_conditions([], "applied")} == {"Ready", "Progressing", "Failed"}
