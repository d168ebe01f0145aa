"""Outcome measures in the insights: on a hand-made history of mentees answering the outcome
survey at the start and six months on, the scale scores, the change and its interval equal
the values worked out by hand here; below the program's minimum group nothing is shown, on
the page, in the API or in the exports."""

from __future__ import annotations

import csv
import io
import math
import secrets
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from service.actors import ActorRef
from service.database import db
from service.insights.figures import Period, compute
from service.pairs.models import Pair
from service.surveys.models import Invitation, SurveyResponse
from service.surveys.versions import ensure_standard_version
from tests.helpers import Api
from tests.helpers.history import History, at

pytestmark = pytest.mark.usefixtures("app_context")

YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))
QUERY = "since=2025-01-01&until=2025-12-31"
_TEST = ActorRef("system", None, "a hand-made history")

# The confidence scale: solve_problems, try_new_things, give_up_easily (reverse-scored: on a
# 1-5 Likert scale an answer a counts 6 - a), reach_goals. Each mentee's answers at the start
# and six months on, in that order, with the scores worked out by hand.
CONFIDENCE = [
    ((2, 2, 4, 2), (3, 3, 3, 3)),  # (2+2+2+2)/4 = 2.0  -> 3.0:  +1.0
    ((3, 3, 3, 3), (4, 4, 2, 4)),  # 3.0                -> 4.0:  +1.0
    ((2, 3, 4, 3), (3, 3, 3, 3)),  # (2+3+2+3)/4 = 2.5  -> 3.0:  +0.5
    ((4, 4, 2, 4), (4, 4, 2, 4)),  # 4.0                -> 4.0:   0.0
    ((1, 2, 5, 1), (2, 2, 4, 2)),  # (1+2+1+1)/4 = 1.25 -> 2.0:  +0.75
]
ITEMS = ("solve_problems", "try_new_things", "give_up_easily", "reach_goals")
BASELINE_MEAN = (2.0 + 3.0 + 2.5 + 4.0 + 1.25) / 5  # 2.55
SIX_MONTH_MEAN = (3.0 + 4.0 + 3.0 + 4.0 + 2.0) / 5  # 3.2
CHANGES = (1.0, 1.0, 0.5, 0.0, 0.75)
MEAN_CHANGE = sum(CHANGES) / 5  # 0.65
# The paired t interval: mean ± t(0.975, 4) · s/√5, s the changes' standard deviation.
T_975_4 = 2.7764451051977987
SD = math.sqrt(sum((c - MEAN_CHANGE) ** 2 for c in CHANGES) / 4)  # √0.175
HALF = T_975_4 * SD / math.sqrt(5)  # 0.5194


def answered(history: History, pair_id: int, occasion: str, on: date, answers: dict) -> None:
    """The mentee's answers to the outcome survey sent for `occasion`."""
    pair = db.session.get(Pair, pair_id)
    assert pair is not None
    version = ensure_standard_version("outcomes_mentee")
    invitation = Invitation(
        nonce=secrets.token_urlsafe(16),
        survey_version_id=version.id,
        participant_id=pair.mentee_id,
        pair_id=pair_id,
        expires_at=at(on + timedelta(days=14)),
        occasion=occasion,
        created_by=_TEST,
    )
    db.session.add(invitation)
    db.session.flush()
    db.session.add(
        SurveyResponse(
            invitation_id=invitation.id,
            survey_version_id=version.id,
            survey_key="outcomes_mentee",
            purpose="outcome_measure",
            participant_id=pair.mentee_id,
            respondent_role="mentee",
            pair_id=pair_id,
            answers=answers,
            submitted_at=at(on),
        )
    )
    db.session.commit()


