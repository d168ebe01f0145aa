"""A program's insights as tables: the one layout the page, the CSV and XLSX exports and the
charts' data tables share. A cell drawn from fewer pairs or respondents than the program's
minimum holds `Hidden`, written "fewer than N" everywhere it is shown."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from service.accounts.models import User
from service.database import db
from service.insights.figures import EARLY_MONTHS, SIDES, Counted, Insights
from service.insights.outcomes import OutcomeRow, Part, occasion_label
from service.insights.rules import NO_SIGNAL, Group, RuleCheck
from workflows.cadence import occasion_months, occasion_of
from workflows.endings import LABELS
from workflows.evidence import Difference
from workflows.signals import SIGNALS

ENDING_LABELS = {str(reason): label for reason, label in LABELS.items()}


class Kind(StrEnum):
    TEXT = "text"
    COUNT = "count"
    NUMBER = "number"  # one decimal
    DAYS = "days"
    SHARE = "share"  # a proportion, shown as a percentage
    POINTS = "points"  # a difference of two proportions, in percentage points
    SCORE = "score"  # a scale's score: two decimals
    CHANGE = "change"  # a change of a score: two decimals, signed


@dataclass(frozen=True)
class Hidden:
    """A figure left out: its group is smaller than the program's minimum, or (`shields`) it
    is left out with such a figure, which the total less it would give back."""

    minimum: int
    shields: bool = False

    def __str__(self) -> str:
        if self.shields:
            return "left out to protect a small group"
        return f"fewer than {self.minimum}"


Cell = str | int | float | Hidden | None


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = Kind.TEXT


@dataclass
class Table:
    key: str
    title: str
    # What the figures mean, in a sentence: the page's caption and the export's first line.
    caption: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    # A table of assorted figures says, row by row, what its value column holds.
    value_kinds: list[Kind] = field(default_factory=list)

    def kind(self, row: int, column: int) -> Kind:
        if column == 1 and row < len(self.value_kinds):
            return self.value_kinds[row]
        return self.columns[column].kind


def cell(figure: Counted, minimum: int) -> Cell:
    return Hidden(minimum, figure.shields) if figure.suppressed else figure.value


def count_cell(count: int, minimum: int) -> Cell:
    """A count of matches in a category: a category of fewer than the minimum (but some)
    could point at the people in it."""
    return Hidden(minimum) if 0 < count < minimum else count


def count_cells(counts: list[int], minimum: int) -> list[Cell]:
    """The counts of categories that add up to a total shown elsewhere: the small ones left
    out, and, when only one is, the smallest other one too, or the total less the rest
    would give it back."""
    cells = [count_cell(count, minimum) for count in counts]
    hidden = [i for i, value in enumerate(cells) if isinstance(value, Hidden)]
    shown = [i for i, value in enumerate(cells) if not isinstance(value, Hidden) and counts[i]]
    if len(hidden) == 1 and shown:
        smallest = min(shown, key=lambda i: counts[i])
        cells[smallest] = Hidden(minimum, shields=True)
    return cells


def text(value: Cell, kind: Kind) -> str:
    """How a cell reads on the page."""
    if isinstance(value, Hidden):
        return str(value)
    if value is None:
        return "—"
    if kind == Kind.SHARE:
        return f"{float(value) * 100:.0f}%"
    if kind == Kind.POINTS:
        return f"{float(value) * 100:+.0f} points"
    if kind == Kind.NUMBER:
        return f"{value:,}" if isinstance(value, int) else f"{float(value):.1f}"
    if kind == Kind.SCORE:
        return f"{float(value):.2f}"
    if kind == Kind.CHANGE:
        return f"{float(value):+.2f}" if round(float(value), 2) else "0.00"
    if kind == Kind.DAYS:
        return f"{float(value):.0f} days" if float(value) != 1 else "1 day"
    if kind == Kind.COUNT:
        return f"{int(value):,}"
    return str(value)


ENDINGS = {
    "completed": "Completed",
    "ended_early": "Ended early",
    "withdrawn": "Withdrawn",
    "safety": "Closed for safety",
    "rematched": "Re-matched",
}
CONTACTS = {
    "checkin": "Participants' check-ins",
    "staff_contact": "The coordinator's contact",
    "in_depth": "In-depth support meetings",
    "first_meeting": "Check-in after the first meeting",
    "event_followup": "Follow-up after the event",
    "six_month_update": "Six-month update",
}


def contact_label(kind: str) -> str:
    """What a response-rate row calls the calendar's contact of `kind`."""
    occasion = occasion_of(kind)
    if occasion is not None:
        return f"Outcome survey: {occasion_label(occasion).lower()}"
    return CONTACTS.get(kind, kind)


