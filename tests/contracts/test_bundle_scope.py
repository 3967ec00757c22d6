"""Bundle import within the caller's scope (issue 14, findings 1 and 2): an official writes
only their own agency's projects and contracts; another agency's are "not found" on their
JSON path; parties a contract does not reference are refused; enterprises are never renamed
or re-kinded by a bundle. The same rules for the API and for `import_bundle --as USER`."""

import copy
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from contracts.bundles import BundleInvalid, bundle_import
from contracts.models import Contract, Measurement
from portfolio.credit_codes import check_character
from portfolio.models import City, Party, Project
from tests.conftest import load_example
from tests.contracts.conftest import person

# Messages as `import_bundle` prints them (English); test_bundle_language.py checks zh-Hans.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def credit_code(first17: str) -> str:
    return first17 + check_character(first17)


GZ_BUREAU = ("广州市交通运输局", credit_code("11440100MB1G2K3P4"))
GZ_COMPANY = ("广州城市智慧停车发展有限公司", credit_code("91440100MA5G6K7P8"))


def guangzhou_bundle() -> dict:
    """Guangzhou's smart-parking project GZ-PARK (cn-steps' figures under its own names)."""
    doc = load_example("cn-steps")
    doc["project"].update(code="GZ-PARK", name="广州市智慧停车诱导系统PPP项目", city="广州")
    doc["parties"] = [
        {"key": "gov", "kind": "government", "name": GZ_BUREAU[0], "credit_code": GZ_BUREAU[1]},
        {"key": "spv", "kind": "enterprise", "name": GZ_COMPANY[0], "credit_code": GZ_COMPANY[1]},
    ]
    doc["contract"]["code"] = "GZ-PARK-01"
    return doc


def changsha_bundle() -> dict:
    return load_example("cn-score-coefficient")


def rows() -> dict:
    """Every row the importer writes, to show that a refusal wrote nothing."""
    models = [City, Party, Project, Contract, Measurement]
    return {m.__name__: sorted(map(repr, m.objects.values())) for m in models}


@pytest.fixture
def cities():
    """GZ-PARK (Guangzhou) and CS-WIFI-2016 (Changsha), and a Changsha preparer."""
    guangzhou = bundle_import(document=guangzhou_bundle()).contract
    changsha = bundle_import(document=changsha_bundle()).contract
    preparer = person("cs_preparer", "preparer", changsha.government_party)
    return guangzhou, changsha, preparer


def post(user, doc):
    client = APIClient()
    client.force_authenticate(user)
    return client.post("/api/v1/bundles/", doc, format="json", HTTP_ACCEPT_LANGUAGE="en")


def test_finding_1_a_changsha_preparer_cannot_overwrite_guangzhous_project(cities):
    # given Guangzhou's project and a Changsha preparer
    guangzhou, _changsha, preparer = cities
    before = rows()
    # when the preparer posts their bundle naming GZ-PARK as the project of a new contract
    doc = changsha_bundle()
    doc["project"].update(code="GZ-PARK", name="长沙改写的项目", total_investment="1.00")
    doc["contract"]["code"] = "CS-NEW-01"
    response = post(preparer, doc)
    # then it is another agency's project: not found, on its path, and nothing is written
    assert response.status_code == 404, response.content
    assert response.json() == [{"path": "project.code", "message": "not found"}]
    assert rows() == before
    project = Project.objects.get(code="GZ-PARK")
    assert (project.name, project.city.name) == ("广州市智慧停车诱导系统PPP项目", "广州")
    assert guangzhou.project.total_investment == project.total_investment


def test_another_agencys_contract_is_not_found(cities):
    _guangzhou, _changsha, preparer = cities
    doc = guangzhou_bundle()
    doc["parties"][0] = changsha_bundle()["parties"][0]  # the preparer's agency as its own
    doc["contract"]["title"] = "改过的标题"
    before = rows()

    response = post(preparer, doc)

    assert response.status_code == 404
    assert response.json() == [
        {"path": "contract.code", "message": "not found"},
        {"path": "project.code", "message": "not found"},
    ]
    assert rows() == before


def test_another_agency_as_the_government_party_is_forbidden(cities):
    _guangzhou, _changsha, preparer = cities
    doc = guangzhou_bundle()
    doc["project"]["code"] = "GZ-NEW"
    doc["contract"]["code"] = "GZ-NEW-01"
    before = rows()

    response = post(preparer, doc)

    assert response.status_code == 403
    assert response.json()[0]["path"] == "parties[0]"
    assert "must be your own agency (长沙市数据资源管理局)" in response.json()[0]["message"]
    assert rows() == before


def test_finding_2_parties_the_contract_does_not_reference_are_refused(cities):
    # given an own-agency bundle that also lists Guangzhou's bureau and company, renamed
    _guangzhou, _changsha, preparer = cities
    doc = changsha_bundle()
    doc["parties"] += [
        {"key": "gz-gov", "kind": "government", "name": "改名的局", "credit_code": GZ_BUREAU[1]},
        {"key": "gz-spv", "kind": "enterprise", "name": "改名的公司", "credit_code": GZ_COMPANY[1]},
    ]  # fmt: skip
    before = rows()
    # when the preparer posts it
    response = post(preparer, doc)
    # then both are refused on their paths, and neither is renamed
    assert response.status_code == 400
    assert response.json() == [
        {"path": f"parties[{i}]", "message": "is not a party of the contract "
         "(government_party, private_party)"}
        for i in (2, 3)
    ]  # fmt: skip
    assert rows() == before
    assert Party.objects.get(credit_code=GZ_BUREAU[1]).name == GZ_BUREAU[0]
    assert Party.objects.get(credit_code=GZ_COMPANY[1]).name == GZ_COMPANY[0]


