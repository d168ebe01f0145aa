"""The floor for bench/requests_per_second.py: one route, served by the same gunicorn.

    gunicorn bench.minimal_app:app

Whatever a Pairwise request costs above this is the service's own work (database, templates,
forms, serialisation); what this costs is gunicorn, WSGI, Flask and the load generator.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok() -> str:
    return "ok"
