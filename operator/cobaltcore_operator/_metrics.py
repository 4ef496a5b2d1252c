"""Prometheus metrics and the /healthz, /readyz, /metrics endpoint."""
from __future__ import annotations

import asyncio
import time

import prometheus_client as prom
from aiohttp import web


class Metrics:
    def __init__(self) -> None:
        self.registry = prom.CollectorRegistry()
        r = self.registry
        self.runs = prom.Counter("cobaltcore_operator_runs", "Playbook runs finished",
                                 ["kind", "action", "result"], registry=r)
        self.duration = prom.Histogram("cobaltcore_operator_run_duration_seconds",
                                       "Wall time of playbook runs", ["kind", "action"], registry=r,
                                       buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800))
        self.queue_depth = prom.Gauge("cobaltcore_operator_queue_depth",
                                      "Runs waiting for a free worker", ["kind"], registry=r)
        self.running = prom.Gauge("cobaltcore_operator_runs_in_flight", "Runs in flight",
                                  ["kind"], registry=r)
        self.events = prom.Counter("cobaltcore_operator_watch_events", "Watch events handled",
                                   ["kind"], registry=r)
        self.skipped = prom.Counter("cobaltcore_operator_skipped_noop_events",
                                    "Watch events that started no run: desired state unchanged",
                                    ["kind"], registry=r)
        self.handling = prom.Histogram("cobaltcore_operator_event_handling_seconds",
                                       "Time to decide what a watch event means", ["kind", "outcome"],
                                       registry=r, buckets=(.0001, .00025, .0005, .001, .0025, .005,
                                                            .01, .025, .05, .1, .25, .5, 1))


class ProbeServer:
    """Liveness answers while the event loop turns; readiness once kopf watches and the
    scheduler is up."""

    def __init__(self, metrics: Metrics, ready: asyncio.Event, host: str, port: int):
        self.metrics, self.ready, self.host, self.port = metrics, ready, host, port
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.bound_port = site._server.sockets[0].getsockname()[1]  # port 0 picks one

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _healthz(self, _request):
        started = time.monotonic()
        await asyncio.sleep(0)
        return web.json_response({"status": "ok", "loopLagSeconds": time.monotonic() - started})

    async def _readyz(self, _request):
        if self.ready.is_set():
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "starting"}, status=503)

    async def _metrics(self, _request):
        return web.Response(body=prom.generate_latest(self.metrics.registry),
                            headers={"Content-Type": prom.CONTENT_TYPE_LATEST})
