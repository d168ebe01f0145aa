"""Page-numbered listings with the same envelope on every collection."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request

from service.database import db


def paginate(query: sa.Select, *, page: int, per_page: int) -> dict[str, Any]:
    """Run `query` for one page; `items` holds ORM objects for the schema to dump."""
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    links: dict[str, str | None] = {"next": None, "prev": None}
    if result.has_next:
        links["next"] = _page_url(page + 1)
    if result.has_prev:
        links["prev"] = _page_url(page - 1)
    return {
        "items": result.items,
        "page": page,
        "per_page": per_page,
        "total": result.total,
        "pages": result.pages,
        "links": links,
    }


def _page_url(page: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    query = "&".join(f"{key}={value}" for key, values in args.items() for value in values)
    return f"{request.path}?{query}"
