"""Charts as inline SVG drawn on the server: no script, a title and a description for screen
readers (the data table beside each chart holds every value). Colours are presentation
attributes, so the page's Content-Security-Policy needs no inline styles."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 32, 16, 40
# Two series that stay apart for most colour vision, on a white page (contrast >= 4.5:1).
COLOURS = ("#1f5fa8", "#b34700")


def _frame(key: str, title: str, description: str, body: str, height: float = HEIGHT) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'class="chart" role="img" aria-labelledby="{key}-chart-title {key}-chart-desc">'
        f'<title id="{key}-chart-title">{escape(title)}</title>'
        f'<desc id="{key}-chart-desc">{escape(description)}</desc>{body}</svg>'
    )


def _axes(y_ticks: Sequence[tuple[float, str]], x_ticks: Sequence[tuple[float, str]]) -> str:
    parts = [
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#444"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#444"/>',
    ]
    for y, label in y_ticks:
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#333">{escape(label)}</text>'
        )
    for x, label in x_ticks:
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" '
            f'fill="#333">{escape(label)}</text>'
        )
    return "".join(parts)


def _x(value: float, top: float) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * (value / top if top else 0)


def _y(value: float, low: float, high: float) -> float:
    return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * ((value - low) / (high - low))


def survival(key: str, title: str, steps: Sequence[tuple[float, float]]) -> Markup | None:
    """A step curve of the share still going (0 to 1) against days since the match."""
    if not steps:
        return None
    last = max(day for day, _ in steps) or 1
    points = [(0.0, 1.0)]
    for day, share in steps:
        points.append((day, points[-1][1]))
        points.append((day, share))
    path = " ".join(f"{_x(d, last):.1f},{_y(s, 0, 1):.1f}" for d, s in points)
    y_ticks = [(_y(v, 0, 1), f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1)]
    x_ticks = [(_x(last * f, last), f"{last * f:.0f}") for f in (0, 0.25, 0.5, 0.75, 1)]
    body = _axes(y_ticks, x_ticks) + (
        f'<polyline points="{path}" fill="none" stroke="{COLOURS[0]}" stroke-width="2"/>'
        f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT - 6}" text-anchor="middle" font-size="11" '
        'fill="#333">days since the match</text>'
    )
    return _frame(key, title, "A step curve; the table beside it lists every step.", body)


def lines(
    key: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    low: float,
    high: float,
) -> Markup | None:
    """Lines over months (a gap where a value is left out), with a legend."""
    if not labels or all(v is None for _, values in series for v in values):
        return None
    count = max(len(labels) - 1, 1)
    parts: list[str] = []
    for index, (name, values) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        run: list[str] = []
        runs: list[list[str]] = [run]
        for i, value in enumerate(values):
            if value is None:
                run = []
                runs.append(run)
                continue
            x, y = _x(i, count), _y(value, low, high)
            run.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
        dash = ' stroke-dasharray="6 3"' if index else ""
        for points in runs:
            if len(points) > 1:
                joined = " ".join(points)
                parts.append(
                    f'<polyline points="{joined}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash}/>'
                )
        parts.append(
            f'<rect x="{LEFT + 10 + 130 * index}" y="{TOP}" width="12" height="12" '
            f'fill="{colour}"/>'
            f'<text x="{LEFT + 26 + 130 * index}" y="{TOP + 10}" font-size="11" '
            f'fill="#333">{escape(name)}</text>'
        )
    step = max(1, len(labels) // 6)
    x_ticks = [(_x(i, count), label) for i, label in enumerate(labels) if i % step == 0]
    span = high - low
    y_ticks = [(_y(low + span * f, low, high), f"{low + span * f:g}") for f in (0, 0.5, 1)]
    return _frame(
        key, title, "Lines by month; the table beside it lists every value.",
        _axes(y_ticks, x_ticks) + "".join(parts),
    )  # fmt: skip


def bars(
    key: str, title: str, items: Sequence[tuple[str, float | None]], high: float | None = None
) -> Markup | None:
    """Horizontal bars, one per item; an item left out has no bar and says so."""
    shown = [v for _, v in items if v is not None]
    if not items or not shown:
        return None
    top = high or max(shown) or 1
    row = min(28.0, (HEIGHT - TOP - 8) / len(items))
    label_width = 230
    parts: list[str] = []
    for index, (label, value) in enumerate(items):
        y = TOP + index * row
        parts.append(
            f'<text x="{label_width - 6}" y="{y + row / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#333">{escape(label[:38])}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{label_width + 4}" y="{y + row / 2 + 4:.1f}" font-size="11" '
                'fill="#333">left out</text>'
            )
            continue
        width = (WIDTH - label_width - 60) * (value / top)
        parts.append(
            f'<rect x="{label_width}" y="{y + 3:.1f}" width="{max(width, 1):.1f}" '
            f'height="{row - 6:.1f}" fill="{COLOURS[0]}"/>'
            f'<text x="{label_width + width + 4:.1f}" y="{y + row / 2 + 4:.1f}" font-size="11" '
            f'fill="#333">{value:.0%}</text>'
            if high == 1
            else f'<rect x="{label_width}" y="{y + 3:.1f}" width="{max(width, 1):.1f}" '
            f'height="{row - 6:.1f}" fill="{COLOURS[0]}"/>'
            f'<text x="{label_width + width + 4:.1f}" y="{y + row / 2 + 4:.1f}" font-size="11" '
            f'fill="#333">{value:g}</text>'
        )
    # As tall as its bars: no blank band below a short list.
    height = TOP + row * len(items) + 8
    return _frame(
        key, title, "Bars; the table beside it lists every value.", "".join(parts), height
    )
