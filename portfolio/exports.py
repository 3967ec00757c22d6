"""Tables people open in Excel: CSV and XLSX from typed columns and rows, in bounded memory.

Every export (API lists, admin lists, dashboard tables) describes its columns once, with a
kind, and hands over its rows as an iterable; this module writes them:
- CSV starts with a UTF-8 byte-order mark, so Excel reads Chinese correctly, and is yielded
  row by row (a streaming response);
- XLSX is written by openpyxl's write-only workbook, which keeps rows in a temporary file, not
  in memory; money cells are numbers with two places, dates are dates;
- a text cell that starts with = + - @ (or a tab or carriage return) would be a formula in
  Excel: it is written with a leading apostrophe instead (OWASP's CSV injection advice).
"""

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from portfolio.money import money_round

Kind = Literal["text", "money", "number", "date", "datetime", "bool"]
CSV_BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
NUMBER_FORMATS = {"money": "#,##0.00", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: Kind = "text"


def safe_text(value: str) -> str:
    """Text that Excel shows as written, never runs as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def typed_value(value: object, kind: Kind) -> object:
    """A row's value (as a serializer or the ORM gives it) as the cell's Python value."""
    if value is None or value == "":
        return None
    if kind == "money":
        return money_round(Decimal(value))
    if kind == "number":
        return Decimal(value) if not isinstance(value, int | Decimal) else value
    if kind == "date":
        return value if isinstance(value, date) else parse_date(str(value))
    if kind == "datetime":
        moment = value if isinstance(value, datetime) else parse_datetime(str(value))
        # Excel has no time zones: the moment as read in the site's time zone (Asia/Shanghai).
        return timezone.localtime(moment).replace(tzinfo=None) if moment else None
    if kind == "bool":
        return bool(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv_cell(value: object, kind: Kind) -> str:
    value = typed_value(value, kind)
    if value is None:
        return ""
    if kind == "money":
        return f"{value:.2f}"
    if kind == "datetime":
        return value.isoformat(sep=" ", timespec="seconds")
    if kind == "bool":
        return "1" if value else "0"
    if kind == "text":
        return safe_text(value)
    return str(value)


def csv_lines(columns: Sequence[Column], rows: Iterable[dict]) -> Iterator[str]:
    """The CSV document line by line: the BOM and headers first, then one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: list[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield CSV_BOM + line([safe_text(str(c.header)) for c in columns])
    for row in rows:
        yield line([_csv_cell(row.get(c.key), c.kind) for c in columns])


def xlsx_file(columns: Sequence[Column], rows: Iterable[dict], *, title: str):
    """The XLSX document in a temporary file (positioned at its start), whatever the rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([safe_text(str(c.header)) for c in columns])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, row.get(c.key), c.kind) for c in columns])
    output = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook.save(output)
    output.seek(0)
    return output


def _xlsx_cell(sheet, value: object, kind: Kind):
    value = typed_value(value, kind)
    if kind == "text" and value is not None:
        value = safe_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    if kind in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[kind]
    return cell


EXPORT_FORMATS = ("csv", "xlsx")


def table_response(columns: Sequence[Column], rows: Iterable[dict], *, fmt: str, name: str):
    """The download of a table: CSV streamed line by line, or XLSX from its temporary file.
    `name` (ASCII) becomes the file name, with today's date."""
    filename = f"{name}-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(csv_lines(columns, rows), content_type=CSV_CONTENT_TYPE)
    else:
        response = FileResponse(
            xlsx_file(columns, rows, title=name), content_type=XLSX_CONTENT_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
