"""The operator's own (synchronous) API calls: status, finalizers, Secrets, Events.

kopf watches; everything the operator writes goes through here, from worker threads, with
optimistic concurrency (resourceVersion preconditions) so that conditions published by roles
while a playbook runs are merged, never overwritten.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import uuid
from pathlib import Path
from typing import Any, Callable

import kubernetes
from kubernetes.client.rest import ApiException

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.k8s_status import (
    merge_conditions, now_rfc3339)
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.kube import read_custom_object
from cobaltcore_operator.settings import KindMapping

log = logging.getLogger(__name__)
_CONFLICT_RETRIES = 8


def secret_fingerprint(secret_type: str | None, data: dict[str, str] | None) -> str:
    """What of a Secret is desired state: its type and data (base64 values, as the API serves
    them), hashed. Metadata changes (labels, ownerReferences) bump resourceVersion but not this,
    so they start no run."""
    doc = json.dumps({"type": secret_type, "data": data or {}}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(doc.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class ObjectRef:
    mapping: KindMapping
    namespace: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.mapping.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


def client_configuration(kubeconfig: Path | None) -> kubernetes.client.Configuration:
    """One Configuration for both kopf's login and our client: a kubeconfig file or in-cluster."""
    cfg = kubernetes.client.Configuration()
    if kubeconfig:
        kubernetes.config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
    else:
        kubernetes.config.load_incluster_config(client_configuration=cfg)
    return cfg


class Kube:
    def __init__(self, cfg: kubernetes.client.Configuration, field_manager: str):
        self.api = kubernetes.client.ApiClient(cfg)
        self.custom = kubernetes.client.CustomObjectsApi(self.api)
        self.core = kubernetes.client.CoreV1Api(self.api)
        self.field_manager = field_manager

    def close(self) -> None:
        self.api.close()

    # -- objects -------------------------------------------------------------------------
    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        m = ref.mapping
        return read_custom_object(self.custom, m.group, m.version, m.plural, ref.name, ref.namespace)

    def _patch(self, ref: ObjectRef, body: Any, *, status: bool) -> dict[str, Any]:
        m = ref.mapping
        if ref.namespace:
            fn = (self.custom.patch_namespaced_custom_object_status if status
                  else self.custom.patch_namespaced_custom_object)
            return fn(m.group, m.version, ref.namespace, m.plural, ref.name, body,
                      field_manager=self.field_manager)
        fn = self.custom.patch_cluster_custom_object_status if status else self.custom.patch_cluster_custom_object
        return fn(m.group, m.version, m.plural, ref.name, body, field_manager=self.field_manager)

    def _read_modify_write(self, ref: ObjectRef, build: Callable[[dict[str, Any]], Any], *,
                           status: bool) -> dict[str, Any] | None:
        """GET, let ``build`` compute a merge patch from the live object, PATCH it with the
        resourceVersion as precondition; on conflict start over. ``build`` may return None
        (nothing to do). Returns the patched object, or None if it is gone or unchanged."""
        for _ in range(_CONFLICT_RETRIES):
            live = self.get(ref)
            if live is None:
                return None
            patch = build(live)
            if patch is None:
                return None
            patch.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
            try:
                return self._patch(ref, patch, status=status)
            except ApiException as exc:
                if exc.status == 404:
                    return None
                if exc.status != 409:
                    raise
        raise RuntimeError(f"{ref}: gave up after {_CONFLICT_RETRIES} conflicting updates")

    def update_status(self, ref: ObjectRef, fields: dict[str, Any],
                      conditions: list[dict[str, Any]] | Callable[[list[dict[str, Any]]], list[dict[str, Any]]] = (),
                      ) -> dict[str, Any] | None:
        """Merge ``fields`` into status (None deletes a field) and ``conditions`` by type.
        ``conditions`` may be a function of the live conditions, decided inside the same
        read-modify-write so it sees what roles published."""
        def build(live):
            patch_status = dict(fields)
            existing = (live.get("status") or {}).get("conditions") or []
            wanted = conditions(existing) if callable(conditions) else conditions
            if wanted:
                merged, _ = merge_conditions(existing, wanted, now_rfc3339())
                patch_status["conditions"] = merged
            return {"status": patch_status}
        return self._read_modify_write(ref, build, status=True)

    def set_finalizer(self, ref: ObjectRef, finalizer: str, present: bool) -> dict[str, Any] | None:
        def build(live):
            current = list(live["metadata"].get("finalizers") or [])
            if (finalizer in current) == present:
                return None
            wanted = current + [finalizer] if present else [f for f in current if f != finalizer]
            return {"metadata": {"finalizers": wanted}}
        return self._read_modify_write(ref, build, status=False)

    # -- secrets -------------------------------------------------------------------------
    def _secret(self, namespace: str, name: str):
        try:
            return self.core.read_namespaced_secret(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def secret_fingerprint(self, namespace: str, name: str) -> str | None:
        secret = self._secret(namespace, name)
        return secret_fingerprint(secret.type, secret.data) if secret else None

    def secret_values(self, namespace: str, names: list[str]) -> list[str]:
        """Decoded values of these Secrets, only ever held in memory to redact them."""
        values = []
        for name in names:
            secret = self._secret(namespace, name)
            for raw in ((secret.data or {}).values() if secret else ()):
                try:
                    values.append(base64.b64decode(raw).decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    continue
            for raw in ((secret.string_data or {}).values() if secret else ()):
                values.append(raw)
        return values

    # -- events --------------------------------------------------------------------------
    def post_event(self, body: dict[str, Any], event_type: str, reason: str, message: str) -> None:
        meta = body["metadata"]
        namespace = meta.get("namespace") or "default"
        now = now_rfc3339()
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{uuid.uuid4().hex[:16]}", "namespace": namespace},
            "involvedObject": {"apiVersion": body["apiVersion"], "kind": body["kind"],
                               "name": meta["name"], "namespace": meta.get("namespace"),
                               "uid": meta["uid"], "resourceVersion": meta.get("resourceVersion")},
            "type": event_type, "reason": reason, "message": message[:1024],
            "source": {"component": self.field_manager},
            "reportingComponent": self.field_manager, "reportingInstance": self.field_manager,
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
        }
        try:
            self.core.create_namespaced_event(namespace, event)
        except ApiException as exc:  # an Event is worth less than the run it reports
            log.warning("could not post Event %s for %s: HTTP %s", reason, meta["name"], exc.status)
