"""The portal's figures are checked against the columns (issue 14, finding 3): a number the
database cannot hold is an error at its field (or its cell, in an uploaded sheet), and nothing
of it is stored."""

import pytest
from django.urls import reverse

from contracts.models import Measurement
from tests.portal.test_portal import fields, figures_post, login, period_url
from tests.portal.test_templates import FIGURES, filled, workbook

pytestmark = pytest.mark.django_db


TYPED = ["1e999999999", "9" * 40, "1e30", "1e13", "1e-999999", "NaN", "Infinity"]


@pytest.mark.parametrize("typed", TYPED)
def test_a_figure_the_columns_cannot_hold_is_an_error_at_its_field(client, portal, typed):
    login(client, portal.enterprise)
    data = figures_post(portal.period, **{"OUT-2": typed})

    response = client.post(period_url(portal.period), {**data, "save": "1"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [fields(portal.period)["OUT-2"]]
    assert not Measurement.objects.filter(period=portal.period, kpi__code="OUT-2").exists()


@pytest.mark.parametrize("typed", ["1e30", "1e13", "1e-999999", "9" * 40])
def test_an_uploaded_sheet_with_a_figure_the_columns_cannot_hold_saves_nothing(
    client, portal, typed
):
    client.force_login(portal.enterprise)
    book = workbook(client.get(reverse("portal:period-template", args=[portal.period.pk])))

    answer = client.post(
        reverse("portal:period-upload", args=[portal.period.pk]),
        {"template": filled(book, {**FIGURES, "OUT-3": typed})},
    )

    assert answer.status_code == 400
    errors = answer.context["errors"]
    assert len(errors) == 1 and errors[0].startswith("H4:")
    assert not Measurement.objects.filter(period=portal.period).exists()
