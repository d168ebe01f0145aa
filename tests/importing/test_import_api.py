"""POST /participants/imports: a dry run's report, all or nothing, and a job for large files."""

from __future__ import annotations

import io
import json

from tests.helpers.spreadsheets import HEADER, csv_bytes, people, xlsx_bytes


def _post(api, data: bytes, filename="people.csv", **form):
    fields = {
        k: (
            json.dumps(v)
            if isinstance(v, dict)
            else str(v).lower()
            if isinstance(v, bool)
            else str(v)
        )
        for k, v in form.items()
    }
    return api.client.post(
        "/api/v1/participants/imports",
        data={**fields, "file": (io.BytesIO(data), filename)},
        headers=api._headers(),
        content_type="multipart/form-data",
    )


def test_a_dry_run_reports_every_invalid_row_and_writes_nothing(api, world):
    rows = [HEADER, *people(3), ["Bad", "nope", "mentor", "", "", 1]]
    response = _post(api, csv_bytes(rows), program_id=world.program["id"], dry_run=True)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["created"], report["imported"]) == (3, False)
    assert report["errors"] == [
        {"line": 5, "messages": ["E-mail address: Not a valid e-mail address."]}
    ]
    assert (
        api.ok("get", f"/participants?program_id={world.program['id']}&q=example.org&per_page=100")[
            "items"
        ].__len__()
        == 6
    )


def test_an_import_with_an_invalid_row_is_refused_whole(api, world):
    rows = [HEADER, *people(3), ["Bad", "nope", "mentor", "", "", 1]]
    response = _post(api, csv_bytes(rows), program_id=world.program["id"])
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["type"] == "/problems/validation-error"
    assert problem["errors"][0]["field"] == "line 5"


def test_an_xlsx_import_creates_the_participants(api, world):
    response = _post(
        api, xlsx_bytes([HEADER, *people(2)]), "people.xlsx", program_id=world.program["id"]
    )
    assert response.status_code == 200
    assert response.get_json()["created"] == 2
    found = api.ok("get", "/participants?q=mentor0@example.org")["items"]
    assert [p["intake_state"] for p in found] == ["approved"]


def test_a_mapping_names_the_columns(api, world):
    rows = [["Who", "Address"], ["Ada Lund", "ada@example.org"]]
    response = _post(
        api, csv_bytes(rows), program_id=world.program["id"], role="mentee",
        mapping={"Who": "full_name", "Address": "email"},
    )  # fmt: skip
    assert response.get_json()["created"] == 1


def test_a_mapping_that_is_not_json_is_a_422(api, world):
    response = _post(api, csv_bytes([HEADER]), program_id=world.program["id"], mapping="{nope")
    assert response.status_code == 422


def test_a_large_file_is_imported_by_a_job_with_its_progress(api, world, drain):
    rows = [HEADER, *people(2001)]
    response = _post(api, csv_bytes(rows), program_id=world.program["id"])
    assert response.status_code == 202
    job = response.get_json()
    assert (job["status"], job["total"]) == ("queued", 2001)
    drain()
    finished = api.ok("get", f"/participants/imports/{job['job_id']}")
    assert (finished["status"], finished["done"], finished["report"]["created"]) == (
        "finished",
        2001,
        2001,
    )


def test_an_unknown_import_is_a_404(api):
    assert api.get("/participants/imports/import-0000").status_code == 404
