"""A receiver for Pairwise's webhooks: verify the signature, skip repeats, answer quickly.

    pip install flask standardwebhooks
    export PAIRWISE_WEBHOOK_SECRET=whsec_...    # the secret Pairwise gave the endpoint
    flask --app webhook_receiver run --port 8080

A test in Pairwise's own suite sends this receiver real, signed deliveries.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, request
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def create_app(secret: str | None = None) -> Flask:
    app = Flask(__name__)
    verifier = Webhook(secret or os.environ["PAIRWISE_WEBHOOK_SECRET"])
    # Delivery is at least once: the same event may come again, with the same webhook-id.
    # Here a set in memory; in production a table with a unique key on the id.
    seen: set[str] = set()
    app.config["RECEIVED"] = received = []

    @app.post("/pairwise")
    def receive() -> tuple[str, int]:
        try:
            # The raw body, exactly as sent: parsing and re-encoding it breaks the signature.
            event = verifier.verify(request.get_data(), dict(request.headers))
        except (WebhookVerificationError, ValueError):
            return "invalid signature", 400
        message_id = request.headers["webhook-id"]
        if message_id not in seen:
            seen.add(message_id)
            handle(event)
        # Answer within seconds (Pairwise waits at most 15); do slow work in a queue of yours.
        return "", 204

    def handle(event: dict[str, Any]) -> None:
        data = event["data"]
        # data["pair_sequence"] orders the events of one pair: 1, 2, 3...
        received.append((event["type"], data["pair_id"], data["pair_sequence"]))

    return app
