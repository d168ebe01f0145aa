"""A program's insights laid out for people: the sections of the console page (each chart
with its data table), the filters they were computed under, and the funder report, a
print-ready HTML page turned into a PDF by WeasyPrint.

A figure left out for a small group reads "fewer than N" in the report as everywhere else:
the report is drawn from the same tables as the page and the CSV and XLSX exports.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date

from flask import render_template
from markupsafe import Markup

from service.accounts.models import User
from service.database import db
from service.insights import charts
from service.insights.figures import EARLY_MONTHS, Counted, Insights
from service.insights.tables import Column, Hidden, Kind, Table, rule_sentences, tables, text
from workflows.cadence import POLICIES

PDF_TYPE = "application/pdf"

# The points of the survival curve the report lists (the CSV export has every step).
MILESTONES = ((1, 30), (3, 91), (6, 182), (9, 273), (12, 365), (18, 547), (24, 730), (36, 1095))
# Lists of pairs to follow up are the coordinators' work, not the funder's.
LEFT_OUT = {"short"}

RULES = "Do our rules work?"
LAYOUT = [
    ("Match duration", ["duration", "survival", "cohorts", "coordinators"]),
    ("Why matches end", ["endings", "ending_reasons"]),
    ("Relationship quality", ["pulse", "rating_fell"]),
    ("Outcomes", ["outcomes"]),
    ("Engagement", ["meetings", "responses", "engagement"]),
    ("Staff practice", ["staff", "practice"]),
    ("Fidelity to the program's cadence", ["fidelity", "short"]),
    (RULES, ["rules_closure", "rules_rating", "interventions"]),
]


@dataclass
class Section:
    title: str
    tables: list[tuple[Table, Markup | None]]
    # Sentences in plain words said before the tables (the rules' comparisons).
    lead: list[str] = field(default_factory=list)


def _number(value: object) -> float | None:
    return None if isinstance(value, Hidden) or value is None else float(value)  # type: ignore[arg-type]


def sections(insights: Insights) -> list[Section]:
    """The sections of the page and the report: a heading, and its tables each with the chart
    drawn from it (none where every value is left out)."""
    by_key: dict[str, Table] = {t.key: t for t in tables(insights)}
    survival = by_key["survival"]
    pulse = by_key["pulse"]
    meetings = by_key["meetings"]
    fidelity = by_key["fidelity"]
    endings = by_key["endings"]
    steps = (
        [(float(r[0]), float(r[4])) for r in survival.rows]  # type: ignore[arg-type]
        if insights.survival_shown
        else []
    )
    charted = {
        "survival": charts.survival("survival", survival.title, steps),
        "endings": charts.bars(
            "endings", endings.title, [(str(r[0]), _number(r[1])) for r in endings.rows]
        ),
        "pulse": charts.lines(
            "pulse", pulse.title, [str(r[0]) for r in pulse.rows],
            [("Mentees", [_number(r[1]) for r in pulse.rows]),
             ("Mentors", [_number(r[3]) for r in pulse.rows])],
            1, 10,
        ),
        "meetings": charts.lines(
            "meetings", meetings.title, [str(r[0]) for r in meetings.rows],
            [("Meetings per pair", [_number(r[3]) for r in meetings.rows])],
            0, math.ceil(max([_number(r[3]) or 0 for r in meetings.rows] + [1])),
        ),
        "fidelity": charts.bars(
            "fidelity", fidelity.title, [(str(r[0]), _number(r[4])) for r in fidelity.rows], 1
        ),
    }  # fmt: skip
    leads = {RULES: rule_sentences(insights)}
    return [
        Section(
            title,
            [(by_key[k], charted.get(k)) for k in keys if k in by_key],
            leads.get(title, []),
        )
        for title, keys in LAYOUT
    ]


def coordinator_name(insights: Insights) -> str | None:
    if insights.coordinator_id is None:
        return None
    user = db.session.get(User, insights.coordinator_id)
    return user.full_name if user else f"#{insights.coordinator_id}"


def filters(insights: Insights) -> list[tuple[str, str]]:
    """What the figures were computed under, as (name, value) rows."""
    period = insights.period
    rows = [
        ("Program", insights.program_name),
        ("From", period.since.isoformat() if period.since else "the start"),
        ("To", period.until.isoformat()),
        ("Smallest group shown", str(insights.minimum)),
    ]
    name = coordinator_name(insights)
    if name is not None:
        rows.append(("Coordinator", name))
    return rows


def _figure(figure: Counted, minimum: int, kind: Kind) -> str:
    return text(Hidden(minimum, figure.shields) if figure.suppressed else figure.value, kind)


def _policy(name: str) -> str:
    policy = POLICIES.get(name)
    return policy.title if policy else name


def summary(insights: Insights) -> list[str]:
    """The report's first page in plain words: a few sentences, each figure as the tables
    give it ("fewer than N respondents" where a group is too small)."""
    m = insights.minimum
    period = insights.period
    start = period.since.isoformat() if period.since else "the program's start"
    lines = [
        f"From {start} to {period.until.isoformat()}, the program made {insights.matches:,} "
        f"{'match' if insights.matches == 1 else 'matches'}; {insights.ended:,} of them ended "
        "within the period."
    ]
    if insights.matches == 0:
        return lines
    median = insights.median_days
    lines.append(
        f"Half of the matches lasted at least {_figure(median, m, Kind.DAYS)}."
        if not median.suppressed and median.value is not None
        else f"How long a match lasts is left out: it would be drawn from fewer than {m} "
        "matches, or too few have ended to tell."
    )
    year = insights.closed_before_months[EARLY_MONTHS[-1]]
    if year.suppressed:
        lines.append(
            f"The share closed before {EARLY_MONTHS[-1]} months is left out: fewer than {m} "
            "matches were followed that long."
        )
    else:
        lines.append(
            f"{_figure(year, m, Kind.SHARE)} of the matches followed for "
            f"{EARLY_MONTHS[-1]} months closed before then ({year.n:,} matches followed that "
            "long)."
        )
    rate = insights.response_rate
    lines.append(
        f"Participants answered {_figure(rate, m, Kind.SHARE)} of the surveys and check-ins they "
        f"were sent ({rate.n:,} people asked)."
        if not rate.suppressed
        else f"The check-in response rate is left out: fewer than {m} respondents."
    )
    fidelity = insights.fidelity_overall
    lines.append(
        f"{_figure(fidelity, m, Kind.SHARE)} of the contacts the program's practice "
        f"({_policy(insights.policy)}) promises were made."
        if not fidelity.suppressed
        else f"Fidelity to the program's cadence is left out: fewer than {m} pairs."
    )
    return lines


def milestones(insights: Insights, table: Table) -> Table:
    """The survival table at a few lengths (1, 3, 6... months) rather than every step."""
    if not insights.survival_shown or not insights.survival:
        return table
    steps = insights.survival
    rows: list[list[object]] = []
    for months, day in MILESTONES:
        if day > steps[-1].day:
            break
        before = [s for s in steps if s.day <= day]
        after = next((s for s in steps if s.day > day), None)
        rows.append(
            [
                f"{months} month{'s' if months > 1 else ''} ({day} days)",
                after.at_risk if after else 0,
                before[-1].survival if before else 1.0,
            ]
        )
    return Table(
        table.key,
        "Share of matches still going after 1, 3, 6... months (Kaplan-Meier)",
        table.caption + " Every step of the curve is in the insights page's CSV export.",
        [
            Column("After"),
            Column("Matches still followed", Kind.COUNT),
            Column("Share still going", Kind.SHARE),
        ],
        rows,  # type: ignore[arg-type]
    )


def _for_funders(insights: Insights) -> list[Section]:
    result = []
    for section in sections(insights):
        kept = [
            (milestones(insights, table) if table.key == "survival" else table, chart)
            for table, chart in section.tables
            if table.key not in LEFT_OUT
        ]
        result.append(Section(section.title, kept, section.lead))
    return result


def html(insights: Insights, *, produced_on: date) -> str:
    """The funder report as one self-contained HTML page (its styles inline, no script, no
    request to anywhere), laid out for A4 paper."""
    return render_template(
        "reports/funder.html",
        insights=insights,
        sections=_for_funders(insights),
        summary=summary(insights),
        filters=filters(insights),
        coordinator=coordinator_name(insights),
        produced_on=produced_on,
        text=text,
    )


def pdf(document: str) -> bytes:
    """The HTML page as a PDF. WeasyPrint is imported here: only the report needs it."""
    # Its progress, step by step, is noise in the service's log.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    from weasyprint import HTML

    body: bytes = HTML(string=document, base_url=None).write_pdf()
    return body


def filename(program_slug: str, since: date | None, until: date) -> str:
    start = since.isoformat() if since else "start"
    return f"{program_slug}-funder-report-{start}-to-{until.isoformat()}.pdf"
