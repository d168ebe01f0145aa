"""Our own meeting-event format, signed per Standard Webhooks (standardwebhooks.com).

The sender signs "<webhook-id>.<webhook-timestamp>.<raw body>" with the source's `whsec_`
secret and sends the three `webhook-*` headers. The verifier refuses timestamps more than
5 minutes away: an old request sent again is refused however well it is signed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug.datastructures import Headers

from service.problems import Problem

HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def verify(secret: str, body: bytes, headers: Mapping[str, str] | Headers) -> None:
    wanted = {name: headers.get(name, "") for name in HEADERS}
    try:
        Webhook(secret).verify(body, wanted, json_parse=False)
    except WebhookVerificationError as error:
        if "timestamp too" in str(error) and _signed_by(secret, body, wanted):
            raise Problem(
                "inbound-replayed",
                f"Signed at webhook-timestamp {wanted['webhook-timestamp']}, more than 5 "
                "minutes from now: sign it again and resend.",
            ) from None
        raise _invalid(str(error)) from None
    except (ValueError, binascii.Error) as error:
        # A signature that is not base64, or a body that is not UTF-8.
        raise _invalid(f"unreadable: {type(error).__name__}") from None


def _invalid(why: str) -> Problem:
    return Problem(
        "inbound-signature-invalid",
        f"The Standard Webhooks signature does not verify ({why}). Send webhook-id, "
        "webhook-timestamp and webhook-signature, signed with this source's secret.",
    )


def _signed_by(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether the signature is right for the timestamp it names, however old that is."""
    try:
        at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
        expected = Webhook(secret).sign(headers["webhook-id"], at, body.decode())
        expected_bytes = base64.b64decode(expected.split(",", 1)[1])
        for versioned in headers["webhook-signature"].split(" "):
            version, _, signature = versioned.partition(",")
            if version == "v1" and hmac.compare_digest(expected_bytes, base64.b64decode(signature)):
                return True
    except (ValueError, OverflowError, OSError, binascii.Error):
        return False
    return False
