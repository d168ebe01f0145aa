"""The Redis connection and the RQ queues the service uses."""

from __future__ import annotations

from flask import Flask, current_app
from redis import ConnectionPool, Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue

from service.config import ConfigError

DEFAULT_QUEUE = "pairwise"


def redis_connection(app: Flask | None = None) -> Redis:
    """One client per app (it holds a connection pool); fails clearly without REDIS_URL."""
    app = app or current_app
    client = app.extensions.get("pairwise.redis")
    if client is None:
        url = app.config.get("REDIS_URL")
        if not url:
            raise ConfigError(
                "REDIS_URL is not set; `pairwise run` starts an embedded Redis, "
                "other commands need REDIS_URL=redis://host:6379/0"
            )
        client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)
        app.extensions["pairwise.redis"] = client
    return client


def redis_probe(app: Flask | None = None) -> Redis:
    """A client of the same Redis that tries once: the app's client retries a lost
    connection for seconds, longer than a readiness probe waits for its answer."""
    app = app or current_app
    client = redis_connection(app)
    made_for, probe = app.extensions.get("pairwise.redis.probe", (None, None))
    if made_for is not client or probe is None:
        pool = client.connection_pool
        settings = {**pool.connection_kwargs, "retry": Retry(NoBackoff(), 0)}
        probe = Redis(
            connection_pool=ConnectionPool(connection_class=pool.connection_class, **settings)
        )
        app.extensions["pairwise.redis.probe"] = (client, probe)
    return probe


def queue_names(app: Flask | None = None) -> list[str]:
    app = app or current_app
    return [app.config["EVENT_QUEUE"], DEFAULT_QUEUE]


def event_queue(connection: Redis | None = None) -> Queue:
    return Queue(current_app.config["EVENT_QUEUE"], connection=connection or redis_connection())