def tables(insights: Insights) -> list[Table]:
    """Every table of the insights, in the page's order."""
    m = insights.minimum
    summary = Table(
        "duration",
        "How long matches last",
        f"The {insights.matches} matches made in the period, followed until they ended or the "
        "period did.",
        [Column("Figure"), Column("Value", Kind.NUMBER), Column("Drawn from", Kind.COUNT)],
    )
    summary.rows.append(
        ["Median length of a match (days)", cell(insights.median_days, m), insights.median_days.n]
    )
    for months in EARLY_MONTHS:
        figure = insights.closed_before_months[months]
        summary.rows.append([f"Share closed before {months} months", cell(figure, m), figure.n])
    planned = insights.closed_before_planned_end
    summary.rows.append(["Share closed before their planned end", cell(planned, m), planned.n])
    rematch = insights.rematch_rate
    summary.rows.append(["Share of matches that ended in a re-match", cell(rematch, m), rematch.n])
    waiting = insights.waiting_days_median
    summary.rows.append(["Median days a mentee waited for a match", cell(waiting, m), waiting.n])
    summary.rows.append(["Mentees waiting for a match now", insights.waiting_now, None])
    summary.value_kinds = [
        Kind.NUMBER,
        *[Kind.SHARE] * (len(EARLY_MONTHS) + 2),
        Kind.NUMBER,
        Kind.COUNT,
    ]

    survival = Table(
        "survival",
        "Share of matches still going, by days since the match (Kaplan-Meier)",
        "Matches still open are counted while they last and never as endings.",
        [
            Column("Days since the match", Kind.COUNT),
            Column("Open just before", Kind.COUNT),
            Column("Ended that day", Kind.COUNT),
            Column("Still open when last seen", Kind.COUNT),
            Column("Share still going", Kind.SHARE),
        ],
    )
    if insights.survival_shown:
        survival.rows = [
            [int(s.day), s.at_risk, s.closed, s.censored, s.survival] for s in insights.survival
        ]
    elif insights.matches:
        survival.rows = [[Hidden(m), Hidden(m), Hidden(m), Hidden(m), Hidden(m)]]

    endings = Table(
        "endings",
        "How matches ended",
        f"The {insights.ended} matches that ended in the period, by how they closed.",
        [Column("How it ended"), Column("Matches", Kind.COUNT)],
        [
            [ENDINGS.get(k, k), value]
            for k, value in zip(
                insights.endings, count_cells(list(insights.endings.values()), m), strict=True
            )
        ],
    )
    reasons = Table(
        "ending_reasons",
        "Why matches ended (the coordinator's main reason)",
        "As coordinators recorded it when the match closed.",
        [Column("Main reason"), Column("Matches", Kind.COUNT)],
        [
            [ENDING_LABELS.get(k, k), value]
            for k, value in zip(
                insights.ending_reasons,
                count_cells(list(insights.ending_reasons.values()), m),
                strict=True,
            )
        ],
    )
    cohorts = _breakdown_table(
        "cohorts",
        "Matches by the quarter they were made in",
        insights.by_cohort,
        "Quarter matched",
        m,
    )
    result = [summary, survival, endings, reasons, cohorts]
    if insights.by_coordinator:
        names = _names(row["group"] for row in insights.by_coordinator)
        rows = [
            {**row, "group": names.get(row["group"], "Nobody assigned")}
            for row in insights.by_coordinator
        ]
        result.append(
            _breakdown_table("coordinators", "Matches by coordinator", rows, "Coordinator", m)
        )

    pulse = Table(
        "pulse",
        "Relationship rating by month (1 to 10)",
        "The mean of the ratings mentees and mentors gave the relationship in their check-ins.",
        [
            Column("Month"),
            Column("Mentees' mean", Kind.NUMBER),
            Column("Mentees answering", Kind.COUNT),
            Column("Mentors' mean", Kind.NUMBER),
            Column("Mentors answering", Kind.COUNT),
        ],
    )
    for row in insights.pulse:
        line: list[Cell] = [str(row["month"])]
        for side in SIDES:
            figure = row[side]
            assert isinstance(figure, Counted)
            line += [cell(figure, m), figure.n]
        pulse.rows.append(line)
    fell = Table(
        "rating_fell",
        "Pairs whose rating fell",
        "Each side's last rating in the period against its first, for pairs rated twice or more.",
        [
            Column("Side"),
            Column("Share whose rating fell", Kind.SHARE),
            Column("Pairs", Kind.COUNT),
        ],
        [
            [
                side.capitalize() + "s",
                cell(insights.rating_fell[side], m),
                insights.rating_fell[side].n,
            ]
            for side in SIDES
            if side in insights.rating_fell
        ],
    )

    meetings = Table(
        "meetings",
        "Meetings held per pair, by month",
        "Meetings logged as held, over the pairs running in each month.",
        [
            Column("Month"),
            Column("Pairs running", Kind.COUNT),
            Column("Meetings held", Kind.COUNT),
            Column("Per pair", Kind.NUMBER),
        ],
        [
            [str(r["month"]), r["pairs"], r["meetings"], _cell_of(r["per_pair"], m)]
            for r in insights.meetings_per_month
        ],
    )
    responses = Table(
        "responses",
        "Survey response rates",
        "Survey invitations sent in the period and how many were answered (so far).",
        [
            Column("Survey"),
            Column("Asked", Kind.COUNT),
            Column("Answered", Kind.COUNT),
            Column("Response rate", Kind.SHARE),
        ],
        [
            [contact_label(str(r["survey"])), r["asked"], r["answered"],
             _cell_of(r["rate"], m)]
            for r in insights.response_rates
        ],
    )  # fmt: skip
    responses.rows.append(["All surveys", None, None, cell(insights.response_rate, m)])
    engagement = Table(
        "engagement",
        "Engagement",
        "Meetings and answers, over the whole period.",
        [Column("Figure"), Column("Value", Kind.NUMBER), Column("Drawn from", Kind.COUNT)],
        [
            ["Meetings held per pair per month", cell(insights.meetings_per_pair_month, m),
             insights.meetings_per_pair_month.n],
            ["Share of answers that needed no reminder",
             cell(insights.answered_without_reminder, m), insights.answered_without_reminder.n],
        ],
        value_kinds=[Kind.NUMBER, Kind.SHARE],
    )  # fmt: skip

    contacts = insights.staff_contacts
    staff_shown = not insights.staff_on_time.suppressed
    staff = Table(
        "staff",
        "The coordinators' own contacts",
        "Contacts due in the period; on time means done within the program's days of grace.",
        [Column("Contacts"), Column("Number", Kind.COUNT)],
        [
            [label, contacts.get(key, 0) if staff_shown else Hidden(m)]
            for key, label in (
                ("due", "Due"),
                ("on_time", "Made on time"),
                ("late", "Made late"),
                ("overdue", "Overdue, not made"),
                ("not_yet_late", "Due, still within the days of grace"),
            )
        ],
    )
    practice = Table(
        "practice",
        "Staff practice",
        "Shares of what was due.",
        [Column("Figure"), Column("Share", Kind.SHARE), Column("Pairs", Kind.COUNT)],
        [
            ["Coordinator contacts made on time", cell(insights.staff_on_time, m),
             insights.staff_on_time.n],
            ["Months (or weeks) in which pairs met the meeting requirement",
             cell(insights.meeting_requirement_met, m), insights.meeting_requirement_met.n],
        ],
    )  # fmt: skip

    fidelity = Table(
        "fidelity",
        "Fidelity to the program's cadence",
        "Each contact the program's cadence promises, with each person it names, counted as "
        "kept when it was made before the next one fell due.",
        [
            Column("Contact"),
            Column("Pairs", Kind.COUNT),
            Column("Due", Kind.COUNT),
            Column("Kept", Kind.COUNT),
            Column("Share kept", Kind.SHARE),
        ],
        [
            [CONTACTS.get(str(r["contact"]), str(r["contact"])), r["pairs"], r["due"], r["kept"],
             _cell_of(r["share"], m)]
            for r in insights.fidelity
        ],
    )  # fmt: skip
    fidelity.rows.append(
        ["Every promised contact", insights.fidelity_overall.n, None, None,
         cell(insights.fidelity_overall, m)]
    )  # fmt: skip
    fidelity.rows.append(
        ["Pairs that received everything promised", insights.pairs_fully_served.n, None, None,
         cell(insights.pairs_fully_served, m)]
    )  # fmt: skip
    short = Table(
        "short",
        "Pairs that missed promised contacts",
        "The pairs that received the smallest share of what the cadence promises (at most 20): "
        "a list to follow up.",
        [Column("Pair"), Column("Due", Kind.COUNT), Column("Kept", Kind.COUNT)],
        [[f"#{r['pair_id']}", r["due"], r["kept"]] for r in insights.pairs_short],
    )
    return [
        *result, pulse, fell, meetings, responses, engagement, staff, practice, fidelity, short,
        *_evidence_tables(insights), _outcomes_table(insights),
    ]  # fmt: skip


