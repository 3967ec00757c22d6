"""The dashboard's filter bar."""

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts.compliance import FlagCode
from contracts.engine.grades import GRADE_FLOORS, LOWEST_GRADE
from portfolio.models import City, Project

from .selectors import DashboardFilters, pinyin_key

ANY = [("", "—")]


class DashboardFilterForm(forms.Form):
    q = forms.CharField(
        label=_("search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("project, contract or company")}),
    )
    province = forms.ChoiceField(label=_("province"), required=False)
    city = forms.ChoiceField(label=_("city"), required=False)
    sector = forms.ChoiceField(
        label=_("sector"), required=False, choices=ANY + Project.Sector.choices
    )
    stage = forms.ChoiceField(label=_("stage"), required=False, choices=ANY + Project.Stage.choices)
    grade = forms.ChoiceField(
        label=_("grade"),
        required=False,
        choices=ANY + [(g, g) for _floor, g in GRADE_FLOORS] + [(LOWEST_GRADE, LOWEST_GRADE)],
    )
    flag = forms.ChoiceField(
        label=_("compliance flag"), required=False, choices=ANY + FlagCode.choices
    )

    def __init__(self, data, *, user):
        super().__init__(data)
        visible = City.objects.filter(projects__in=Project.objects.visible_to(user)).distinct()
        cities = sorted(visible.values_list("name", "province"), key=lambda c: pinyin_key(c[0]))
        self.fields["city"].choices = ANY + [(name, name) for name, _province in cities]
        provinces = sorted({province for _name, province in cities if province}, key=pinyin_key)
        self.fields["province"].choices = ANY + [(p, p) for p in provinces]

    def filters(self) -> DashboardFilters:
        """What was asked for; a choice the user may not make (a city outside their scope)
        is ignored, as an unknown filter value would be."""
        if not self.is_bound:
            return DashboardFilters()
        if self.is_valid():
            return DashboardFilters(**self.cleaned_data)
        return DashboardFilters(
            **{name: value for name, value in self.cleaned_data.items() if value}
        )
