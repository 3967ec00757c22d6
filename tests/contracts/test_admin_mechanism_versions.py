"""A mechanism version some calculation used is that payment's basis: the admin no longer
changes it or its KPIs (a change is a new version, as in a bundle re-import)."""

import pytest
from django.urls import reverse

from contracts.bundles import bundle_import

pytestmark = pytest.mark.django_db


def test_a_used_versions_kpis_are_read_only_for_a_superuser(admin_client, people):
    # given: cn-steps, whose version a computed payment used
    kpi = people.calculation.mechanism_version.kpis.order_by("position").first()
    url = reverse("admin:contracts_kpi_change", args=[kpi.pk])
    # when
    page = admin_client.get(url).content.decode()
    posted = admin_client.post(url, {"name": "changed"})
    deleted = admin_client.post(
        reverse("admin:contracts_kpi_delete", args=[kpi.pk]), {"post": "yes"}
    )
    # then
    assert 'name="_save"' not in page
    assert (posted.status_code, deleted.status_code) == (403, 403)
    kpi.refresh_from_db()
    assert kpi.name != "changed"


def test_a_used_version_is_read_only_and_its_inline_kpis_too(admin_client, people):
    version = people.calculation.mechanism_version
    url = reverse("admin:contracts_mechanismversion_change", args=[version.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="_save"' not in page and 'name="kpis-0-name"' not in page
    assert admin_client.post(url, {}).status_code == 403


def test_an_unused_version_can_still_be_corrected(admin_client, example):
    # given: a contract imported, nothing computed yet
    contract = bundle_import(document=example("cn-score-coefficient")).contract
    version = contract.mechanism_versions.get()
    kpi = version.kpis.order_by("position").first()
    # when
    version_page = admin_client.get(
        reverse("admin:contracts_mechanismversion_change", args=[version.pk])
    ).content.decode()
    kpi_page = admin_client.get(reverse("admin:contracts_kpi_change", args=[kpi.pk])).content
    # then
    assert 'name="_save"' in version_page and 'name="kpis-0-name"' in version_page
    assert b'name="_save"' in kpi_page