def outcome_name(part: Part) -> str:
    return f"{part.scale}: {part.title}" if part.subscale else part.title


def _outcomes_table(insights: Insights) -> Table:
    m = insights.minimum
    table = Table(
        "outcomes",
        "Outcomes: change since the start, by scale",
        "Mentees answer the outcome survey when their match becomes active, at the months the "
        "program chose and when it closes. A scale's score is the mean of its items (1 to 5 for "
        "statements to agree or disagree with; items worded the other way round are turned "
        "round), given when at least half of them are answered. Respondents: mentees with a "
        "score both at the start and then. The change is then minus the start, with its 95% "
        "confidence interval (paired t).",
        [
            Column("Scale"),
            Column("Occasion"),
            Column("Respondents", Kind.COUNT),
            Column("Mean at the start", Kind.SCORE),
            Column("Mean then", Kind.SCORE),
            Column("Change", Kind.CHANGE),
            Column("95% CI from", Kind.CHANGE),
            Column("95% CI to", Kind.CHANGE),
        ],
    )
    for row in insights.outcomes:
        change = row.change
        figures: list[Cell] = (
            [Hidden(m)] * 5
            if change is None
            else [change.before, change.after, change.change, change.low, change.high]
        )
        table.rows.append(
            [outcome_name(row.part), occasion_label(row.occasion),
             count_cell(row.respondents, m), *figures]
        )  # fmt: skip
    return table


