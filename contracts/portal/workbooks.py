"""Excel templates for the portal: a company downloads its KPIs as a sheet, fills in the
figures and uploads it; the figures become drafts exactly as if typed in the period form.

One row per KPI the company may change now (of one period, or of every open period of its
contracts), keyed by contract code, period label and KPI code — the columns people read, so a
re-sorted sheet still reads right. An upload is all or nothing: every row is checked first
(each error named by its cell, e.g. `H5: 请输入数字`), and only a sheet without errors is saved,
in one transaction.
"""

import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from contracts.models import KPI, Measurement, Period
from contracts.selectors import (
    KPI_FIELDS,
    PeriodSheet,
    decimal_text,
    kpi_document,
    period_sheet,
)
from contracts.services.approvals import ActionRefused
from contracts.services.measurements import figure_editable, measurement_save_draft
from contracts.uploads import XLSX, UploadRejected, check_upload

from .forms import figure_field, figure_of
from .wording import rule_in_words, target_in_words

VALUE_COLUMN = "H"
COLUMN_WIDTHS = {"A": 16, "B": 10, "C": 12, "D": 30, "E": 8, "F": 18, "G": 50, "H": 14}
EDITABLE_FILL = PatternFill("solid", fgColor="FFF4CC")


@dataclass(frozen=True)
class TemplateRow:
    period: Period
    kpi: KPI
    current: Measurement | None


def template_rows(sheets: list[PeriodSheet]) -> list[TemplateRow]:
    return [
        TemplateRow(sheet.period, row.kpi, row.current)
        for sheet in sheets
        for row in sheet.rows
        if figure_editable(sheet.period, row.current)
    ]


def template_workbook(sheets: list[PeriodSheet]) -> bytes:
    """The XLSX of these periods' editable KPIs, with the current drafts filled in."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("KPI figures")[:31]
    sheet.append([
        _("Contract"), _("Period"), _("KPI code"), _("KPI"), _("Unit"), _("Target"),
        _("Scoring rule"), _("Value (points for manual items)"),
    ])  # fmt: skip
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    measured = DataValidation(
        type="decimal",
        operator="between",
        formula1="-10000000000000",
        formula2="10000000000000",
        error=_("Enter a number, such as 98.5."),
        showErrorMessage=True,
    )
    sheet.add_data_validation(measured)
    for index, row in enumerate(template_rows(sheets), start=2):
        document = _kpi_document(row)
        figure = figure_of(row.current)
        sheet.append([
            row.period.contract.code, row.period.label, row.kpi.code, row.kpi.name, row.kpi.unit,
            target_in_words(document), rule_in_words(document),
            float(figure) if figure is not None else None,
        ])  # fmt: skip
        cell = f"{VALUE_COLUMN}{index}"
        sheet[cell].fill = EDITABLE_FILL
        if row.kpi.rule == KPI.Rule.MANUAL:
            points = DataValidation(
                type="decimal",
                operator="between",
                formula1="0",
                formula2=decimal_text(row.kpi.max_points),
                error=_("Points from 0 to %(max)s.") % {"max": decimal_text(row.kpi.max_points)},
                showErrorMessage=True,
            )
            sheet.add_data_validation(points)
            points.add(cell)
        else:
            measured.add(cell)
    for column, width in COLUMN_WIDTHS.items():
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _kpi_document(row: TemplateRow) -> dict:
    return kpi_document({f: getattr(row.kpi, f) for f in KPI_FIELDS})


def template_upload(*, upload: UploadedFile, periods: list[Period], user) -> list[str]:
    """Save the figures of a filled template as drafts of these periods (the user's own);
    returns the errors by cell, and saves nothing when there is any. The file passes the
    evidence uploads' checks first (size, content, a workbook's archive)."""
    try:
        if check_upload(upload).content_type != XLSX:
            raise UploadRejected(_("Upload the template as an Excel workbook (.xlsx)."))
        upload.seek(0)
        rows = list(load_workbook(upload, read_only=True, data_only=True).active.values)
    except UploadRejected as exc:
        return [str(exc)]
    except Exception:  # openpyxl raises many kinds on a file that is not a workbook
        return [_("This is not an XLSX file made from the template.")]
    expected = {
        (r.period.contract.code, r.period.label, r.kpi.code): r
        for r in template_rows([period_sheet(period=p, company=True) for p in periods])
    }
    errors, figures = [], []
    for number, values in enumerate(rows[1:], start=2):
        values = list(values) + [None] * 8
        contract, label, code, value = values[0], values[1], values[2], values[7]
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        row = expected.get((str(contract or ""), str(label or ""), str(code or "")))
        if row is None:
            errors.append(
                _("A%(row)d: %(contract)s %(period)s %(kpi)s is not a KPI you can fill in now.")
                % {"row": number, "contract": contract, "period": label, "kpi": code}
            )
            continue
        try:
            figures.append((row, figure_field(row.kpi).clean(_typed(value))))
        except ValidationError as exc:
            errors.append(f"{VALUE_COLUMN}{number}: {' '.join(exc.messages)}")
    if errors:
        return errors
    if not figures:
        return [_("The sheet has no figures.")]
    try:
        with transaction.atomic():
            for row, figure in figures:
                field = "points" if row.kpi.rule == KPI.Rule.MANUAL else "value"
                measurement_save_draft(
                    period=row.period,
                    kpi=row.kpi,
                    user=user,
                    source=Measurement.Source.PORTAL,
                    **{field: figure},
                )
    except ActionRefused as exc:
        return [str(exc)]
    return []


def _typed(value: object) -> str:
    """A cell as the text the person typed: Excel stores 98.5 as a float, shown as 98.5."""
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, int | Decimal):
        return str(value)
    return str(value).strip()
