"""The period form: a value (or points) and evidence files for every KPI the enterprise may
change now. Saving goes through the measurement and evidence services, KPI by KPI, so what is
valid is kept as a draft while the fields in error say why."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import KPI, KPI_DECIMAL, Measurement
from contracts.numbers import validate_figure
from contracts.selectors import PeriodSheet, SheetRow, decimal_text
from contracts.services.approvals import ActionRefused
from contracts.services.evidence import evidence_upload
from contracts.services.measurements import figure_editable, measurement_save_draft
from contracts.uploads import UploadRejected


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def figure_of(measurement: Measurement | None) -> Decimal | None:
    if measurement is None:
        return None
    return measurement.points if measurement.points is not None else measurement.value


def figure_field(kpi: KPI, **options) -> forms.DecimalField:
    """A KPI's figure as the enterprise enters it, in the period form or an uploaded sheet:
    a value, or points from 0 to the maximum for manual items."""
    manual = kpi.rule == KPI.Rule.MANUAL
    return forms.DecimalField(
        # The columns' digits and places (Django also refuses NaN and infinity), and the
        # sane range of a KPI figure.
        max_digits=KPI_DECIMAL["max_digits"],
        decimal_places=KPI_DECIMAL["decimal_places"],
        validators=[validate_figure],
        min_value=0 if manual else None,
        max_value=kpi.max_points if manual else None,
        error_messages={"invalid": _("Enter a number, such as 98.5.")},
        **options,
    )


class PeriodForm(forms.Form):
    """Fields `value_<kpi id>` and `files_<kpi id>` for each editable row of the sheet."""

    submit_required = gettext_lazy("Enter a figure to submit the period.")

    def __init__(self, *args, sheet: PeriodSheet, submitting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.period, self.submitting = sheet.period, submitting
        self.rows = [row for row in sheet.rows if figure_editable(sheet.period, row.current)]
        for row in self.rows:
            manual = row.kpi.rule == KPI.Rule.MANUAL
            current = figure_of(row.current)
            label = _("Points (self-assessed)") if manual else _("Value")
            if row.kpi.is_telemetry:
                label = _("Your own figure (optional: the city computes it from telemetry)")
            self.fields[self.value_name(row)] = figure_field(
                row.kpi,
                label=label,
                required=False,
                initial=decimal_text(current) if current is not None else None,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )
            self.fields[self.files_name(row)] = MultipleFileField(
                label=_("Evidence files"),
                required=False,
                widget=MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.xlsx,.csv"}),
            )

    @staticmethod
    def value_name(row: SheetRow) -> str:
        return f"value_{row.kpi.pk}"

    @staticmethod
    def files_name(row: SheetRow) -> str:
        return f"files_{row.kpi.pk}"

    def clean(self):
        if self.submitting:
            for row in self.rows:
                name = self.value_name(row)
                if row.kpi.is_telemetry:  # the company's own figure for it is optional
                    continue
                if name not in self.errors and self.cleaned_data.get(name) is None:
                    self.add_error(name, self.submit_required)
        return self.cleaned_data

    def save(self, *, user) -> None:
        """Keep every valid figure as a draft and attach every acceptable file; what the
        services refuse becomes an error on its field. Call after is_valid(), errors or not."""
        for row in self.rows:
            measurement = self._save_figure(row, user)
            files = self.cleaned_data.get(self.files_name(row)) or []
            for upload in files:
                if measurement is None:
                    self.add_error(
                        self.files_name(row),
                        _("%(file)s was not kept: enter a valid figure first, then attach it.")
                        % {"file": upload.name},
                    )
                    continue
                try:
                    evidence_upload(measurement=measurement, upload=upload, user=user)
                except (ActionRefused, UploadRejected) as exc:
                    self.add_error(self.files_name(row), f"{upload.name}: {exc}")

    def _save_figure(self, row: SheetRow, user) -> Measurement | None:
        """The draft the row's files go with: saved if the figure changed (or files come
        with a returned item, whose correction is a new revision), else the current draft."""
        name, current = self.value_name(row), row.current
        figure = None if name in self.errors else self.cleaned_data.get(name)
        files = self.cleaned_data.get(self.files_name(row))
        draft = current if current and current.state == Measurement.State.DRAFT else None
        if figure is None or (figure == figure_of(current) and (draft or not files)):
            return draft
        field = "points" if row.kpi.rule == KPI.Rule.MANUAL else "value"
        try:
            return measurement_save_draft(
                period=self.period,
                kpi=row.kpi,
                user=user,
                source=Measurement.Source.PORTAL,
                **{field: figure},
            )
        except ActionRefused as exc:
            self.add_error(name, str(exc))
            return draft


class ObjectionForm(forms.Form):
    """An objection: the reasons and any files (checked by the service, as evidence is)."""

    reason = forms.CharField(
        label=gettext_lazy("Reasons"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Say why you object to the figure.")},
    )
    files = MultipleFileField(label=gettext_lazy("Evidence files"), required=False)
