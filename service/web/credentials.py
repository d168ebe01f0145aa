"""URLs that carry a credential, and how logs write them: the route, never the credential.

A survey link's token is the participant's only key, so `/s/<token>` must not reach an
access log, an application log or a Referer header. A route marks the part of its path that
is a credential with the `credential` converter (`/s/<credential:token>`); every such route
is learned when the app is built, and `scrub()` rewrites any text that mentions one
(`/s/Zx9…/received` becomes `/s/<token>/received`). Query parameters whose names say they
hold a credential (`?token=…`, `?api_key=…`, `?signature=…`) lose their values too.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, request
from werkzeug.routing import BaseConverter, Map

# Characters that end a path segment in a URL written in free text (a log line).
_SEGMENT = r"[^/\s?#\"'<>]+"
_ROUTE_PART = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_SENSITIVE_PARAMETER = re.compile(
    r"(?P<name>[?&;](?:[\w.-]*[_.-])?(?:token|secret|password|passwd|signature|sig|"
    r"api[_-]?key|key|auth|authorization|session|credential|code|otp))=(?P<value>[^&;\s\"'#]*)",
    re.IGNORECASE,
)
REDACTED = "<redacted>"


class CredentialConverter(BaseConverter):
    """A path segment that is itself a credential, e.g. `/s/<credential:token>`."""

    part_isolating = True


_learned: dict[str, tuple[re.Pattern[str], str]] = {}


def learn(url_map: Map) -> None:
    """Remember every route with a credential in its path (once the blueprints are in)."""
    for rule in url_map.iter_rules():
        if "<credential:" not in rule.rule:
            continue
        pattern, shown = [], []
        for text, converter, name in _split(rule.rule):
            if text:
                pattern.append(re.escape(text).replace("/", "/+"))
                shown.append(text)
            if name:
                pattern.append(_SEGMENT)
                shown.append(f"<{name}>")
                if converter == "credential":
                    break
        prefix = "".join(shown)
        _learned[prefix] = (re.compile("".join(pattern)), prefix)


def _split(rule: str) -> list[tuple[str, str | None, str | None]]:
    """`/s/<credential:token>/received` → [("/s/", "credential", "token"), ("/received", …)]."""
    parts, position = [], 0
    for match in _ROUTE_PART.finditer(rule):
        parts.append((rule[position : match.start()], match.group(1), match.group(2)))
        position = match.end()
    parts.append((rule[position:], None, None))
    return parts


def scrub(text: str) -> str:
    """`text` with every credential in a URL replaced by the name of its route part."""
    if "/" in text:
        for pattern, shown in _learned.values():
            text = pattern.sub(shown, text)
    if "=" in text:
        text = _SENSITIVE_PARAMETER.sub(lambda m: f"{m.group('name')}={REDACTED}", text)
    return text


def carries_credential() -> bool:
    """The current request's URL is itself a credential."""
    rule = request.url_rule
    return rule is not None and "<credential:" in rule.rule


def loggable_path() -> str:
    """The current request's path as a log may show it."""
    return scrub(request.path)


class CredentialFilter(logging.Filter):
    """Scrubs credentials out of every record a handler or logger writes: the message, its
    arguments, and a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = scrub(text), None
        return True


def init_app(app: Flask) -> None:
    """Before the blueprints: they use the converter."""
    app.url_map.converters["credential"] = CredentialConverter
