"""JSON with limits (issue 14, findings 8 and 10): one parser for the API and import_bundle.
Each refusal is a 400 (or the command's error) with a path and a reason, never a 500 or a
RecursionError, and fast."""

import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from rest_framework.test import APIClient

from contracts.models import Contract, Measurement
from portfolio.jsonparse import JSONRefused, json_parse
from tests.conftest import load_example
from tests.contracts.conftest import people  # noqa: F401 — the cast around cn-steps

DEEP = "[" * 100_000 + "]" * 100_000
BUNDLE = json.dumps(load_example("cn-steps"), ensure_ascii=False)


def with_field(text: str) -> str:
    """cn-steps' bundle text with `"contract": {"code": …}` replaced by `text`'s value."""
    return BUNDLE.replace('"code": "FS-FLOOD-2017-01"', f'"code": {text}')


REFUSED = [
    # (document, path, reason)
    (DEEP, "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
     "[0][0][0][0][0][0]", "nested deeper than 32 levels"),
    (with_field('"\\ud800"'), "contract.code", "a string with a lone surrogate (not Unicode text)"),
    (with_field('"CS\\u0000"'), "contract.code", "a string with a NUL character"),
    (with_field("9" * 4301), "contract.code", "an integer of more than 32 digits"),
    (with_field("1e999"), "contract.code", "a number too large to be represented"),
    (with_field("NaN"), "$", "NaN is not a number JSON allows"),
    (BUNDLE.replace('"title": ', '"code": "X", "title": ', 1), "contract.code", "duplicate key"),
    ('{"a": 1,}', "$", "not valid JSON: Expecting property name enclosed in double quotes "
     "(line 1, column 9)"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "path", "reason"), REFUSED)
def test_refused_with_its_path_and_reason(text, path, reason):
    with pytest.raises(JSONRefused) as refused:
        json_parse(text.encode())
    with translation.override("en"):  # the reason is translated when it is read
        assert (refused.value.path, str(refused.value.reason)) == (path, reason)


def test_the_limits_leave_ordinary_documents_alone():
    assert json_parse(BUNDLE.encode()) == load_example("cn-steps")
    assert json_parse(b'{"emoji": "\\ud83d\\ude00", "n": -12, "x": 1.5}') == {
        "emoji": "😀",
        "n": -12,
        "x": 1.5,
    }


def test_a_document_larger_than_the_limit_is_refused_before_decoding(settings):
    settings.JSON_MAX_BYTES = 1000
    with translation.override("en"), pytest.raises(JSONRefused, match="larger than 1000 bytes"):
        json_parse(b'"' + b"x" * 1000 + b'"')


def test_parsing_stays_fast():
    # the lone surrogate took 7.6 s before; a large document and the worst cases stay fast
    big = json.dumps({"rows": [{"kpi": f"K{i}", "value": "12.5"} for i in range(100_000)]})
    started = time.perf_counter()
    for text in (DEEP, with_field('"\\ud800"'), '"' + '\\"' * 500_000):
        with pytest.raises(JSONRefused):
            json_parse(text.encode())
    json_parse(big.encode())
    assert time.perf_counter() - started < 3


def official_client(people):  # noqa: F811
    client = APIClient()
    client.force_authenticate(people.preparer)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "path", "reason"), REFUSED)
def test_the_bundles_api_answers_400_with_the_path(people, text, path, reason):  # noqa: F811
    before = (Contract.objects.count(), Measurement.objects.count())
    response = official_client(people).post(
        "/api/v1/bundles/",
        text.encode(),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == [{"path": path, "message": reason}]
    assert (Contract.objects.count(), Measurement.objects.count()) == before


@pytest.mark.django_db
def test_every_api_json_body_goes_through_the_parser(people):  # noqa: F811
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(people.enterprise)
    response = client.post(
        "/api/v1/measurements/",
        b'{"period": 1, "kpi": "OUT-1", "kpi": "OUT-2", "value": "1"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "kpi: duplicate key", "path": "kpi"}


@pytest.mark.django_db
def test_import_bundle_reports_the_path_and_writes_nothing(tmp_path):
    deep, duplicate = tmp_path / "deep.json", tmp_path / "dup.json"
    deep.write_text(DEEP)
    duplicate.write_text('{"format": "ppp-bundle/1", "format": "ppp-bundle/1"}')
    with pytest.raises(CommandError) as error:
        call_command("import_bundle", str(deep), str(duplicate))
    lines = str(error.value).splitlines()
    assert lines[0].startswith(f"{deep}: [0][0]") and lines[0].endswith(
        ": nested deeper than 32 levels"
    )
    assert lines[1] == f"{duplicate}: format: duplicate key"
    assert not Contract.objects.exists()
