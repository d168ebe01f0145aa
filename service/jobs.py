"""How background jobs get an application: built once per worker process, not per job.

Jobs take ids, never objects, and open their own app context, so each job has its
own database session, removed when the job ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def use_app(app: Flask) -> None:
    """Make `app` the one jobs in this process run under (the worker calls this)."""
    global _app
    _app = app


def job_app() -> Flask:
    global _app
    if _app is None:
        from service import create_app

        _app = create_app()
    return _app


@contextmanager
def job_context() -> Iterator[None]:
    """A fresh app context, hence a fresh database session, for one job."""
    app = current_app._get_current_object() if has_app_context() else job_app()  # type: ignore[attr-defined]
    with app.app_context():
        yield