RULES = {
    "meeting_requirement": "Meeting requirement",
    "cadence": "Cadence of contacts",
}


def _evidence_tables(insights: Insights) -> list[Table]:
    m = insights.minimum
    evidence = insights.evidence
    closure = Table(
        "rules_closure",
        "Early endings: pairs that kept each rule and pairs that did not",
        "Kept: met the meeting requirement in most of the months judged, or received most of "
        "the contacts the cadence promised. Ended early: closed for any reason but completion, "
        "or re-matched. The difference is kept minus did not, with its 95% confidence interval.",
        [
            Column("Rule"),
            Column("Pairs that kept it", Kind.COUNT),
            Column("Ended early (kept)", Kind.SHARE),
            Column("Pairs that did not", Kind.COUNT),
            Column("Ended early (did not)", Kind.SHARE),
            Column("Difference", Kind.POINTS),
            Column("95% CI from", Kind.POINTS),
            Column("95% CI to", Kind.POINTS),
        ],
    )
    rating = Table(
        "rules_rating",
        "Relationship rating: pairs that kept each rule and pairs that did not",
        "Each pair's mean rating of the relationship (1 to 10, both sides) in the period; the "
        "difference is kept minus did not, with its 95% confidence interval (Welch).",
        [
            Column("Rule"),
            Column("Pairs rated (kept)", Kind.COUNT),
            Column("Mean rating (kept)", Kind.NUMBER),
            Column("Pairs rated (did not)", Kind.COUNT),
            Column("Mean rating (did not)", Kind.NUMBER),
            Column("Difference", Kind.NUMBER),
            Column("95% CI from", Kind.NUMBER),
            Column("95% CI to", Kind.NUMBER),
        ],
    )
    for item in evidence.checks:
        name = RULES.get(item.rule, item.rule)
        closure.rows.append(
            [name, count_cell(item.kept.pairs, m), _group_share(item.kept, m),
             count_cell(item.missed.pairs, m), _group_share(item.missed, m),
             *_difference(item.closure, m)]
        )  # fmt: skip
        rating.rows.append(
            [name, count_cell(len(item.kept.ratings), m), _group_rating(item.kept, m),
             count_cell(len(item.missed.ratings), m), _group_rating(item.missed, m),
             *_difference(item.rating, m)]
        )  # fmt: skip
    interventions = Table(
        "interventions",
        "The playbook's interventions, by what followed them",
        f"Each intervention recorded in the period, by the warning sign it answered: whether "
        f"the pair was resolved (back to active), ended (closing begun, withdrawn or "
        f"re-matched) or neither within {evidence.window_days} days. Share resolved: of the "
        "uses whose outcome is known (the most recent are not yet), with its 95% confidence "
        "interval (Wilson); best first.",
        [
            Column("Playbook entry"),
            Column("Used", Kind.COUNT),
            Column("Resolved", Kind.COUNT),
            Column("Ended", Kind.COUNT),
            Column("Neither", Kind.COUNT),
            Column("Share resolved", Kind.SHARE),
            Column("95% CI from", Kind.SHARE),
            Column("95% CI to", Kind.SHARE),
        ],
    )
    for ranked in evidence.interventions:
        hidden = ranked.share is None
        interventions.rows.append(
            [
                signal_label(ranked.key),
                count_cell(ranked.used, m),
                Hidden(m) if hidden else ranked.resolved,
                Hidden(m) if hidden else ranked.ended,
                Hidden(m) if hidden else ranked.neither,
                Hidden(m) if hidden else ranked.share,
                Hidden(m) if ranked.interval is None else ranked.interval.low,
                Hidden(m) if ranked.interval is None else ranked.interval.high,
            ]
        )
    return [closure, rating, interventions]


