"""MkDocs hook: tables the code already declares, written into the pages at build time.

A page asks for one with a marker on a line of its own, e.g. `<!-- generated: event-types -->`.
The catalogues are read from the code on every build, so the site cannot drift from it; an
unknown marker fails the build.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from mkdocs.exceptions import PluginError

MARKER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.MULTILINE)


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def problem_types() -> str:
    from service.problems import PROBLEM_TYPES

    return _table(
        ["type", "status", "title", "meaning"],
        (
            (f"`{p.uri}`", p.status, p.title, p.description)
            for p in sorted(PROBLEM_TYPES.values(), key=lambda p: (p.status, p.slug))
        ),
    )


def event_types() -> str:
    from service.events.catalog import EVENT_TYPES, public_event_types

    return _table(
        ["event", "when"], ((f"`{name}`", EVENT_TYPES[name]) for name in public_event_types())
    )


def scopes() -> str:
    from service.tokens.service import SCOPES

    return _table(["scope", "allows"], ((f"`{name}`", what) for name, what in SCOPES.items()))


def signals() -> str:
    from workflows.signals import SIGNALS

    return _table(
        ["signal", "what it means", "kind", "flags an active pair"],
        (
            (
                f"`{s.code}`",
                s.label,
                s.category.value.replace("_", " "),
                "yes" if s.flags_risk else "no (it concerns staff)",
            )
            for s in SIGNALS.values()
        ),
    )


def commands() -> str:
    from service.cli import cli

    def summary(command) -> str:
        return (command.help or "").strip().split("\n")[0]

    return _table(
        ["command", "what it does"],
        (
            (f"`pairwise {name}`", summary(command))
            for name, command in sorted(cli.commands.items())
            # Flask's own shell and routes need no introduction; the demo loader is what
            # `make run` calls, and the Getting started page tells it that way.
            if name not in ("shell", "routes", "demo")
        ),
    )


TABLES: dict[str, Callable[[], str]] = {
    "problem-types": problem_types,
    "event-types": event_types,
    "scopes": scopes,
    "signals": signals,
    "commands": commands,
}


def on_page_markdown(markdown: str, page, config, files) -> str:
    def expand(match: re.Match[str]) -> str:
        name = match[1]
        if name not in TABLES:
            raise PluginError(
                f"{page.file.src_path}: unknown generated table {name!r}; "
                f"known: {', '.join(TABLES)}"
            )
        return TABLES[name]()

    return MARKER.sub(expand, markdown)