def measured(history: History) -> list[int]:
    """Five mentees measured at the start and six months on (CONFIDENCE), and a sixth whose
    six-month answers leave three of the four confidence items out: no score, not counted."""
    pairs = []
    for start, later in CONFIDENCE:
        pair_id = history.pair(matched=date(2025, 1, 6), activated=date(2025, 1, 13))
        answered(
            history, pair_id, "baseline", date(2025, 1, 14), dict(zip(ITEMS, start, strict=True))
        )
        answered(
            history, pair_id, "month_6", date(2025, 7, 14), dict(zip(ITEMS, later, strict=True))
        )
        pairs.append(pair_id)
    sixth = history.pair(matched=date(2025, 1, 6), activated=date(2025, 1, 13))
    answered(
        history, sixth, "baseline", date(2025, 1, 14), dict(zip(ITEMS, (3, 3, 3, 3), strict=True))
    )
    answered(history, sixth, "month_6", date(2025, 7, 14), {"solve_problems": 5})
    return [*pairs, sixth]


def confidence_at_six_months(insights):
    return next(
        row
        for row in insights.outcomes
        if row.part.key == "confidence" and row.occasion == "month_6"
    )


def test_the_change_in_a_scale_and_its_interval_equal_the_values_worked_out_by_hand():
    history = History.new()
    measured(history)
    row = confidence_at_six_months(compute(program_id=history.program.id, period=YEAR))
    assert row.respondents == 5
    assert row.change is not None
    assert row.change.before == pytest.approx(BASELINE_MEAN)
    assert row.change.after == pytest.approx(SIX_MONTH_MEAN)
    assert row.change.change == pytest.approx(0.65)
    assert (row.change.low, row.change.high) == pytest.approx((0.65 - HALF, 0.65 + HALF))
    assert (round(row.change.low, 3), round(row.change.high, 3)) == (0.131, 1.169)


def test_every_scale_subscale_and_occasion_of_the_program_has_a_row():
    history = History.new()
    measured(history)
    insights = compute(program_id=history.program.id, period=YEAR)
    keys = {(row.part.key, row.occasion) for row in insights.outcomes}
    parts = {"confidence", "connectedness", "connectedness.support",
             "connectedness.belonging", "hope"}  # fmt: skip
    assert keys == {(p, o) for p in parts for o in ("month_6", "month_12", "closure")}
    # Nobody answered the other scales' questions: no respondents, no figures.
    hope = next(r for r in insights.outcomes if r.part.key == "hope" and r.occasion == "month_6")
    assert (hope.respondents, hope.change) == (0, None)


def test_answers_given_after_the_period_are_left_out():
    history = History.new()
    measured(history)
    insights = compute(
        program_id=history.program.id, period=Period(date(2025, 1, 1), date(2025, 6, 30))
    )
    row = confidence_at_six_months(insights)
    assert (row.respondents, row.change) == (0, None)


def test_fewer_respondents_than_the_minimum_give_no_figure():
    history = History.new(insights_min_group=6)
    measured(history)
    row = confidence_at_six_months(compute(program_id=history.program.id, period=YEAR))
    assert row.respondents == 5 and row.change is None


def test_a_program_that_measured_nothing_has_no_outcome_rows():
    history = History.new()
    history.pair(matched=date(2025, 1, 6), activated=date(2025, 1, 13))
    assert compute(program_id=history.program.id, period=YEAR).outcomes == []


# -- the page, the API and the exports -------------------------------------------------------


@pytest.fixture
def coordinator(make_staff, console_as):
    return console_as(make_staff("coordinator"))


def test_the_page_has_an_outcomes_section_with_the_change_per_scale(coordinator):
    history = History.new()
    measured(history)
    page = coordinator.page(f"/console/programs/{history.program.id}/insights?{QUERY}")
    assert ">Outcomes</h2>" in page
    assert (
        '<th scope="row">Confidence in myself</th><td>6 months</td><td>5</td><td>2.55</td>'
        "<td>3.20</td><td>+0.65</td><td>+0.13</td><td>+1.17</td>"
    ) in page
    assert '<th scope="row">Feeling connected: Belonging</th><td>At closure</td>' in page


