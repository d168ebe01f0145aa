"""The insights page of a program in the console, and its exports: each chart beside its data
table, the filters applied, and figures from small groups left out everywhere."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from service.insights.tables import Hidden, count_cells
from tests.helpers.history import History
from tests.insights.test_figures import five_matches

pytestmark = pytest.mark.usefixtures("app_context")

YEAR = "since=2025-01-01&until=2025-12-31"


@pytest.fixture
def coordinator(make_staff, console_as):
    return console_as(make_staff("coordinator"))


def test_the_page_shows_each_chart_with_its_data_table(coordinator):
    history = History.new()
    five_matches(history)
    page = coordinator.page(f"/console/programs/{history.program.id}/insights?{YEAR}")
    assert '<h2 id="section-1">Match duration</h2>' in page
    assert 'role="img"' in page and '<title id="survival-chart-title">' in page
    # The Kaplan-Meier steps, as worked out by hand: 80%, 60%, 30%, 30%.
    assert '<th scope="row">90</th><td>2</td><td>1</td><td>0</td><td>30%</td>' in page
    assert "Median length of a match (days)</th><td>90.0</td>" in page


def test_a_figure_from_fewer_pairs_than_the_minimum_reads_fewer_than(coordinator):
    history = History.new()  # the default minimum: 5
    five_matches(history)
    page = coordinator.page(
        f"/console/programs/{history.program.id}/insights?since=2025-01-01&until=2025-06-30"
    )
    # Three matches in the first half of the year: no median, no curve, no shares.
    assert "Median length of a match (days)</th><td>fewer than 5</td>" in page
    assert '<title id="survival-chart-title">' not in page
    assert "30%" not in page


def test_the_csv_export_holds_the_filtered_table(coordinator):
    history = History.new()
    five_matches(history)
    response = coordinator.get(
        f"/console/programs/{history.program.id}/insights/survival.csv?{YEAR}"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "2025-01-01-to-2025-12-31.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "Days since the match"
    assert [row[0] for row in rows[1:]] == ["30", "60", "90", "120"]
    assert [row[4] for row in rows[1:]] == ["0.8", "0.6", "0.3", "0.3"]


def test_the_csv_export_leaves_small_groups_out(coordinator):
    history = History.new()
    five_matches(history)
    response = coordinator.get(
        f"/console/programs/{history.program.id}/insights/duration.csv"
        "?since=2025-01-01&until=2025-06-30"
    )
    rows = {
        row[0]: row[1] for row in csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")))
    }
    assert rows["Median length of a match (days)"] == "fewer than 5"
    assert rows["Share closed before 3 months"] == "fewer than 5"


def test_the_xlsx_export_opens_with_the_filters_and_the_figures(coordinator):
    history = History.new()
    five_matches(history)
    response = coordinator.get(
        f"/console/programs/{history.program.id}/insights/duration.xlsx?{YEAR}"
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ["From", "2025-01-01", None] in values
    assert ["To", "2025-12-31", None] in values
    assert ["Median length of a match (days)", 90, 5] in values
    assert ["Share closed before 3 months", "fewer than 5", 4] in values


def test_the_xlsx_export_leaves_small_groups_out(coordinator):
    history = History.new(insights_min_group=10)
    five_matches(history)
    response = coordinator.get(
        f"/console/programs/{history.program.id}/insights/survival.xlsx?{YEAR}"
    )
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    cells = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "fewer than 10" in cells
    assert 0.8 not in cells


def test_a_coordinator_filter_narrows_the_matches(coordinator, make_staff):
    history = History.new(insights_min_group=1)
    other = make_staff("coordinator")
    five_matches(history, coordinator_id=other.id)
    page = coordinator.page(
        f"/console/programs/{history.program.id}/insights?{YEAR}&coordinator={other.id}"
    )
    assert "the coordinator chosen: <strong>2</strong>" in page


def test_a_period_that_ends_before_it_starts_is_refused_on_the_page(coordinator):
    history = History.new()
    response = coordinator.get(
        f"/console/programs/{history.program.id}/insights?since=2025-06-01&until=2025-01-01"
    )
    assert response.status_code == 422
    assert "The period must start on or before its last day." in response.get_data(as_text=True)


def test_a_date_that_is_not_one_is_refused_on_the_page(coordinator):
    history = History.new()
    response = coordinator.get(f"/console/programs/{history.program.id}/insights?since=soon")
    assert response.status_code == 422
    assert "From: use a date like 2026-12-01." in response.get_data(as_text=True)


def test_support_staff_cannot_open_insights(make_staff, console_as):
    history = History.new()
    support = console_as(make_staff("support"))
    assert support.get(f"/console/programs/{history.program.id}/insights").status_code == 403


def test_an_unknown_program_or_table_is_not_found(coordinator):
    history = History.new()
    assert coordinator.get("/console/programs/999999/insights").status_code == 404
    assert (
        coordinator.get(f"/console/programs/{history.program.id}/insights/nothing.csv").status_code
        == 404
    )


def test_the_programs_page_links_to_each_programs_insights(coordinator):
    history = History.new()
    page = coordinator.page("/console/programs")
    assert f'href="/console/programs/{history.program.id}/insights"' in page


def test_a_program_without_matches_shows_empty_tables(coordinator):
    history = History.new()
    page = coordinator.page(f"/console/programs/{history.program.id}/insights")
    assert "<strong>0</strong>" in page
    assert "Nothing in this period." in page


def test_counts_that_add_up_to_a_total_hide_a_second_one_with_a_lone_small_one():
    assert count_cells([3, 2, 1], 2) == [3, Hidden(2, shields=True), Hidden(2)]
    assert count_cells([3, 1, 1], 2) == [3, Hidden(2), Hidden(2)]  # two hidden already
    assert count_cells([3, 0, 1], 2) == [Hidden(2, shields=True), 0, Hidden(2)]
    assert str(Hidden(2, shields=True)) == "left out to protect a small group"
