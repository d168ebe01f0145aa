from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from service.columns import created_at_column
from service.database import Model


class IdempotencyKey(Model):
    """A client's Idempotency-Key and the answer given under it.

    Claimed (committed) before the work starts, so a second request with the key sees it in
    flight; answered in the same transaction as the work, so there is never a change without
    its stored answer, nor an answer without its change.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("owner", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Keys are per client: `token:<id>`.
    owner: Mapped[str] = mapped_column(sa.String(80))
    key: Mapped[str] = mapped_column(sa.String(255))
    # SHA-256 of the method, path and body: the same key for another request is refused.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    # While a request works under the key: which one (a random value), and until when.
    lease: Mapped[str | None] = mapped_column(sa.String(32))
    locked_until: Mapped[datetime | None]
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    response_headers: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
