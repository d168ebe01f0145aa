"""Webhook tests may deliver to this machine, and retry at once."""

from __future__ import annotations

import pytest


@pytest.fixture
def webhook_settings(app, monkeypatch):
    """Receivers on this machine are allowed, and retries come at once."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW", "127.0.0.1")
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_SCHEDULE", [0.0] * 7)
    return app.config
