"""Schema pieces shared by every API blueprint, and how a view documents its problems."""

from __future__ import annotations

import functools
import http
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

import flask_smorest
import idna
import marshmallow as ma
from flask import current_app
from flask_smorest import Blueprint as _SmorestBlueprint
from marshmallow import fields, validate
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser


class Schema(ma.Schema):
    """Unknown fields are refused, so a misspelt field is an error, not silently dropped."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def _refuse_nul(self, data: Any, **kwargs: Any) -> Any:
        # PostgreSQL text cannot hold NUL: refuse it here as a 422, not later as a 500.
        path = _nul_path(data)
        if path is not None:
            message: Any = ["Text cannot contain NUL (\\u0000) characters."]
            for key in reversed(path or ["_schema"]):
                message = {key: message}
            raise ma.ValidationError(message)
        return data


def _nul_path(value: Any, path: tuple[str, ...] = ()) -> list[str] | None:
    """Where in a loaded body a NUL character is, if anywhere."""
    if isinstance(value, str):
        return list(path) if "\x00" in value else None
    if isinstance(value, Mapping):
        for key, child in value.items():
            found = _nul_path(key, (*path, str(key))) or _nul_path(child, (*path, str(key)))
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, child in enumerate(value):
            found = _nul_path(child, (*path, str(index)))
            if found is not None:
                return found
    return None


class BoundedList(fields.List):
    """A list a client sends, at most `max_items` long: longer is a 422 naming the limit,
    before any item is read (a list of 100,000 items is refused, not validated item by item).
    """

    def __init__(
        self, cls_or_instance: Any, *, max_items: int, min_items: int | None = None, **kwargs: Any
    ) -> None:
        self.max_items = max_items
        length = validate.Length(min=min_items, max=max_items, error=_length_error(min_items))
        extra = kwargs.pop("validate", None)
        extra = [] if extra is None else [extra] if callable(extra) else list(extra)
        super().__init__(cls_or_instance, validate=[length, *extra], **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) > self.max_items:
            raise ma.ValidationError(f"At most {self.max_items} items, got {len(value)}.")
        return super()._deserialize(value, attr, data, **kwargs)


def _length_error(min_items: int | None) -> str:
    if min_items:
        return "From {min} to {max} items."
    return "At most {max} items."


class BoundedDict(fields.Dict):
    """A mapping a client sends, with at most `max_entries` keys (a 422 naming the limit)."""

    def __init__(self, *, max_entries: int, **kwargs: Any) -> None:
        self.max_entries = max_entries
        metadata = {**kwargs.pop("metadata", {}), "maxProperties": max_entries}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, Mapping) and len(value) > self.max_entries:
            raise ma.ValidationError(f"At most {self.max_entries} entries, got {len(value)}.")
        return super()._deserialize(value, attr, data, **kwargs)


# RFC 6531 widens RFC 5322's dot-atom: any non-ASCII character is atext too.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\U0010ffff-]+"
_LOCAL_PART = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)


def is_idn_email(value: str) -> bool:
    """Whether `value` is a mailbox an SMTPUTF8 server can deliver to: `local@domain`, the
    local part a dot-atom that may hold any printable non-ASCII character (RFC 6531), the
    domain a host name of two labels or more, internationalised (IDNA 2008) or not. Quoted
    local parts and address literals are refused: no participant has one, and they are how
    junk gets past looser checks."""
    local, at, domain = value.rpartition("@")
    if not at or not local or len(local.encode()) > 64 or not _LOCAL_PART.fullmatch(local):
        return False
    if any(ord(ch) > 127 and unicodedata.category(ch)[0] in "CZ" for ch in local):
        return False  # controls, separators, unassigned or private-use characters
    try:
        host = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return False
    labels = host.split(".")
    return (
        len(host) <= 253
        and len(labels) >= 2
        and all(_DNS_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    )


class IdnEmail(fields.String):
    """An e-mail address, internationalised ones included (`is_idn_email`): documented as
    `format: idn-email`, since `email` means ASCII only and would call such addresses
    invalid."""

    default_error_messages = {"invalid": "Not a valid e-mail address."}

    def __init__(self, **kwargs: Any) -> None:
        metadata = {**kwargs.pop("metadata", {}), "format": "idn-email"}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        address = super()._deserialize(value, attr, data, **kwargs)
        if not is_idn_email(address):
            raise self.make_error("invalid")
        return address


class ActorSchema(Schema):
    kind = fields.String(metadata={"description": "user, token or system"})
    id = fields.String(allow_none=True)
    label = fields.String()


class OptionalActor(fields.Nested):
    """An actor that may not exist yet (who decided a pending proposal: nobody)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ActorSchema, allow_none=True, **kwargs)

    # Field names the first parameter `value`, Nested `nested_obj`: no name matches both.
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if value is None or value.kind is None:
            return None
        return super()._serialize(value, attr, obj, **kwargs)


