"""The funder report: the insights of a period as a PDF, from the console, the API and the
CLI. Each PDF is opened with pypdf and its text read back: the program, the period, the
figures `compute` gives, and "fewer than N" where a group is too small, never its value."""

from __future__ import annotations

import io
from datetime import date

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from service.cli import cli
from service.insights.figures import Period, compute
from service.insights.tables import rule_sentences
from tests.helpers import Api
from tests.helpers.history import History
from tests.insights.test_figures import five_matches
from tests.insights.test_rules import kept_and_missed

# Each report takes WeasyPrint about a second to lay out.
pytestmark = pytest.mark.long(20)

YEAR = "since=2025-01-01&until=2025-12-31"


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    # Lines broken across table cells and pages read as one run of words.
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def coordinator(app_context, make_staff, console_as):
    return console_as(make_staff("coordinator"))


@pytest.fixture
def reader(app_context, client, make_token):
    return Api(client, make_token("programs:read"))


def test_the_consoles_report_holds_the_program_the_period_and_the_figures(coordinator):
    history = History.new()
    five_matches(history)
    insights = compute(
        program_id=history.program.id, period=Period(date(2025, 1, 1), date(2025, 12, 31))
    )
    response = coordinator.get(f"/console/programs/{history.program.id}/insights/report.pdf?{YEAR}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert (
        f'filename="{history.program.slug}-funder-report-2025-01-01-to-2025-12-31.pdf"'
        in response.headers["Content-Disposition"]
    )
    text = _text(response.get_data())
    assert history.program.name in text
    assert "Matches made from 2025-01-01 to 2025-12-31" in text
    assert f"the program made {insights.matches} matches" in text
    # The median and the shares, as `compute` gives them (worked out by hand in test_figures).
    assert insights.median_days.value == 90.0
    assert "Half of the matches lasted at least 90 days." in text
    assert "Median length of a match (days) 90.0 5" in text
    assert insights.rematch_rate.value == pytest.approx(0.2)
    assert "Share of matches that ended in a re-match 20% 5" in text
    # The survival curve at 1 and 3 months: 80% still going after 30 days, 30% after 91.
    assert "1 month (30 days) 4 80%" in text
    assert "3 months (91 days) 1 30%" in text


def test_the_report_says_whether_the_rules_work_in_plain_words(coordinator):
    history = History.new(insights_min_group=3)
    kept_and_missed(history)
    insights = compute(
        program_id=history.program.id, period=Period(date(2025, 1, 1), date(2025, 12, 31))
    )
    text = _text(
        coordinator.get(
            f"/console/programs/{history.program.id}/insights/report.pdf?{YEAR}"
        ).get_data()
    )
    assert "Do our rules work?" in text
    assert " ".join(rule_sentences(insights)[0].split()) in text
    assert "not an experiment" in text


def test_a_figure_from_a_small_group_reads_fewer_than_never_its_value(coordinator):
    history = History.new(insights_min_group=10)
    five_matches(history)
    response = coordinator.get(f"/console/programs/{history.program.id}/insights/report.pdf?{YEAR}")
    text = _text(response.get_data())
    assert "Median length of a match (days) fewer than 10 5" in text
    assert "How long a match lasts is left out: it would be drawn from fewer than 10" in text
    assert "90.0" not in text and "at least 90 days" not in text
    assert "80%" not in text and "20%" not in text


def test_a_coordinator_filter_narrows_the_report_and_names_them(coordinator, make_staff):
    history = History.new(insights_min_group=1)
    other = make_staff("coordinator")
    five_matches(history, coordinator_id=other.id)
    response = coordinator.get(
        f"/console/programs/{history.program.id}/insights/report.pdf?{YEAR}&coordinator={other.id}"
    )
    text = _text(response.get_data())
    assert f"looked after by {other.full_name}" in text
    assert "the program made 2 matches" in text and f"Coordinator {other.full_name}" in text


def test_the_page_links_to_the_report_with_its_filters(coordinator):
    history = History.new()
    page = coordinator.page(f"/console/programs/{history.program.id}/insights?{YEAR}")
    assert (
        f'href="/console/programs/{history.program.id}/insights/report.pdf'
        '?since=2025-01-01&amp;until=2025-12-31">'
        "Funder report (PDF)</a>"
    ) in page


def test_a_bad_period_for_the_report_is_a_form_error_on_the_page(coordinator):
    history = History.new()
    response = coordinator.get(
        f"/console/programs/{history.program.id}/insights/report.pdf"
        "?since=2025-06-01&until=2025-01-01"
    )
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "The period must start on or before its last day." in body
    # The filters, corrected, go back to the insights page.
    assert f'action="/console/programs/{history.program.id}/insights"' in body


