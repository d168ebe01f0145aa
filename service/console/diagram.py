"""The lifecycle picture for the dashboard: an SVG drawn from the machine's transitions,
with the number of pairs in each state. The counts are also given as a table (the picture
is decoration for screen readers)."""

from __future__ import annotations

from markupsafe import Markup, escape

from workflows.pairing import TRANSITIONS, State, Trigger

# Where each state sits: the main path on top, the troubled branch below.
POSITIONS: dict[State, tuple[int, int]] = {
    State.RECRUITED: (10, 40),
    State.MATCHED: (150, 40),
    State.TRAINING: (290, 40),
    State.ACTIVE: (430, 40),
    State.CLOSING: (570, 40),
    State.CLOSED: (710, 40),
    State.AT_RISK: (430, 160),
    State.REMATCHED: (570, 160),
}
WIDTH, HEIGHT = 120, 56


def _edges() -> list[tuple[State, State, str]]:
    """Each (from, to) once, labelled with its triggers; withdrawal, possible from every open
    state, is told in words instead of drawn six times."""
    labels: dict[tuple[State, State], list[str]] = {}
    for declared in TRANSITIONS:
        if declared["trigger"] == Trigger.WITHDRAW:
            continue
        sources = (
            declared["source"] if isinstance(declared["source"], list) else [declared["source"]]
        )
        for source in sources:
            labels.setdefault((State(source), State(declared["dest"])), []).append(
                declared["trigger"]
            )
    return [
        (a, b, ", ".join(t.replace("_", " ") for t in triggers))
        for (a, b), triggers in labels.items()
    ]


def _anchor(state: State, towards: State) -> tuple[int, int]:
    x, y = POSITIONS[state]
    tx, ty = POSITIONS[towards]
    if ty > y:
        return x + WIDTH // 2, y + HEIGHT
    if ty < y:
        return x + WIDTH // 2, y
    return (x + WIDTH, y + HEIGHT // 2) if tx > x else (x, y + HEIGHT // 2)


def lifecycle_svg(counts: dict[str, int], links: dict[str, str] | None = None) -> Markup:
    """The picture, each state's box a link to `links[state]` when given. The links are for
    the mouse: the picture is hidden from screen readers and out of the tab order, and the
    count table beside it holds the same links for the keyboard."""
    links = links or {}
    parts = [
        '<svg class="lifecycle" viewBox="0 0 840 240" aria-hidden="true" focusable="false" '
        'xmlns="http://www.w3.org/2000/svg">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#484d52"/></marker></defs>',
    ]
    for source, dest, label in _edges():
        (x1, y1), (x2, y2) = _anchor(source, dest), _anchor(dest, source)
        if source == State.CLOSED and dest == State.ACTIVE:  # reopen: an arc above
            path = f"M{x1 + WIDTH // 2},{y1 - HEIGHT // 2} C 740,0 520,0 490,40"
            parts.append(
                f'<path d="{path}" fill="none" stroke="#484d52" stroke-dasharray="4 3" '
                f'marker-end="url(#arrow)"><title>{escape(label)}</title></path>'
            )
            continue
        offset = 6 if (dest, source) in {(a, b) for a, b, _ in _edges()} else 0
        parts.append(
            f'<line x1="{x1 + offset}" y1="{y1}" x2="{x2 + offset}" y2="{y2}" stroke="#484d52" '
            f'marker-end="url(#arrow)"><title>{escape(label)}</title></line>'
        )
    for state, (x, y) in POSITIONS.items():
        troubled = state in (State.AT_RISK, State.REMATCHED)
        fill = "#fde8e6" if state == State.AT_RISK else "#f3f2f1" if troubled else "#e8f1fa"
        box = (
            f'<rect x="{x}" y="{y}" width="{WIDTH}" height="{HEIGHT}" rx="8" fill="{fill}" '
            f'stroke="#0b0c0c"/><text x="{x + WIDTH // 2}" y="{y + 22}" text-anchor="middle" '
            f'font-size="14">{state.value.replace("_", " ")}</text><text x="{x + WIDTH // 2}" '
            f'y="{y + 44}" text-anchor="middle" font-size="18" font-weight="700">'
            f"{counts.get(state.value, 0)}</text>"
        )
        if state.value in links:
            box = f'<a href="{escape(links[state.value])}" tabindex="-1">{box}</a>'
        parts.append(box)
    parts.append(
        '<text x="10" y="232" font-size="13" fill="#484d52">Any open pair can be '
        "withdrawn (closed); a closed pair can be reopened by an admin.</text></svg>"
    )
    return Markup("".join(parts))
