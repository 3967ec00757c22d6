"""The mechanism version's KPI inline edits a KPI's telemetry definition with the KPI page's
own rules (`KPI.clean()`, each error on its field); a version in use stays read-only, and
officials read it (the admin's edits are the superuser's)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from contracts.bundles import bundle_import
from contracts.models import KPI
from portfolio.models import User
from tests.contracts.conftest import person

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The values a browser would send for the page's main form (inputs, selects, textareas);
    no submit buttons, no unchecked boxes."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data[name] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data.removeprefix("\n")


def form_of(page: str) -> dict:
    parser = _Form()
    parser.feed(page)
    return parser.data


@pytest.fixture
def version(example):
    """cn-steps imported, nothing computed: its version can still be corrected."""
    return bundle_import(document=example("cn-steps")).contract.mechanism_versions.get()


def superuser_client(client):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    return client


def inline_row(data: dict, kpi: KPI) -> str:
    """The inline prefix (kpis-N) of `kpi`'s row."""
    return next(
        key.removesuffix("-id") for key, value in data.items() if key.endswith("-id") and value
        if value == str(kpi.pk)
    )  # fmt: skip


TELEMETRY = {
    "data_source": "telemetry",
    "telemetry_stream": "api-requests",
    "telemetry_metric": "percentile",
    "telemetry_p": "95",
    "telemetry_min_sample": "30",
    "telemetry_tolerance": "0.5",
    "telemetry_places": "1",
}


def test_a_telemetry_kpi_is_saved_through_the_versions_inline(client, version):
    # given: the version's change page as a browser fills it in
    client = superuser_client(client)
    url = reverse("admin:contracts_mechanismversion_change", args=[version.pk])
    page = client.get(url).content.decode()
    kpi = version.kpis.order_by("position").first()
    data = form_of(page)
    row = inline_row(data, kpi)
    assert f'name="{row}-telemetry_stream"' in page
    # when
    data.update({f"{row}-{name}": value for name, value in TELEMETRY.items()})
    response = client.post(url, data)
    # then
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    kpi.refresh_from_db()
    assert (
        kpi.data_source, kpi.telemetry_stream, kpi.telemetry_metric, str(kpi.telemetry_p),
        kpi.telemetry_min_sample, str(kpi.telemetry_tolerance), kpi.places,
    ) == ("telemetry", "api-requests", "percentile", "95.000000", 30, "0.500000", 1)  # fmt: skip
    # the other KPIs are as they were
    assert version.kpis.exclude(pk=kpi.pk).filter(data_source="telemetry").count() == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"telemetry_metric": "ratio", "telemetry_p": "", "telemetry_condition": "x"},
         "telemetry_condition"),
        ({"telemetry_p": "101"}, "telemetry_p"),
        ({"telemetry_stream": ""}, "telemetry_stream"),
        ({"telemetry_places": "9"}, "telemetry_places"),
        ({"telemetry_stream": "api requests"}, "telemetry_stream"),
        ({"telemetry_min_sample": "0"}, "telemetry_min_sample"),
    ],
)  # fmt: skip
def test_an_invalid_telemetry_kpi_is_refused_on_its_field_as_on_the_kpi_page(
    client, version, values, field, english
):
    # given
    client = superuser_client(client)
    url = reverse("admin:contracts_mechanismversion_change", args=[version.pk])
    kpi = version.kpis.order_by("position").first()
    before = list(KPI.objects.order_by("pk").values())
    data = form_of(client.get(url).content.decode())
    row = inline_row(data, kpi)
    submitted = {**TELEMETRY, **values}
    data.update({f"{row}-{name}": value for name, value in submitted.items()})
    # when
    response = client.post(url, data)
    # then: the page again, the error on the row's field, nothing written
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    index = int(row.rsplit("-", 1)[1])
    inline_errors = formset.errors[index]
    assert list(inline_errors) == [field]
    assert list(KPI.objects.order_by("pk").values()) == before
    # and the KPI page refuses the same values with the same message
    kpi_url = reverse("admin:contracts_kpi_change", args=[kpi.pk])
    kpi_data = form_of(client.get(kpi_url).content.decode())
    kpi_data.update(submitted)
    kpi_page = client.post(kpi_url, kpi_data)
    assert kpi_page.status_code == 200
    assert kpi_page.context["adminform"].form.errors == inline_errors
    assert list(KPI.objects.order_by("pk").values()) == before


def test_the_inline_of_a_version_in_use_stays_read_only(admin_client, people):
    # given: cn-steps, whose version a computed payment used
    version = people.calculation.mechanism_version
    url = reverse("admin:contracts_mechanismversion_change", args=[version.pk])
    # when
    page = admin_client.get(url).content.decode()
    # then: the telemetry columns are shown, not editable; a POST is refused
    assert 'name="kpis-0-data_source"' not in page
    assert admin_client.post(url, {}).status_code == 403


def test_an_official_reads_the_inline_and_cannot_post_it(client, version):
    # given: an official of the contract's agency (the admin's edits are the superuser's)
    official = person("preparer", "preparer", version.contract.government_party)
    client.force_login(official)
    url = reverse("admin:contracts_mechanismversion_change", args=[version.pk])
    kpi = version.kpis.order_by("position").first()
    # when
    page = client.get(url)
    posted = client.post(url, {"kpis-0-id": kpi.pk, "kpis-0-data_source": "telemetry"})
    # then
    assert page.status_code == 200
    assert 'name="kpis-0-data_source"' not in page.content.decode()
    assert posted.status_code == 403
    kpi.refresh_from_db()
    assert kpi.data_source == "reported"
