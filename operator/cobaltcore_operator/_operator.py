"""Wiring: kopf watches every mapped kind (and the Secrets they name) and hands each event to
the reconciler; probes and metrics are served next to it."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf

from cobaltcore_operator._kube import Kube, client_configuration
from cobaltcore_operator._metrics import Metrics, ProbeServer
from cobaltcore_operator._reconciler import Reconciler
from cobaltcore_operator.settings import KindMapping, Settings

log = logging.getLogger("cobaltcore_operator")


def _plain(value: Any) -> Any:
    """kopf hands out read-only views; runs need plain, detached data."""
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _connection_info(cfg) -> kopf.ConnectionInfo:
    header = cfg.get_api_key_with_prefix("BearerToken") or cfg.get_api_key_with_prefix("authorization")
    scheme, _, token = (header or "").rpartition(" ")
    return kopf.ConnectionInfo(
        server=cfg.host, ca_path=cfg.ssl_ca_cert, insecure=not cfg.verify_ssl,
        scheme=scheme or ("Bearer" if token else None), token=token or None,
        certificate_path=cfg.cert_file, private_key_path=cfg.key_file)


async def operate(settings: Settings, *, stop: asyncio.Event | None = None,
                  ready: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (or SIGTERM/SIGINT when in the main thread)."""
    cfg = client_configuration(settings.kubeconfig)
    kube = Kube(cfg, settings.field_manager)
    metrics = Metrics()
    reconciler = Reconciler(settings, kube, metrics)
    registry = kopf.OperatorRegistry()
    ready = ready or asyncio.Event()
    kopf_ready = asyncio.Event()

    @kopf.on.login(registry=registry)
    def _login(**_):
        # Re-read on every (re)login: a rotated service-account token is picked up.
        return _connection_info(client_configuration(settings.kubeconfig))

    @kopf.on.startup(registry=registry)
    def _configure(settings: kopf.OperatorSettings, **_):
        settings.peering.standalone = True
        settings.posting.level = logging.WARNING
        settings.watching.server_timeout = 600
        settings.watching.client_timeout = 660

    for mapping in settings.mappings:
        _watch(registry, reconciler, mapping)
    if any(m.secrets for m in settings.mappings):
        @kopf.on.event("v1", "secrets", registry=registry)
        async def _secret(event, body, **_):
            await reconciler.on_secret_event(event.get("type"), _plain(body))

    probes = ProbeServer(metrics, ready, settings.probes.host, settings.probes.port)
    if settings.probes.port >= 0:
        await probes.start()
        log.info("probes and metrics on %s:%s", settings.probes.host, probes.bound_port)
    drift = [asyncio.create_task(reconciler.drift_loop(m)) for m in settings.mappings
             if m.drift_check_seconds > 0]

    async def _mark_ready():
        await kopf_ready.wait()
        ready.set()
    marker = asyncio.create_task(_mark_ready())
    try:
        await kopf.operator(registry=registry, standalone=True,
                            clusterwide=not settings.namespaces, namespaces=list(settings.namespaces),
                            ready_flag=kopf_ready, stop_flag=stop)
    finally:
        ready.clear()
        for task in drift + [marker]:
            task.cancel()
        await reconciler.shutdown()
        await probes.stop()
        kube.close()


def _watch(registry: kopf.OperatorRegistry, reconciler: Reconciler, mapping: KindMapping) -> None:
    @kopf.on.event(group=mapping.group, version=mapping.version, plural=mapping.plural,
                   registry=registry, id=f"reconcile-{mapping.id}")
    async def _event(event, body, **_):
        await reconciler.on_object_event(mapping, event.get("type"), _plain(body))
