"""Logs as JSON lines (production) or plain text (development), each with the request id.

The id comes from the request (`X-Request-ID`, or a new one), is answered in the same
header, is stored on the events the request writes, and is set again while a job handles
those events or delivers their webhooks: one id follows a change from the request into
every job it causes.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

from service.web.credentials import CredentialFilter

_request_id: ContextVar[str | None] = ContextVar("pairwise_request_id", default=None)
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
HEADER = "X-Request-ID"


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def request_id_context(value: str | None) -> Iterator[None]:
    """Within a job: log with the id of the request that caused the work."""
    token = _request_id.set(value)
    try:
        yield
    finally:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        return True


def configure(*, production: bool) -> None:
    """Once per process: JSON or text (PAIRWISE_LOG_FORMAT; JSON by default in production)."""
    root = logging.getLogger()
    if getattr(root, "_pairwise_configured", False):
        return
    fmt = os.environ.get("PAIRWISE_LOG_FORMAT") or ("json" if production else "text")
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}{request_id}",
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    handler.addFilter(RequestIdFilter())
    # Survey links and other credentials in URLs never reach the log (werkzeug's request
    # lines in `pairwise run` included).
    handler.addFilter(CredentialFilter())
    root.handlers = [handler]
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
    root._pairwise_configured = True  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    @app.before_request
    def _take_request_id() -> None:
        given = request.headers.get(HEADER, "")
        value = given if _VALID.match(given) else uuid.uuid4().hex
        g.request_id = value
        g._request_id_token = _request_id.set(value)

    @app.after_request
    def _answer_request_id(response):
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response

    @app.teardown_request
    def _forget_request_id(_error: BaseException | None) -> None:
        token = g.pop("_request_id_token", None)
        if token is not None:
            _request_id.reset(token)
