"""Spreadsheets to import: CSV text and XLSX workbooks made here, in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence


def csv_bytes(rows: Sequence[Sequence[object]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HEADER = ["Full name", "E-mail", "Role", "Phone", "Goals", "Capacity"]


def people(count: int, role: str = "mentor", start: int = 0) -> list[list[object]]:
    return [
        [f"{role.title()} {i}", f"{role}{i}@example.org", role, "", "reading; careers", 2]
        for i in range(start, start + count)
    ]
