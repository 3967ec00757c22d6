"""The dashboard at national scale: search, filters, pinyin order and pages of cities."""

from datetime import date

import pytest
from django.urls import reverse

from contracts.models import Contract
from portfolio.dashboard.selectors import CITIES_PER_PAGE
from portfolio.demo_seed import demo_seed
from portfolio.models import City, Project, User

pytestmark = pytest.mark.django_db
INDEX = reverse("dashboard:index")
TODAY = date(2026, 11, 23)


@pytest.fixture
def demo(client):
    demo_seed(today=TODAY)
    return client


def city_names(response) -> list[str]:
    return [row.city.name for row in response.context["cities"]]


def test_cities_are_in_pinyin_order(demo):
    demo.force_login(User.objects.get(username="auditor"))
    names = city_names(demo.get(INDEX))
    assert len(names) > 3
    from pypinyin import lazy_pinyin

    assert names == sorted(names, key=lambda n: lazy_pinyin(n))
    if {"北京", "上海"} <= set(names):
        assert names.index("北京") < names.index("上海")


def test_search_finds_a_project_by_contract_code_and_by_company(demo):
    demo.force_login(User.objects.get(username="auditor"))
    contract = Contract.objects.select_related("project", "private_party").first()

    by_code = demo.get(INDEX, {"q": contract.code}).content.decode()
    by_company = demo.get(INDEX, {"q": contract.private_party.name}).content.decode()

    assert contract.project.name in by_code
    assert contract.project.name in by_company
    others = Project.objects.exclude(contracts__private_party=contract.private_party)
    assert all(p.name not in by_company for p in others)


def test_an_enterprise_cannot_find_another_company_by_name(demo):
    demo.force_login(User.objects.get(username="enterprise_a"))
    other = User.objects.get(username="enterprise_b").party
    response = demo.get(INDEX, {"q": other.name})
    assert response.context["page"].projects == 0


@pytest.mark.parametrize("field", ["city", "sector", "stage"])
def test_each_project_filter_keeps_only_matching_projects(demo, field):
    demo.force_login(User.objects.get(username="auditor"))
    project = Project.objects.select_related("city").first()
    value = project.city.name if field == "city" else getattr(project, field)
    response = demo.get(INDEX, {field: value})
    shown = [p.project for row in response.context["cities"] for p in row.projects]
    assert project in shown
    attribute = (lambda p: p.city.name) if field == "city" else (lambda p: getattr(p, field))
    assert all(attribute(p) == value for p in shown)


def test_the_province_filter(demo):
    demo.force_login(User.objects.get(username="auditor"))
    city = City.objects.exclude(province="").first()
    response = demo.get(INDEX, {"province": city.province})
    assert city.name in city_names(response)
    assert {c.province for c in City.objects.filter(name__in=city_names(response))} == {
        city.province
    }


def test_grade_and_flag_filters_keep_only_matching_contracts(demo):
    demo.force_login(User.objects.get(username="auditor"))
    everything = demo.get(INDEX).context["cities"]
    rows = [c for city in everything for p in city.projects for c in p.contracts]
    graded = next(c for c in rows if c.grade)
    flagged = next(c for c in rows if c.flags)

    by_grade = demo.get(INDEX, {"grade": graded.grade}).context["cities"]
    by_flag = demo.get(INDEX, {"flag": flagged.flags[0].code}).context["cities"]

    grade_rows = [c for city in by_grade for p in city.projects for c in p.contracts]
    assert graded.contract in [c.contract for c in grade_rows]
    assert all(c.grade == graded.grade for c in grade_rows)
    flag_rows = [c for city in by_flag for p in city.projects for c in p.contracts]
    assert flagged.contract in [c.contract for c in flag_rows]
    assert len(flag_rows) < len(rows)


def test_cities_beyond_a_page_are_on_the_next_page(client, people, django_assert_max_num_queries):
    # given more cities than a page holds, each with a project the auditor sees
    source = Project.objects.select_related("city").first()
    for n in range(CITIES_PER_PAGE + 5):
        city = City.objects.create(name=f"测试市{n:02d}", province="测试省")
        copy = {
            f.attname: getattr(source, f.attname)
            for f in Project._meta.concrete_fields
            if not f.primary_key
        }
        Project.objects.create(**{**copy, "code": f"T-{n:02d}", "name": f"测试项目{n:02d}",
                                  "city_id": city.pk})  # fmt: skip
    client.force_login(people.auditor)

    # when / then: the first page holds a page of cities, the second the rest
    # (the flags read overdue rectification notices and the monitoring alerts: six more)
    with django_assert_max_num_queries(28):
        first = client.get(INDEX)
    second = client.get(INDEX, {"page": 2})
    assert len(first.context["cities"]) == CITIES_PER_PAGE
    assert len(second.context["cities"]) == CITIES_PER_PAGE + 6 - CITIES_PER_PAGE
    assert first.context["page"].paginator.count == CITIES_PER_PAGE + 6
    assert not set(city_names(first)) & set(city_names(second))


@pytest.mark.parametrize("table", ["cities", "projects"])
def test_the_dashboard_tables_export_as_filtered(demo, table):
    import csv
    import io

    import openpyxl

    # given the auditor's dashboard filtered to one city
    demo.force_login(User.objects.get(username="auditor"))
    city = Project.objects.select_related("city").first().city
    shown = demo.get(INDEX, {"city": city.name}).context["cities"]

    # when its tables are exported with the same filter
    url = reverse("dashboard:export", args=[table, "csv"])
    text = b"".join(demo.get(url, {"city": city.name}).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    book = b"".join(demo.get(reverse("dashboard:export", args=[table, "xlsx"])).streaming_content)

    # then they hold the filtered rows, money as numbers in XLSX
    assert rows and {r["城市"] for r in rows} == {city.name}
    expected = (
        sum(len(c.fiscal_years) for c in shown)
        if table == "cities"
        else sum(len(p.contracts) for c in shown for p in c.projects)
    )
    assert len(rows) == expected
    sheet = openpyxl.load_workbook(io.BytesIO(book)).active
    money = next(c for c in sheet[2] if c.number_format == "#,##0.00")
    assert money.data_type == "n"


def test_an_enterprise_exports_only_its_own_projects(demo):
    demo.force_login(User.objects.get(username="enterprise_a"))
    other = Project.objects.filter(
        contracts__private_party=User.objects.get(username="enterprise_b").party
    )
    url = reverse("dashboard:export", args=["projects", "csv"])
    text = b"".join(demo.get(url).streaming_content).decode()
    assert all(p.code not in text for p in other)