def test_support_staff_cannot_download_the_report(app_context, make_staff, console_as):
    history = History.new()
    support = console_as(make_staff("support"))
    response = support.get(f"/console/programs/{history.program.id}/insights/report.pdf")
    assert response.status_code == 403


def test_the_api_returns_the_report_as_a_pdf_with_its_name(reader):
    history = History.new()
    five_matches(history)
    response = reader.get(
        f"/programs/{history.program.id}/insights/report?from=2025-01-01&to=2025-12-31"
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{history.program.slug}-funder-report-2025-01-01-to-2025-12-31.pdf"'
    )
    text = _text(response.get_data())
    assert history.program.name in text and "Median length of a match (days) 90.0 5" in text


def test_the_api_refuses_a_bad_period_as_a_problem(reader):
    history = History.new()
    response = reader.get(
        f"/programs/{history.program.id}/insights/report?from=2025-06-01&to=2025-01-01"
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].endswith("validation-error")


def test_the_api_report_needs_the_programs_read_scope(app_context, client, make_token):
    history = History.new()
    api = Api(client, make_token("pairs:read"))
    assert api.get(f"/programs/{history.program.id}/insights/report").status_code == 403


def test_a_token_asking_for_reports_too_often_waits_and_another_token_goes_on(
    app, app_context, client, make_token, monkeypatch
):
    monkeypatch.setitem(app.config, "LIMIT_REPORTS", "1 per minute")
    history = History.new()
    busy, calm = (Api(client, make_token("programs:read")) for _ in range(2))
    report = f"/programs/{history.program.id}/insights/report"
    assert busy.get(report).status_code == 200

    refused = busy.get(report)

    assert refused.status_code == 429
    assert refused.json["type"] == "/problems/rate-limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert calm.get(report).status_code == 200
    # The rest of the API is not held back by the report's allowance.
    assert busy.get(f"/programs/{history.program.id}/insights").status_code == 200


def test_a_coordinator_asking_for_reports_too_often_is_told_to_wait_and_a_colleague_is_not(
    app, make_staff, console_as, monkeypatch
):
    # No app context held by the test: each console's requests get their own (and their
    # own signed-in user).
    monkeypatch.setitem(app.config, "LIMIT_REPORTS", "1 per minute")
    with app.app_context():
        program_id = History.new().program.id
    first, second = (console_as(make_staff("coordinator")) for _ in range(2))
    report = f"/console/programs/{program_id}/insights/report.pdf"
    assert first.get(report).status_code == 200

    refused = first.get(report)

    assert refused.status_code == 429
    assert "Please wait a minute, then download it again." in refused.get_data(as_text=True)
    assert second.get(report).status_code == 200


def _report(service_env, *args: str):
    return CliRunner().invoke(
        cli, ["insights-report", *args], env=service_env, catch_exceptions=False
    )


def test_the_command_writes_the_report(app, service_env, tmp_path):
    with app.app_context():
        history = History.new()
        five_matches(history)
        program_id, name = history.program.id, history.program.name
    output = tmp_path / "report.pdf"
    result = _report(
        service_env, "--program", str(program_id), "--from", "2025-01-01", "--to", "2025-12-31",
        "--output", str(output),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "(5 matches)" in result.output
    text = _text(output.read_bytes())
    assert name in text and "Matches made from 2025-01-01 to 2025-12-31" in text
    assert "Median length of a match (days) 90.0 5" in text


def test_the_command_says_what_is_wrong_with_a_bad_period(app, service_env, tmp_path):
    with app.app_context():
        program_id = History.new().program.id
    output = tmp_path / "report.pdf"
    backwards = _report(
        service_env, "--program", str(program_id), "--from", "2025-06-01", "--to", "2025-01-01",
        "--output", str(output),
    )  # fmt: skip
    assert backwards.exit_code == 1
    assert "The period must start on or before its last day" in backwards.output
    not_a_date = _report(
        service_env, "--program", str(program_id), "--from", "soon", "--output", str(output)
    )
    assert not_a_date.exit_code == 2 and "Invalid value for '--from'" in not_a_date.output
    unknown = _report(service_env, "--program", "999999", "--output", str(output))
    assert unknown.exit_code == 1 and "There is no program 999999." in unknown.output
    assert not output.exists()


def test_a_program_without_matches_still_gets_a_report(reader):
    history = History.new()
    response = reader.get(f"/programs/{history.program.id}/insights/report")
    assert response.status_code == 200
    text = _text(response.get_data())
    assert "the program made 0 matches; 0 of them ended" in text
    assert "Nothing in this period." in text
