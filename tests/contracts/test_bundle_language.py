"""Bundle errors speak the caller's language: zh-Hans by default, English on request (the API's
Accept-Language); `import_bundle` prints English, the spec's `path: reason` interface."""

import copy
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from contracts.bundles import validate_bundle
from tests.api.test_permission_matrix import CJK, ENGLISH_WORDS
from tests.contracts.test_bundle_validation import ERRORS


def is_chinese(message: str) -> bool:
    return bool(CJK.search(message)) and not ENGLISH_WORDS.search(message)


@pytest.mark.parametrize(("mutate", "expected"), ERRORS)
def test_every_validation_error_is_in_chinese_by_default(example, mutate, expected):
    doc = copy.deepcopy(example("cn-score-coefficient"))
    mutate(doc)
    path = expected.split(": ", 1)[0]
    chinese = [e.message for e in validate_bundle(doc) if e.path == path]
    assert chinese and all(is_chinese(m) for m in chinese), chinese
    with translation.override("en"):
        assert expected in [str(e) for e in validate_bundle(doc)]


@pytest.mark.django_db
def test_the_api_answers_in_the_callers_language(client, people, example):
    client.force_login(people.preparer)
    doc = copy.deepcopy(example("cn-steps"))
    doc["contract"]["kpis"][3]["step"] = "0"
    for header, message in ((None, "必须 > 0"), ("zh-Hans", "必须 > 0"), ("en", "must be > 0")):
        extra = {"HTTP_ACCEPT_LANGUAGE": header} if header else {}
        response = client.post(
            "/api/v1/bundles/", json.dumps(doc), content_type="application/json", **extra
        )
        assert response.status_code == 400
        assert {"path": "contract.kpis[3].step", "message": message} in response.json()


@pytest.mark.django_db
def test_the_command_prints_english_whatever_the_default_language(example, tmp_path):
    doc = copy.deepcopy(example("cn-steps"))
    doc["contract"]["kpis"][3]["step"] = "0"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with translation.override("zh-hans"), pytest.raises(CommandError) as error:
        call_command("import_bundle", str(bad))
    assert f"{bad}: contract.kpis[3].step: must be > 0" in str(error.value)
