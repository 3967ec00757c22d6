"""What the schema calls invalid is refused with 400 on the parameter, what it calls valid is
accepted (#14 finding 13, the Schemathesis findings, one by one); and no 500 where a request
mixes a contract and a city (#14 finding 8)."""

import pytest
from rest_framework.test import APIClient

from portfolio.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(User.objects.create_user("strict", is_superuser=True))
    return client


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("cities/?page_size=null", "page_size"),
        ("cities/?page_size=-1", "page_size"),
        ("cities/?page_size=0", "page_size"),
        ("cities/?page=", "page"),
        ("cities/?page=0", "page"),
        ("measurements/?submitted_after=", "submitted_after"),
        ("contracts/?starts_before=", "starts_before"),
        ("reports/?year=0.5", "year"),
        ("measurements/?is_current=null", "is_current"),
        ("evidence/?measurement=1.5", "measurement"),
    ],
)
def test_invalid_parameters_answer_400_on_the_parameter(client, query, parameter):
    response = client.get(f"/api/v1/{query}")
    assert response.status_code == 400, response.content
    assert parameter in response.json()


@pytest.mark.parametrize(
    "query",
    ["cities/?page_size=1", "cities/?page_size=500", "cities/?page_size=100000",
     "evidence/?measurement=999999",
     "measurements/?is_current=true", "contracts/?q=", "reports/?year=2026"],
)  # fmt: skip
def test_valid_parameters_are_accepted(client, query):
    assert client.get(f"/api/v1/{query}").status_code == 200


def test_an_id_no_route_matches_answers_json(client):
    response = client.get("/api/v1/cities/1.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_the_schema_states_the_page_bounds(client):
    schema = client.get("/api/schema/?format=json").json()
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/cities/"]["get"]["parameters"]
    }
    assert parameters["page_size"] == {"type": "integer", "minimum": 1}
    assert parameters["page"]["minimum"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"contract": "CS-WIFI-01", "city": "长沙", "year": 2026},
        {"contract": "CS-WIFI-01", "period": "2026-Q1", "city": "长沙", "year": 2026},
        {"city": "长沙"},
        {},
    ],
)
def test_a_report_request_that_mixes_or_halves_the_pairs_is_a_400(client, body):
    response = client.post("/api/v1/reports/", body, format="json")
    assert response.status_code == 400, response.content