def signal_label(key: str) -> str:
    if key == NO_SIGNAL:
        return "No warning sign named"
    known = SIGNALS.get(key)
    return known.label if known else key


def _group_share(group: Group, minimum: int) -> Cell:
    return Hidden(minimum) if group.pairs < minimum else group.closure.value


def _group_rating(group: Group, minimum: int) -> Cell:
    return Hidden(minimum) if len(group.ratings) < minimum else group.mean_rating


def _difference(difference: Difference | None, minimum: int) -> list[Cell]:
    if difference is None:
        return [Hidden(minimum)] * 3
    return [difference.difference, difference.low, difference.high]


def _how_many(count: int, minimum: int) -> str:
    """A group's size in a sentence: a small one (but some) reads "fewer than N"."""
    return f"fewer than {minimum}" if 0 < count < minimum else str(count)


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _points(value: float) -> str:
    points = abs(value) * 100
    return f"{points:.0f}" if points >= 1 else f"{points:.1f}"


def rule_sentences(insights: Insights) -> list[str]:
    """What the comparisons say, in plain words (the page's lead for "Do our rules work?")."""
    m = insights.minimum
    lines: list[str] = []
    for item in insights.evidence.checks:
        lines.extend(_check_sentences(item, m))
    return lines


def _check_sentences(item: RuleCheck, minimum: int) -> list[str]:
    who = {
        "meeting_requirement": "Pairs that met the meeting requirement in most months",
        "cadence": "Pairs that received most of the contacts the cadence promises",
    }.get(item.rule, item.rule)
    closure = item.closure
    if closure is None:
        return [
            f"{who}: too few pairs to compare ({_how_many(item.kept.pairs, minimum)} kept it, "
            f"{_how_many(item.missed.pairs, minimum)} did not; no figure is shown from fewer "
            f"than {minimum})."
        ]
    lines = [
        f"{who} ended early {_percent(closure.first)} of the time, against "
        f"{_percent(closure.second)} for the others ({closure.first_n} and {closure.second_n} "
        f"pairs): {_compared(closure, _points, ' points', 'fewer', 'more')}."
    ]
    rating = item.rating
    if rating is None:
        lines.append(
            "Too few pairs rated the relationship to compare ratings "
            f"({_how_many(len(item.kept.ratings), minimum)} and "
            f"{_how_many(len(item.missed.ratings), minimum)} rated; no figure is shown from "
            f"fewer than {minimum})."
        )
    else:
        lines.append(
            f"Those pairs rated the relationship {rating.first:.1f} out of 10 on average, against "
            f"{rating.second:.1f} for the others ({rating.first_n} and {rating.second_n} pairs "
            "rated): "
            f"{_compared(rating, lambda v: f'{abs(v):.1f}', '', 'lower', 'higher')}."
        )
    return lines


