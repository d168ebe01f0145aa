"""How background jobs get an application: built once per worker process, not per job.

Jobs take ids, never objects, and open their own app context, so each job has its
own database session, removed when the job ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

_app: Flask | None = None
# The app factory; `service/__init__.py` names it, so this module needs no import of it.
_factory: Callable[[], Flask] | None = None


def use_factory(factory: Callable[[], Flask]) -> None:
    global _factory
    _factory = factory


def use_app(app: Flask) -> None:
    """Make `app` the one jobs in this process run under (the worker calls this)."""
    global _app
    _app = app


def job_app() -> Flask:
    global _app
    if _app is None:
        if _factory is None:
            raise RuntimeError("no app factory: import the service package first")
        _app = _factory()
    return _app


@contextmanager
def job_context() -> Iterator[None]:
    """A fresh app context, hence a fresh database session, for one job."""
    app = current_app._get_current_object() if has_app_context() else job_app()  # type: ignore[attr-defined]
    with app.app_context():
        yield