class ProblemSchema(Schema):
    """RFC 9457 problem details; extension members vary by `type`."""

    class Meta:
        unknown = ma.INCLUDE

    type = fields.String(required=True, metadata={"description": "Stable problem type URI"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    errors = fields.List(
        fields.Dict(keys=fields.String(), values=fields.String()),
        metadata={"description": "For validation errors: location, field and message."},
    )


# Ids are PostgreSQL `integer` columns; a larger number can name no row.
MAX_ID = 2**31 - 1


def id_field(**kwargs: Any) -> fields.Integer:
    """An id given by a client: a whole number from 1 up to what the database can hold."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class PageArgsSchema(Schema):
    class Meta:
        unknown = ma.EXCLUDE

    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=1_000_000),
        metadata={"description": "A numbered page (OFFSET, and a count on each request)."},
    )
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.Integer(
        validate=validate.Range(min=0, max=MAX_ID),
        metadata={
            "description": "Keyset paging: the items after this id (0 for the first page); "
            "`page` is then ignored and `page`, `total` and `pages` are null. It costs the "
            "same at any depth: follow `links.next`."
        },
    )


class LinksSchema(Schema):
    next = fields.String(allow_none=True)
    prev = fields.String(allow_none=True)


_page_schemas: dict[str, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The page envelope around `item_schema`, one class per item type for the OpenAPI doc."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(
            name,
            (Schema,),
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                # Null on a keyset page (`after=`): it counts nothing.
                "page": fields.Integer(required=True, allow_none=True),
                "per_page": fields.Integer(required=True),
                "total": fields.Integer(required=True, allow_none=True),
                "pages": fields.Integer(required=True, allow_none=True),
                "links": fields.Nested(LinksSchema, required=True),
            },
        )
    return _page_schemas[name]


def aware_datetime(**kwargs: Any) -> fields.AwareDateTime:
    """An ISO 8601 datetime that must carry its offset, e.g. 2026-11-24T16:00:00+01:00."""
    return fields.AwareDateTime(format="iso", **kwargs)


def api_link(path: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/api/v1{path}"


def as_utc(value: Any) -> Any:
    return value.astimezone(UTC) if value is not None else None


@functools.cache
def _instance_of(schema: type[ma.Schema]) -> ma.Schema:
    return schema()


class BodyRequiredParser(FlaskParser):
    """webargs, refusing a request without the JSON body the operation documents as required.

    Left to itself, webargs reads an absent body as `{}`: an operation whose fields are all
    optional (approving a proposal, a PATCH) would then act on nothing sent at all. Every
    body the API takes is required (flask-smorest's default, and what the OpenAPI document
    says), so an absent one is a 422 like any other missing input; `{}` is still a body."""

    def _get_schema(self, argmap: Any, req: Any) -> ma.Schema:
        """webargs' own, with a schema class made an instance once, not for every request
        (an instance deep-copies each of its fields): a schema keeps nothing between loads.
        The view keeps its class, so the OpenAPI document names it as before."""
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _instance_of(argmap)
        return super()._get_schema(argmap, req)

    def load_json(self, req: Any, schema: ma.Schema) -> Any:
        data = super().load_json(req, schema)
        if data is webargs_core.missing:
            raise ma.ValidationError(["A JSON body is required; send {} for no fields."])
        return data


class Blueprint(_SmorestBlueprint):
    """flask-smorest's blueprint with `BodyRequiredParser` (its documented extension point)."""

    ARGUMENTS_PARSER = BodyRequiredParser()


def documents(blueprint: flask_smorest.Blueprint, *statuses: int) -> Callable:
    """Document the problem responses a view can give."""

    def decorate(view: Callable) -> Callable:
        for status in statuses:
            view = blueprint.alt_response(status, response=http.HTTPStatus(status).name)(view)
        return view

    return decorate


def link(method: str, path: str, description: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link to the operation `method path`, its parameters taken from the response
    (runtime expressions such as `$response.body#/id`): how a client, and the stateful fuzz
    test, goes from one call to the next."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {
        "operationRef": f"#/paths/{pointer}/{method.lower()}",
        "parameters": parameters,
        "description": description,
    }


def links(blueprint: flask_smorest.Blueprint, status: int, **named: dict[str, Any]) -> Callable:
    """Document where the response with `status` leads: `links(blueprint, 201, get=link(...))`."""
    return blueprint.doc(responses={status: {"links": named}})