def _compared(
    difference: Difference, amount: Callable[[float], str], unit: str, below: str, above: str
) -> str:
    """How two groups differ, in words: "26 points fewer (95% CI 9 to 43 points fewer)", or,
    when the interval takes in no difference at all, how far it reaches either way."""
    d, low, high = difference.difference, difference.low, difference.high
    if difference.clear:
        word = below if d < 0 else above
        near, far = sorted((abs(low), abs(high)))
        return f"{amount(d)}{unit} {word} (95% CI {amount(near)} to {amount(far)}{unit} {word})"
    return (
        f"{amount(d)}{unit} {below if d < 0 else above}, but the 95% CI runs from "
        f"{amount(low)}{unit} {below} to {amount(high)}{unit} {above}: too uncertain to tell"
    )


def _cell_of(value: Any, minimum: int) -> Cell:
    assert isinstance(value, Counted)
    return cell(value, minimum)


def _breakdown_table(
    key: str, title: str, rows: list[dict[str, Any]], label: str, minimum: int
) -> Table:
    table = Table(
        key,
        title,
        "Median length and early closures of each group's matches.",
        [
            Column(label),
            Column("Matches", Kind.COUNT),
            Column("Median days", Kind.NUMBER),
            *(Column(f"Closed before {n} months", Kind.SHARE) for n in EARLY_MONTHS),
        ],
    )
    for row in rows:
        table.rows.append(
            [
                str(row["group"]),
                row["matches"],
                _cell_of(row["median_days"], minimum),
                *(_cell_of(row[f"closed_before_{n}_months"], minimum) for n in EARLY_MONTHS),
            ]
        )
    return table


def _names(ids: Iterable[object]) -> dict[object, str]:
    wanted = [i for i in ids if isinstance(i, int)]
    if not wanted:
        return {}
    return dict(
        db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(wanted))).all()
    )


def _figure(figure: Counted) -> dict[str, Any]:
    return {"value": figure.value, "n": figure.n, "suppressed": figure.suppressed}


def _count(count: int, minimum: int) -> int | None:
    return None if 0 < count < minimum else count


def _counts(counts: dict[str, int], minimum: int) -> dict[str, int | None]:
    cells = count_cells(list(counts.values()), minimum)
    return {
        key: None if isinstance(value, Hidden) else counts[key]
        for key, value in zip(counts, cells, strict=True)
    }


