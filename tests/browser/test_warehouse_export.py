"""The warehouse export in a real browser: an admin goes from the insights page to the
export's form, downloads the ZIP, then gives a time the form refuses and reads why. At a
desktop's width (1440 px) and a phone's (375 px), with no serious accessibility finding and
nothing wider than the screen."""

from __future__ import annotations

import json
import zipfile

import pytest
from playwright.sync_api import expect

from service import demo_history
from tests.helpers.browser import serious_violations, sign_in
from tests.helpers.staff import create_staff

pytestmark = pytest.mark.slow

WIDTHS = ((1440, 900), (375, 812))


def test_an_admin_downloads_the_warehouse_export(app, live_server, pages, screenshots, tmp_path):
    with app.app_context():
        program_id = demo_history.load(pairs=40).id
    page = pages.open(viewport={"width": 1440, "height": 900})
    sign_in(page, live_server, create_staff(app, name="Ada Admin", role="admin"))

    page.goto(f"{live_server}/console/programs/{program_id}/insights")
    page.get_by_role("link", name="Warehouse export").click()
    expect(page.locator("h1")).to_have_text("Warehouse export: Northside Mentoring (insights demo)")
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        assert serious_violations(page) == []
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"the export page is {overflow} px wide on a {width} px screen"
        page.screenshot(path=screenshots / f"warehouse-export-{width}.png", full_page=False)

    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_label("Format").select_option("parquet")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download the ZIP").click()
    download = downloading.value
    assert download.suggested_filename.startswith("northside-insights-demo-warehouse-start-to-")
    with zipfile.ZipFile(download.path()) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format"] == "parquet" and "pairs.parquet" in archive.namelist()

    # A time it cannot read: the form again, the message beside the field and in the summary.
    page.goto(f"{live_server}/console/programs/{program_id}/warehouse-export")
    page.get_by_label("Changed after").fill("last Tuesday")
    page.get_by_role("button", name="Download the ZIP").click()
    expect(page.locator("#since-error")).to_contain_text("use a time like 2026-11-01T00:00:00Z")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_label("Changed after")).to_have_value("last Tuesday")
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        assert serious_violations(page) == []
        # Not one of the site's pictures: it stays with the test.
        page.screenshot(path=tmp_path / f"warehouse-export-error-{width}.png", full_page=False)
