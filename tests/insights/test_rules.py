"""Do the rules work? On a hand-made history: pairs that kept the meeting requirement against
those that did not, and the playbook's interventions by what followed them."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from service.insights.figures import Period, compute
from service.insights.tables import Hidden, rule_sentences, tables
from tests.helpers.history import History
from workflows.evidence import mean_difference, proportion_difference
from workflows.insights import Share

pytestmark = pytest.mark.usefixtures("app_context")

YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))
MONTHS = [(date(2025, m, 1), date(2025, m + 1, 1)) for m in (1, 2, 3)]


def judged(history: History, pair_id: int, verdicts: list[bool]) -> None:
    for (start, end), compliant in zip(MONTHS, verdicts, strict=False):
        history.period_judged(pair_id, start, end, compliant=compliant)


def kept_and_missed(history: History) -> dict[str, int]:
    """Four pairs met the requirement in most months (one of them ended early), three did not
    (two ended early: a re-match and a withdrawal; one met it in exactly half its months),
    and one was never judged. Ratings by pair: 8, 9 (8 and 10), 7, 8 against 5, 6, 4."""
    h = history
    p = {
        "k1": h.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 2)),
        "k2": h.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 2)),
        "k3": h.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 2)),
        "k4": h.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 2),
                     closed=date(2025, 10, 1), reason="ended_early"),
        "m1": h.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 2),
                     rematched=date(2025, 5, 1)),
        "m2": h.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 2),
                     closed=date(2025, 6, 1), reason="withdrawn"),
        "m3": h.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 2)),
        "x": h.pair(matched=date(2025, 1, 1), activated=date(2025, 1, 2)),
    }  # fmt: skip
    judged(h, p["k1"], [True, True, True])
    judged(h, p["k2"], [True, False, True])
    judged(h, p["k3"], [False, True, True])
    judged(h, p["k4"], [True, True, True])
    judged(h, p["m1"], [True, False, False])
    judged(h, p["m2"], [False, False, False])
    judged(h, p["m3"], [True, False])
    for key, ratings in {"k1": [8], "k2": [8, 10], "k3": [7], "k4": [8],
                         "m1": [5], "m2": [6], "m3": [4]}.items():  # fmt: skip
        for day, rating in enumerate(ratings, start=1):
            h.rating(p[key], "mentee", date(2025, 4, day), rating)
    return p


def interventions(history: History, p: dict[str, int]) -> None:
    """missed_meetings: k1 resolved after 19 days, k2 only after 92 (neither, within 60),
    m1 re-matched and m2 withdrawn within 60: 1 of 4 known resolved; one more use on December
    15th is pending (its 60 days run past the period). no_chemistry: three resolves (3 of 3).
    No sign named: one use, nothing followed (0 of 1)."""
    h = history
    h.intervention(p["k1"], date(2025, 3, 1), "missed_meetings")
    h.moved(p["k1"], date(2025, 3, 20), "resolve", "at_risk", "active")
    h.intervention(p["k2"], date(2025, 3, 1), "missed_meetings")
    h.moved(p["k2"], date(2025, 6, 1), "resolve", "at_risk", "active")
    h.intervention(p["m1"], date(2025, 4, 10), "missed_meetings")
    h.moved(p["m1"], date(2025, 5, 1), "rematch", "at_risk", "rematched")
    h.intervention(p["m2"], date(2025, 5, 20), "missed_meetings")
    h.moved(p["m2"], date(2025, 6, 1), "withdraw", "at_risk", "closed")
    for key, on in (("k3", date(2025, 2, 1)), ("k4", date(2025, 2, 1)), ("m3", date(2025, 7, 1))):
        h.intervention(p[key], on, "no_chemistry")
        h.moved(p[key], on.replace(day=on.day + 4), "resolve", "at_risk", "active")
    h.intervention(p["k1"], date(2025, 8, 1))
    h.intervention(p["k3"], date(2025, 12, 15), "missed_meetings")


def meeting_check(insights):
    return next(c for c in insights.evidence.checks if c.rule == "meeting_requirement")


def test_pairs_are_grouped_by_whether_they_met_the_requirement_in_most_months():
    history = History.new(insights_min_group=3)
    kept_and_missed(history)
    check = meeting_check(compute(program_id=history.program.id, period=YEAR))
    # Half the months (m3: 1 of 2) is not most; the pair never judged is in neither group.
    assert (check.kept.pairs, check.missed.pairs) == (4, 3)
    assert (check.kept.ended_early, check.missed.ended_early) == (1, 2)


def test_early_endings_are_compared_with_newcombes_interval():
    history = History.new(insights_min_group=3)
    kept_and_missed(history)
    check = meeting_check(compute(program_id=history.program.id, period=YEAR))
    assert check.closure is not None
    assert (check.closure.first, check.closure.second) == pytest.approx((1 / 4, 2 / 3))
    assert check.closure.difference == pytest.approx(1 / 4 - 2 / 3)
    assert check.closure == proportion_difference(Share(1, 4), Share(2, 3), 3)


def test_ratings_are_compared_by_each_pairs_mean_with_welchs_interval():
    history = History.new(insights_min_group=3)
    kept_and_missed(history)
    check = meeting_check(compute(program_id=history.program.id, period=YEAR))
    assert check.kept.ratings == (8, 9, 7, 8) and check.missed.ratings == (5, 6, 4)
    assert check.rating is not None
    assert (check.rating.first, check.rating.second, check.rating.difference) == (8, 5, 3)
    assert check.rating == mean_difference([8, 9, 7, 8], [5, 6, 4], 3)


def test_the_page_says_it_in_plain_words():
    history = History.new(insights_min_group=3)
    kept_and_missed(history)
    lines = rule_sentences(compute(program_id=history.program.id, period=YEAR))
    check = proportion_difference(Share(1, 4), Share(2, 3), 3)
    assert check is not None and check.low < 0 < check.high
    assert lines[0] == (
        "Pairs that met the meeting requirement in most months ended early 25% of the time, "
        "against 67% for the others (4 and 3 pairs): 42 points fewer, but the 95% CI runs "
        f"from {abs(check.low) * 100:.0f} points fewer to {check.high * 100:.0f} points more: "
        "too uncertain to tell."
    )
    rating = mean_difference([8, 9, 7, 8], [5, 6, 4], 3)
    assert rating is not None and rating.clear
    assert lines[1] == (
        "Those pairs rated the relationship 8.0 out of 10 on average, against 5.0 for the "
        "others (4 and 3 pairs rated): 3.0 higher "
        f"(95% CI {rating.low:.1f} to {rating.high:.1f} higher)."
    )


def test_interventions_rank_by_the_share_resolved_within_sixty_days():
    history = History.new(insights_min_group=3)
    interventions(history, kept_and_missed(history))
    ranked = compute(program_id=history.program.id, period=YEAR).evidence.interventions
    assert [(r.key, r.used, r.resolved, r.ended, r.neither) for r in ranked] == [
        ("no_chemistry", 3, 3, 0, 0),
        ("missed_meetings", 5, 1, 2, 1),
        ("none", 1, 0, 0, 1),
    ]
    assert [r.share for r in ranked] == [1.0, 0.25, None]


def test_the_comparison_is_suppressed_when_a_group_is_below_the_minimum():
    history = History.new(insights_min_group=4)
    interventions(history, kept_and_missed(history))
    insights = compute(program_id=history.program.id, period=YEAR)
    check = meeting_check(insights)
    assert check.closure is None and check.rating is None
    assert rule_sentences(insights)[0] == (
        "Pairs that met the meeting requirement in most months: too few pairs to compare "
        "(4 kept it, fewer than 4 did not; no figure is shown from fewer than 4)."
    )
    by_key = {t.key: t for t in tables(insights)}
    row = by_key["rules_closure"].rows[0]
    assert row[1] == 4 and row[2] == 0.25
    # The small group's size is hidden too: with the whole's, it would give its members away.
    assert isinstance(row[3], Hidden) and isinstance(row[4], Hidden)
    assert all(isinstance(cell, Hidden) for cell in row[5:])
    # missed_meetings has 4 uses known (one pending); no_chemistry only 3: ranked alone.
    used = [r[1] for r in by_key["interventions"].rows]
    assert used[0] == 5 and all(isinstance(u, Hidden) for u in used[1:])
    assert by_key["interventions"].rows[0][5] == 0.25
    assert all(isinstance(r[5], Hidden) for r in by_key["interventions"].rows[1:])


def test_the_export_holds_the_comparison(coordinator_console):
    history = History.new(insights_min_group=3)
    kept_and_missed(history)
    response = coordinator_console.get(
        f"/console/programs/{history.program.id}/insights/rules_closure.csv"
        "?since=2025-01-01&until=2025-12-31"
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["Rule", "Pairs that kept it", "Ended early (kept)"]
    assert rows[1][:5] == ["Meeting requirement", "4", "0.25", "3", "0.6667"]
    assert float(rows[1][5]) == pytest.approx(-0.4167, abs=1e-4)
    xlsx = coordinator_console.get(
        f"/console/programs/{history.program.id}/insights/rules_closure.xlsx"
        "?since=2025-01-01&until=2025-12-31"
    )
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    assert sheet is not None
    values = [row for row in sheet.iter_rows(values_only=True) if row[0] == "Meeting requirement"]
    assert values[0][1:5] == (4, 0.25, 3, 0.6667)


def test_the_page_has_the_section(coordinator_console):
    history = History.new(insights_min_group=3)
    kept_and_missed(history)
    page = coordinator_console.get(
        f"/console/programs/{history.program.id}/insights?since=2025-01-01&until=2025-12-31"
    ).get_data(as_text=True)
    assert ">Do our rules work?</h2>" in page
    assert "ended early 25% of the time, against 67% for the others" in page


@pytest.fixture
def coordinator_console(make_staff, console_as):
    return console_as(make_staff("coordinator"))
