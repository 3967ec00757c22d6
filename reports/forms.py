"""Forms of the report pages: asking for a report, and verifying one."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Report


class ContractReportForm(forms.Form):
    contract = forms.CharField(label=_("contract"), max_length=50)
    period = forms.CharField(label=_("period"), max_length=7, help_text=_("e.g. 2026-Q2"))
    language = forms.ChoiceField(label=_("language"), choices=Report.Language.choices)


class PortfolioReportForm(forms.Form):
    city = forms.CharField(label=_("city"), max_length=100)
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    language = forms.ChoiceField(label=_("language"), choices=Report.Language.choices)


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("the report's PDF"), required=False)
    sha256 = forms.CharField(label=_("or its SHA-256"), required=False, max_length=64)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if upload.size > settings.EVIDENCE_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        data = upload.read()
        if not data.startswith(b"%PDF-"):
            raise forms.ValidationError(_("This is not a PDF file."))
        return data

    def clean(self):
        data = super().clean()
        if not data.get("file") and not data.get("sha256"):
            raise forms.ValidationError(_("Upload the PDF or paste its SHA-256."))
        return data
