"""Admins manage webhooks in the console: register, read the log, redeliver."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from service.database import db
from service.webhooks.models import Endpoint


def _endpoint_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Endpoint.id))


def test_an_admin_registers_an_endpoint_and_sees_its_secret(
    app, make_staff, console_as, receiver, webhook_settings
):
    admin = console_as(make_staff("admin"))

    response = admin.post(
        "/console/webhooks",
        data={"url": receiver.url, "description": "CRM", "event_types": ["pair.closed"]},
    )

    endpoint_id = _endpoint_id(app)
    assert response.headers["Location"] == f"/console/webhooks/{endpoint_id}"
    page = admin.page(f"/console/webhooks/{endpoint_id}")
    assert re.search(r"<code>whsec_[A-Za-z0-9+/=]+</code>", page)
    with app.app_context():
        endpoint = db.session.get(Endpoint, endpoint_id)
        assert endpoint.event_types == ["pair.closed"]
        assert endpoint.owner_user_id is not None


def test_a_refused_url_is_explained_on_the_page(app, make_staff, console_as):
    admin = console_as(make_staff("admin"))

    admin.post("/console/webhooks", data={"url": "http://169.254.169.254/latest"})

    assert "a cloud metadata address" in html.unescape(admin.flashes())
    assert _endpoint_id(app) is None


def test_coordinators_cannot_manage_webhooks(make_staff, console_as):
    assert console_as(make_staff("coordinator")).get("/console/webhooks").status_code == 403


def test_the_delivery_log_shows_each_attempt_and_a_failed_one_is_sent_again(
    app, api, world, make_staff, console_as, receiver, webhook_settings, drain, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", [])
    endpoint = api.ok(
        "post", "/webhooks", {"url": receiver.url, "event_types": ["pair.created"]}, status=201
    )
    receiver.answer(500)
    world.new_pair()
    drain()
    admin = console_as(make_staff("admin"))
    (delivery,) = api.ok("get", f"/webhooks/{endpoint['id']}/deliveries")["items"]
    assert "failed" in admin.page(f"/console/webhooks/{endpoint['id']}?status=failed")

    admin.post(f"/console/webhooks/deliveries/{delivery['id']}")
    drain()

    page = admin.page(f"/console/webhooks/deliveries/{delivery['id']}")
    assert "delivered" in page
    assert [m for m in re.findall(r"<td>(\d{3})</td>", page)] == ["500", "200"]
    assert "by hand" in page
