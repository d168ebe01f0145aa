"""Lists as files a spreadsheet opens: CSV (UTF-8 with a byte-order mark, which Excel needs
to read accents) and XLSX (openpyxl, written a row at a time).

A cell whose text begins with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a
formula in a spreadsheet (a participant named "=HYPERLINK(...)"): in CSV it is prefixed with
an apostrophe, as OWASP recommends; in XLSX it is written as text, so it shows as typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from flask import Response

FORMATS = ("csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_defused(_plain(value)) for value in row])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def looks_like_a_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def _defused(value: Any) -> Any:
    return "'" + value if looks_like_a_formula(value) else value


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    # Imported when a workbook is asked for: openpyxl (with Pillow, which it loads) holds
    # about 28 MB in every process that imports it, and most never write one.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    def cell(sheet: Any, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = WriteOnlyCell(sheet, value=value)
        text.data_type = "s"  # text, even when it looks like a formula
        return text

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([cell(sheet, _plain(value)) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(fmt: str, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """`rows` as `name`.csv or `name`.xlsx, offered for download."""
    if fmt == "xlsx":
        body, mimetype = xlsx_bytes(name, header, rows), _XLSX
    else:
        body, mimetype = csv_bytes(header, rows), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
