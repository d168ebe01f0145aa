"""Pairwise: every mentor/mentee pair of a mentoring program on a persisted state machine."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from service import api, encryption, jobs, models, problems, reactions  # noqa: F401  (models: every table, for Alembic)
from service import config as settings
from service.accounts import staff_views
from service.accounts import views as account_views
from service.approvals import views as approval_views
from service.choice import views as choice_views
from service.console import views as console_views
from service.database import db
from service.imports import views as import_views
from service.inbound import views as inbound_views
from service.insights import views as insights_views
from service.intake import views as intake_views
from service.matching import views as matching_views
from service.observability import health, logs, metrics
from service.pairs import views as pair_views
from service.participants import views as participant_views
from service.programs import views as program_views
from service.surveys import adapt_views as survey_console_views
from service.surveys import views as survey_views
from service.tokens import views as token_views
from service.web import credentials, limits, security, views
from service.web.csrf import csrf
from service.web.staff import login_manager
from service.webhooks import views as webhook_views

MIGRATIONS_DIRECTORY = str(Path(__file__).parent / "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    instance_path = os.environ.get("PAIRWISE_INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path)
    app.config.from_mapping(settings.load(Path(app.instance_path), config))
    # Problem documents read best as type, title, status, detail: keep insertion order.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    logs.configure(production=app.config["PAIRWISE_ENV"] == "production")
    # Per-transition and per-plugin chatter; our own records say what happened.
    for noisy in ("transitions", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    encryption.init_app(app)
    credentials.init_app(app)
    security.init_app(app)
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    Migrate(app, db, directory=MIGRATIONS_DIRECTORY, compare_type=True)
    logs.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(health.blueprint)
    api.init_app(app)
    # After the API: its HTTP error handler gives way to the one that answers with problems.
    problems.init_app(app)
    app.register_blueprint(views.blueprint)
    app.register_blueprint(survey_views.blueprint)
    app.register_blueprint(choice_views.blueprint)
    for console in (
        account_views,
        console_views,
        pair_views,
        approval_views,
        program_views,
        matching_views,
        insights_views,
        participant_views,
        intake_views,
        import_views,
        survey_console_views,
        webhook_views,
        inbound_views,
        staff_views,
        token_views,
    ):
        app.register_blueprint(console.blueprint)
    limits.init_app(app)
    credentials.learn(app.url_map)
    reactions.wire()
    if proxies := app.config["TRUSTED_PROXIES"]:
        # Behind N proxies, the client is the address the N-th from the end of
        # X-Forwarded-For names; with none trusted, that header is ignored (it is the client's).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    return app


# Jobs build their app with this factory when no worker gave them one.
jobs.use_factory(create_app)
