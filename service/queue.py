"""The Redis connection and the RQ queues the service uses."""

from __future__ import annotations

from flask import Flask, current_app
from redis import Redis
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


def queue_names(app: Flask | None = None) -> list[str]:
    app = app or current_app
    return [app.config["EVENT_QUEUE"], DEFAULT_QUEUE]


def event_queue(connection: Redis | None = None) -> Queue:
    return Queue(current_app.config["EVENT_QUEUE"], connection=connection or redis_connection())
