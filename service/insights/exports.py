"""One insights table as a file: CSV (written as every list's is, `service.exports`) or
XLSX (openpyxl), with the filters it was computed under written above it. A figure left
out for a small group is written "fewer than N", never its value."""

from __future__ import annotations

import io
from datetime import date

from service.exports import csv_bytes, looks_like_a_formula
from service.insights.tables import Cell, Hidden, Kind, Table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _raw(value: Cell) -> str | int | float | None:
    if isinstance(value, Hidden):
        return str(value)
    if isinstance(value, float):
        return round(value, 4)
    return value


def to_csv(table: Table, filters: list[tuple[str, str]]) -> bytes:
    rows = (["" if (v := _raw(value)) is None else v for value in row] for row in table.rows)
    return csv_bytes([col.title for col in table.columns], rows)


def to_xlsx(table: Table, filters: list[tuple[str, str]]) -> bytes:
    # Imported when a workbook is asked for, as `service.exports` does (memory).
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.key[:31]
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True)
    for name, value in filters:
        sheet.append([name, value])
    sheet.append([])
    sheet.append([col.title for col in table.columns])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for r, row in enumerate(table.rows):
        sheet.append([_raw(value) for value in row])
        for c, cell in enumerate(sheet[sheet.max_row]):
            if looks_like_a_formula(cell.value):  # a name is text, never run
                cell.data_type = "s"
            kind = table.kind(r, c)
            if kind == Kind.SHARE and isinstance(cell.value, float):
                cell.number_format = "0.0%"
            elif kind in (Kind.NUMBER, Kind.DAYS) and isinstance(cell.value, float):
                cell.number_format = "0.0"
            elif kind == Kind.SCORE and isinstance(cell.value, float):
                cell.number_format = "0.00"
            elif kind == Kind.CHANGE and isinstance(cell.value, float):
                cell.number_format = "+0.00;-0.00;0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(program_slug: str, table: Table, since: date | None, until: date, ext: str) -> str:
    start = since.isoformat() if since else "start"
    return f"{program_slug}-{table.key}-{start}-to-{until.isoformat()}.{ext}"
