"""Prometheus metrics at `/metrics`, correct under several gunicorn processes.

Request latency is recorded in each process (multiprocess mode when
PROMETHEUS_MULTIPROC_DIR is set, as in the image). What is true of the whole deployment -
queue depths, failed jobs, webhook deliveries by outcome, pairs per state - is read at
scrape time from Redis and the database (at most every 15 s per process), so every
process reports the same, whichever one is scraped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from rq import Queue
from rq.registry import FailedJobRegistry

from service.database import db
from service.pairs.models import Pair
from service.queue import queue_names, redis_connection
from service.webhooks.models import Delivery
from workflows.pairing import State

blueprint = Blueprint("metrics", __name__)

REQUEST_LATENCY = Histogram(
    "pairwise_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CACHE_SECONDS = 15.0


class ServiceCollector(Collector):
    """Gauges read from Redis and the database, cached briefly."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._cached: tuple[float, list[GaugeMetricFamily]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        moment = time.monotonic()
        if self._cached is None or moment - self._cached[0] > CACHE_SECONDS:
            self._cached = (moment, self._read())
        yield from self._cached[1]

    def _read(self) -> list[GaugeMetricFamily]:
        families = []
        with self.app.app_context():
            depth = GaugeMetricFamily("pairwise_queue_depth", "Jobs waiting.", labels=["queue"])
            failed = GaugeMetricFamily(
                "pairwise_jobs_failed", "Jobs in RQ's failed registry.", labels=["queue"]
            )
            try:
                connection = redis_connection()
                for name in queue_names():
                    queue = Queue(name, connection=connection)
                    depth.add_metric([name], len(queue))
                    failed.add_metric([name], FailedJobRegistry(queue=queue).count)
            except Exception:
                pass
            families += [depth, failed]
            pairs = GaugeMetricFamily("pairwise_pairs", "Pairs in each state.", labels=["state"])
            deliveries = GaugeMetricFamily(
                "pairwise_webhook_deliveries",
                "Webhook deliveries by outcome (pending, sending, delivered, failed).",
                labels=["status"],
            )
            try:
                counts = dict(
                    db.session.execute(
                        sa.select(Pair.state, sa.func.count()).group_by(Pair.state)
                    ).all()
                )
                for state in State:
                    pairs.add_metric([state.value], counts.get(state.value, 0))
                for status, count in db.session.execute(
                    sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)
                ).all():
                    deliveries.add_metric([status], count)
            except Exception:
                db.session.rollback()
            finally:
                db.session.remove()
            families += [pairs, deliveries]
        return families


def _registry(app: Flask) -> CollectorRegistry:
    registry = app.extensions.get("pairwise.metrics")
    if registry is None:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Only under gunicorn with several processes: the module reads that directory.
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            from prometheus_client import REGISTRY

            registry = CollectorRegistry()
            registry.register(_Forward(REGISTRY))
        registry.register(ServiceCollector(app))
        app.extensions["pairwise.metrics"] = registry
    return registry


class _Forward(Collector):
    """The process's default registry (request latency), inside our own."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self):
        yield from self.source.collect()


@blueprint.get("/metrics")
def metrics():
    return Response(generate_latest(_registry(current_app)), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)

    @app.before_request
    def _start_timer() -> None:
        g._started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("_started", None)
        if started is not None and request.endpoint not in ("metrics.metrics", "static"):
            REQUEST_LATENCY.labels(
                request.method, request.endpoint or "unmatched", str(response.status_code)
            ).observe(time.perf_counter() - started)
        return response
