"""Every page carries the browser security headers: a Content-Security-Policy without
'unsafe-inline' that forbids framing, nosniff, and a Referrer-Policy that keeps a survey
link's token at home. The walk covers every GET route of the app, from its URL map."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask

from service.database import db
from service.notes.models import Note
from service.webhooks.models import Delivery
from tests.helpers import CALM_MENTEE_CHECKIN, SurveyTaker, invite


@pytest.fixture
def walk(app: Flask, api, admin_api, world, make_staff, console_as):
    """A signed-in admin, and a value for every argument of every GET route: a pair with a
    note and a survey response, a live survey link, a webhook endpoint with a delivery."""
    pair = world.drive_to("active")
    answered = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])["url"]
    assert SurveyTaker(app.test_client(), answered).submit(CALM_MENTEE_CHECKIN).status_code == 303
    live = invite(api, "checkin_mentor", pair["mentor_id"], pair["id"])["url"]
    admin = make_staff("admin")
    console = console_as(admin)
    note = console.post(f"/console/pairs/{pair['id']}/notes", {"body": "Called the mentor."})
    assert note.status_code == 302
    endpoint = admin_api.ok("post", "/webhooks", {"url": "https://93.184.216.34/hooks"})
    with app.app_context():
        delivery = Delivery(endpoint_id=endpoint["id"], event_id="evt_1", event_type="pair.created")
        db.session.add(delivery)
        db.session.commit()
        delivery_id = delivery.id
        note_id = db.session.scalar(sa.select(Note.id))
    (response,) = api.ok("get", f"/pairs/{pair['id']}/responses")["items"]
    values = {
        "pair_id": pair["id"],
        "user_id": admin.id,
        "note_id": note_id,
        "response_id": response["id"],
        "program_id": world.program["id"],
        "participant_id": pair["mentee_id"],
        "endpoint_id": endpoint["id"],
        "delivery_id": delivery_id,
        "token": live.rsplit("/s/", 1)[1],
        "key": "checkin_mentee",
        "version_id": 1,
        "invitation_id": 1,
        "proposal_id": 1,
        "event_id": 1,
        "source_id": 1,
        "token_id": 1,
        "group_checkin_id": 1,
        "slug": "not-found",
        "filename": "pairwise.css",
        "fmt": "csv",
        "job_id": "no-such-job",
    }
    return console, values


def _get_routes(app: Flask) -> list:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
        key=lambda rule: rule.rule,
    )


def _url(rule, values: dict) -> str:
    missing = set(rule.arguments) - values.keys()
    assert not missing, f"give the walk a value for {missing} ({rule.rule})"
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


def _is_page(rule) -> bool:
    return rule.rule.startswith(("/console", "/s/", "/choose/")) or rule.rule == "/"


def test_every_console_and_survey_page_carries_the_security_headers(app, walk):
    console, values = walk
    pages = [rule for rule in _get_routes(app) if _is_page(rule)]
    assert {"surveys.show", "surveys.received", "choice.show", "pairs_console.show"} <= {
        r.endpoint for r in pages
    }

    for rule in pages:
        url = _url(rule, values)
        response = console.get(url)
        assert response.status_code < 500, url
        headers = response.headers
        if "/export." in rule.rule:  # a list downloaded as a file, under the same headers
            assert response.mimetype == "text/csv", url
            assert headers["Content-Disposition"].startswith("attachment;"), url
        elif rule.rule.endswith("/report.pdf"):  # the funder report, a PDF to save
            assert response.mimetype == "application/pdf", url
            assert headers["Content-Disposition"].startswith("attachment;"), url
        elif rule.rule.endswith("/warehouse-export.zip"):  # the tables, to load elsewhere
            assert response.mimetype == "application/zip", url
            assert headers["Content-Disposition"].startswith("attachment;"), url
        else:
            assert response.mimetype == "text/html", url
        policy = headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in policy, url
        assert "default-src 'self'" in policy, url
        assert "unsafe-inline" not in policy, url
        assert "unsafe-eval" not in policy, url
        assert headers.get("X-Frame-Options") == "DENY", url
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        # A page whose URL is a credential (a survey link, a password or invitation link)
        # sends no Referer at all.
        credential = "<credential:" in rule.rule
        expected = "no-referrer" if credential else "strict-origin-when-cross-origin"
        assert headers.get("Referrer-Policy") == expected, url
        # Plain HTTP in a test: no HSTS, and no redirect to HTTPS either.
        assert "Strict-Transport-Security" not in headers, url


def test_every_other_get_route_says_nosniff_json_included(app, walk):
    console, values = walk
    for rule in _get_routes(app):
        if _is_page(rule):
            continue
        url = _url(rule, values)
        response = console.get(url)
        assert response.headers.get("X-Content-Type-Options") == "nosniff", url
        assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", ""), url


def test_the_pair_page_with_its_transition_forms_forbids_framing(
    api, world, make_staff, console_as
):
    pair = world.drive_to("active")
    console = console_as(make_staff("admin"))

    response = console.get(f"/console/pairs/{pair['id']}")

    assert 'action="/console/pairs/{}/transition"'.format(pair["id"]) in response.get_data(
        as_text=True
    )
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_survey_form_styles_itself_with_the_nonce_of_its_policy(api, world, client):
    pair = world.drive_to("active")
    url = invite(api, "checkin_mentee", pair["mentee_id"], pair["id"])["url"]

    response = SurveyTaker(client, url).open()

    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in response.get_data(as_text=True)
    assert "style=" not in response.get_data(as_text=True)


def test_production_sends_hsts_over_https_and_redirects_only_when_asked(tmp_path, monkeypatch):
    import secrets

    from cryptography.fernet import Fernet

    from service import create_app

    monkeypatch.setenv("PAIRWISE_INSTANCE_PATH", str(tmp_path))
    base = {
        "PAIRWISE_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
    }
    app = create_app({**base, "FORCE_HTTPS": False})

    over_https = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    over_http = app.test_client().get("/healthz")

    assert over_https.headers["Strict-Transport-Security"].startswith("max-age=")
    assert over_http.status_code == 200  # a probe over plain HTTP is answered, not redirected
    forced = create_app({**base, "FORCE_HTTPS": True}).test_client().get("/healthz")
    assert forced.status_code == 302
    assert forced.headers["Location"].startswith("https://")