def document(insights: Insights) -> dict[str, Any]:
    """The figures as the API returns them: a figure is {value, n, suppressed}, its value
    null when it is drawn from fewer than the program's minimum; a count of matches in a
    category that small is null (and, if it is the only one, the smallest other count too:
    the total less the rest would give it back)."""
    m = insights.minimum
    period = insights.period
    return {
        "program_id": insights.program_id,
        "since": period.since,
        "until": period.until,
        "coordinator_id": insights.coordinator_id,
        "minimum_group": m,
        "cadence_policy": insights.policy,
        "matches": insights.matches,
        "duration": {
            "median_days": _figure(insights.median_days),
            "closed_before_months": {
                str(months): _figure(figure)
                for months, figure in insights.closed_before_months.items()
            },
            "closed_before_planned_end": _figure(insights.closed_before_planned_end),
            "survival_suppressed": not insights.survival_shown,
            "survival": [
                {
                    "day": s.day,
                    "at_risk": s.at_risk,
                    "closed": s.closed,
                    "censored": s.censored,
                    "survival": s.survival,
                }
                for s in insights.survival
            ],
        },
        "endings": {
            "ended": insights.ended,
            "by_closure": _counts(insights.endings, m),
            "by_reason": _counts(insights.ending_reasons, m),
            "rematch_rate": _figure(insights.rematch_rate),
        },
        "waiting": {
            "median_days": _figure(insights.waiting_days_median),
            "waiting_now": insights.waiting_now,
        },
        "quality": {
            "pulse": [
                {"month": row["month"], **{side: _figure(row[side]) for side in SIDES}}
                for row in insights.pulse
            ],
            "rating_fell": {k: _figure(v) for k, v in insights.rating_fell.items()},
        },
        "engagement": {
            "meetings_per_pair_month": _figure(insights.meetings_per_pair_month),
            "by_month": [
                {**row, "per_pair": _figure(row["per_pair"])} for row in insights.meetings_per_month
            ],
            "response_rate": _figure(insights.response_rate),
            "answered_without_reminder": _figure(insights.answered_without_reminder),
            "by_survey": [{**row, "rate": _figure(row["rate"])} for row in insights.response_rates],
        },
        "staff_practice": {
            "contacts": insights.staff_contacts if not insights.staff_on_time.suppressed else None,
            "on_time": _figure(insights.staff_on_time),
            "meeting_requirement_met": _figure(insights.meeting_requirement_met),
        },
        "fidelity": {
            "overall": _figure(insights.fidelity_overall),
            "pairs_fully_served": _figure(insights.pairs_fully_served),
            "by_contact": [{**row, "share": _figure(row["share"])} for row in insights.fidelity],
            "pairs_short": insights.pairs_short,
        },
        "rules": _evidence_document(insights),
        "outcomes": [_outcome_document(row, m) for row in insights.outcomes],
        "cohorts": [_group(row) for row in insights.by_cohort],
        "coordinators": [_group(row) for row in insights.by_coordinator],
    }


def _group(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "group": None if row["group"] is None else str(row["group"]),
        "matches": row["matches"],
        "median_days": _figure(row["median_days"]),
        "closed_before_months": {
            str(n): _figure(row[f"closed_before_{n}_months"]) for n in EARLY_MONTHS
        },
    }


def _outcome_document(row: OutcomeRow, minimum: int) -> dict[str, Any]:
    change = row.change
    return {
        "scale": row.part.key,
        "title": row.part.title,
        "subscale_of": row.part.scale if row.part.subscale else None,
        "occasion": row.occasion,
        "months": occasion_months(row.occasion),
        "respondents": _count(row.respondents, minimum),
        "suppressed": change is None,
        "baseline_mean": change.before if change else None,
        "mean": change.after if change else None,
        "change": change.change if change else None,
        "low": change.low if change else None,
        "high": change.high if change else None,
    }


def _evidence_document(insights: Insights) -> dict[str, Any]:
    m = insights.minimum

    def side(group: Group) -> dict[str, Any]:
        closure_shown, rating_shown = group.pairs >= m, len(group.ratings) >= m
        return {
            "pairs": _count(group.pairs, m),
            "ended_early": _figure(
                Counted(group.closure.value if closure_shown else None, group.pairs,
                        not closure_shown)
            ),
            "mean_rating": _figure(
                Counted(group.mean_rating if rating_shown else None, len(group.ratings),
                        not rating_shown)
            ),
        }  # fmt: skip

    def difference(value: Difference | None) -> dict[str, Any] | None:
        if value is None:
            return None
        return {"difference": value.difference, "low": value.low, "high": value.high}

    return {
        "window_days": insights.evidence.window_days,
        "checks": [
            {
                "rule": item.rule,
                "kept": side(item.kept),
                "did_not": side(item.missed),
                "ended_early_difference": difference(item.closure),
                "rating_difference": difference(item.rating),
            }
            for item in insights.evidence.checks
        ],
        "interventions": [
            {
                "signal": None if r.key == NO_SIGNAL else r.key,
                "label": signal_label(r.key),
                "used": _count(r.used, m),
                "resolved": None if r.share is None else r.resolved,
                "ended": None if r.share is None else r.ended,
                "neither": None if r.share is None else r.neither,
                "share_resolved": _figure(Counted(r.share, r.known, r.share is None)),
                "low": r.interval.low if r.interval else None,
                "high": r.interval.high if r.interval else None,
            }
            for r in insights.evidence.interventions
        ],
    }