def test_the_page_reads_fewer_than_the_minimum_for_a_small_group(coordinator):
    history = History.new(insights_min_group=6)
    measured(history)
    page = coordinator.page(f"/console/programs/{history.program.id}/insights?{QUERY}")
    assert (
        '<th scope="row">Confidence in myself</th><td>6 months</td><td>fewer than 6</td>'
        + "<td>fewer than 6</td>" * 5
    ) in page
    assert "2.55" not in page


def test_the_api_gives_the_change_per_scale_and_occasion(client, make_token):
    history = History.new()
    measured(history)
    reader = Api(client, make_token("programs:read"))
    body = reader.ok(
        "get", f"/programs/{history.program.id}/insights?from=2025-01-01&to=2025-12-31"
    )
    row = next(
        r for r in body["outcomes"] if r["scale"] == "confidence" and r["occasion"] == "month_6"
    )
    assert row["months"] == 6 and row["respondents"] == 5 and not row["suppressed"]
    assert row["title"] == "Confidence in myself" and row["subscale_of"] is None
    assert (row["baseline_mean"], row["mean"], row["change"]) == pytest.approx((2.55, 3.2, 0.65))
    assert (row["low"], row["high"]) == pytest.approx((0.65 - HALF, 0.65 + HALF))
    sub = next(r for r in body["outcomes"] if r["scale"] == "connectedness.support")
    assert sub["subscale_of"] == "Feeling connected"


def test_the_api_gives_null_figures_below_the_minimum(client, make_token):
    history = History.new(insights_min_group=6)
    measured(history)
    reader = Api(client, make_token("programs:read"))
    body = reader.ok(
        "get", f"/programs/{history.program.id}/insights?from=2025-01-01&to=2025-12-31"
    )
    row = next(
        r for r in body["outcomes"] if r["scale"] == "confidence" and r["occasion"] == "month_6"
    )
    assert row["suppressed"] and row["respondents"] is None
    assert {row[k] for k in ("baseline_mean", "mean", "change", "low", "high")} == {None}


def _csv(coordinator, history: History) -> list[list[str]]:
    response = coordinator.get(
        f"/console/programs/{history.program.id}/insights/outcomes.csv?{QUERY}"
    )
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_csv_export_holds_the_change_per_scale(coordinator):
    history = History.new()
    measured(history)
    rows = _csv(coordinator, history)
    assert rows[0][:3] == ["Scale", "Occasion", "Respondents"]
    row = next(r for r in rows if r[:2] == ["Confidence in myself", "6 months"])
    assert [float(v) for v in row[2:]] == pytest.approx(
        [5, 2.55, 3.2, 0.65, round(0.65 - HALF, 4), round(0.65 + HALF, 4)]
    )


def test_the_csv_and_xlsx_exports_leave_small_groups_out(coordinator):
    history = History.new(insights_min_group=6)
    measured(history)
    rows = _csv(coordinator, history)
    row = next(r for r in rows if r[:2] == ["Confidence in myself", "6 months"])
    assert row[2:] == ["fewer than 6"] * 6
    response = coordinator.get(
        f"/console/programs/{history.program.id}/insights/outcomes.xlsx?{QUERY}"
    )
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    row = next(r for r in values if r[:2] == ["Confidence in myself", "6 months"])
    assert row[2:] == ["fewer than 6"] * 6
    assert 2.55 not in [v for r in values for v in r]


def _report_text(coordinator, history: History) -> str:
    response = coordinator.get(
        f"/console/programs/{history.program.id}/insights/report.pdf?{QUERY}"
    )
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.get_data()))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.mark.long(20)
def test_the_funder_report_holds_the_outcomes_table(coordinator):
    history = History.new()
    measured(history)
    text = _report_text(coordinator, history)
    assert "Outcomes: change since the start, by scale" in text
    assert "Confidence in myself 6 months 5 2.55 3.20 +0.65 +0.13 +1.17" in text


@pytest.mark.long(20)
def test_the_funder_report_leaves_a_small_groups_outcomes_out(coordinator):
    history = History.new(insights_min_group=6)
    measured(history)
    text = _report_text(coordinator, history)
    assert "Confidence in myself 6 months fewer than 6" in text
    assert "2.55" not in text