@pytest.mark.parametrize("as_superuser", [False, True])
def test_an_enterprise_is_never_renamed_by_a_bundle(cities, as_superuser):
    # given Guangzhou's company, and a Changsha bundle naming it (by credit code) its
    # private party under another name
    _guangzhou, _changsha, preparer = cities
    doc = changsha_bundle()
    doc["parties"][1].update(name="改名的停车公司", credit_code=GZ_COMPANY[1])
    before = rows()
    # when it is imported, by the preparer or without a user (a superuser's import)
    with pytest.raises(BundleInvalid) as refused:
        bundle_import(document=doc, user=None if as_superuser else preparer)
    # then the difference is an error on its path and nothing changed
    assert [str(e) for e in refused.value.errors] == [
        f"parties[1].name: {GZ_COMPANY[0]} is registered under this name; "
        "a bundle does not rename it"
    ]
    assert rows() == before


def test_an_enterprise_named_as_registered_may_be_the_private_party(cities):
    _guangzhou, _changsha, preparer = cities
    doc = changsha_bundle()
    doc["parties"][1].update(name=GZ_COMPANY[0], credit_code=GZ_COMPANY[1])
    contract = bundle_import(document=doc, user=preparer).contract
    assert contract.private_party.credit_code == GZ_COMPANY[1]


def test_a_party_is_not_re_kinded_by_a_bundle(cities):
    _guangzhou, _changsha, preparer = cities
    doc = changsha_bundle()
    doc["parties"][1].update(name=GZ_BUREAU[0], credit_code=GZ_BUREAU[1])  # a government
    before = rows()
    with pytest.raises(BundleInvalid) as refused:
        bundle_import(document=doc, user=preparer)
    assert [str(e) for e in refused.value.errors] == [
        f"parties[1].kind: {GZ_BUREAU[0]} is registered as government"
    ]
    assert rows() == before


def test_an_official_updates_their_own_contract_and_agency(cities):
    _guangzhou, changsha, preparer = cities
    doc = changsha_bundle()
    doc["contract"]["title"] = "新标题"
    doc["parties"][0]["name"] = "长沙市数据资源局"  # the agency renamed itself
    result = bundle_import(document=doc, user=preparer)
    assert not result.contract_created
    assert Contract.objects.get(code=changsha.code).title == "新标题"
    assert Party.objects.get(pk=preparer.party_id).name == "长沙市数据资源局"


def test_a_project_shared_with_another_agency_is_not_an_officials_to_change(cities):
    guangzhou, _changsha, preparer = cities
    doc = changsha_bundle()
    doc["contract"]["code"] = "CS-WIFI-2016-02"
    bundle_import(document=doc)  # a second Changsha contract of CS-WIFI-2016 …
    Contract.objects.filter(code="CS-WIFI-2016-02").update(
        government_party=guangzhou.government_party  # … that is Guangzhou's
    )
    with pytest.raises(BundleInvalid) as refused:
        bundle_import(document=changsha_bundle(), user=preparer)
    assert [str(e) for e in refused.value.errors] == ["project.code: not found"]


def test_enterprise_staff_and_auditors_import_nothing(cities):
    guangzhou, _changsha, _preparer = cities
    company = person("gz_company", "enterprise", guangzhou.private_party)
    with pytest.raises(BundleInvalid) as refused:
        bundle_import(document=guangzhou_bundle(), user=company)
    assert [(e.path, e.kind) for e in refused.value.errors] == [("$", "forbidden")]


def write(tmp_path, name: str, doc: dict):
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_import_bundle_as_an_official_follows_the_apis_rules(cities, tmp_path):
    _guangzhou, _changsha, preparer = cities
    doc = changsha_bundle()
    doc["project"]["code"] = "GZ-PARK"
    doc["contract"]["code"] = "CS-NEW-01"
    file = write(tmp_path, "gz.json", doc)
    before = rows()

    with pytest.raises(CommandError) as error:
        call_command("import_bundle", file, "--as", preparer.username)

    assert str(error.value) == f"{file}: project.code: not found"
    assert rows() == before


def test_import_bundle_without_as_is_a_superusers_import(cities, tmp_path, capsys):
    doc = copy.deepcopy(guangzhou_bundle())
    doc["project"]["name"] = "广州市智慧停车项目"
    call_command("import_bundle", write(tmp_path, "gz.json", doc))
    assert Project.objects.get(code="GZ-PARK").name == "广州市智慧停车项目"
    assert "contract GZ-PARK-01 updated" in capsys.readouterr().out


def test_import_bundle_as_an_unknown_user_or_enterprise_staff_is_refused(cities, tmp_path):
    guangzhou, _changsha, _preparer = cities
    person("gz_company", "enterprise", guangzhou.private_party)
    file = write(tmp_path, "gz.json", guangzhou_bundle())
    with pytest.raises(CommandError, match="no active user 'nobody'"):
        call_command("import_bundle", file, "--as", "nobody")
    with pytest.raises(CommandError, match=r"\$: only officials import bundles"):
        call_command("import_bundle", file, "--as", "gz_company")
