"""A source registered through the API, a sender signing for it, and an active pair."""

from __future__ import annotations

import pytest

from tests.helpers.inbound import CALENDLY_KEY, CalendlySender, StandardSender


@pytest.fixture
def source(admin_api) -> dict:
    return admin_api.ok(
        "post", "/inbound-sources", {"slug": "school-calendar", "name": "School calendar"}
    )


@pytest.fixture
def sender(client, source) -> StandardSender:
    return StandardSender(client, source)


@pytest.fixture
def calendly_source(admin_api) -> dict:
    body = {"slug": "calendly", "name": "Calendly", "kind": "calendly", "secret": CALENDLY_KEY}
    return admin_api.ok("post", "/inbound-sources", body)


@pytest.fixture
def calendly_sender(client, calendly_source) -> CalendlySender:
    return CalendlySender(client, calendly_source)


@pytest.fixture
def active_pair(world) -> dict:
    return world.drive_to("active")
