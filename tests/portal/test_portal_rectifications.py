"""The company's rectification notices in the portal: the list and the home's count, the answer
with text and files (an error beside its field, nothing half-written), scoping."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from contracts.models import RectificationFile, RectificationNotice
from contracts.services import rectifications as r
from tests.portal.conftest import ELF, PDF, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(portal):
    return r.rectification_issue(
        period=portal.period,
        user=portal.preparer,
        problem="积水点位离线率偏高。",
        required_action="更换离线传感器并提交巡检记录。",
        deadline=timezone.localdate() + timedelta(days=10),
    )


def url(notice) -> str:
    return reverse("portal:rectification", args=[notice.pk])


def test_the_home_and_the_list_show_what_waits_for_the_company(client, portal, notice):
    client.force_login(portal.enterprise)
    home = client.get(reverse("portal:home")).content.decode()
    assert 'id="notices-waiting"' in home and reverse("portal:rectifications") in home
    listed = client.get(reverse("portal:rectifications")).content.decode()
    assert "积水点位离线率偏高。" in listed and url(notice) in listed


def test_the_company_answers_with_text_and_files(client, portal, notice):
    client.force_login(portal.enterprise)
    page = client.get(url(notice)).content.decode()
    assert 'id="answer-form"' in page and "更换离线传感器" in page

    response = client.post(
        url(notice), {"answer": "已更换 12 个传感器。", "files": [pdf("巡检.pdf"), pdf("照片.pdf")]}
    )

    assert response.status_code == 302
    notice.refresh_from_db()
    assert (notice.state, notice.answer, notice.answered_by) == (
        "answered", "已更换 12 个传感器。", portal.enterprise,
    )  # fmt: skip
    assert sorted(f.original_name for f in notice.files.all()) == ["巡检.pdf", "照片.pdf"]
    page = client.get(url(notice)).content.decode()
    assert 'id="answer-form"' not in page  # waits for the officials now
    download = reverse("rectification-file-download", args=[notice.files.first().pk])
    assert download in page
    assert b"".join(client.get(download).streaming_content) == PDF


def test_an_empty_answer_or_a_bad_file_is_refused_beside_its_field(client, portal, notice):
    client.force_login(portal.enterprise)
    empty = client.post(url(notice), {"answer": " ", "files": [pdf()]}).content.decode()
    assert "该字段不能为空。" in empty
    bad = client.post(
        url(notice),
        {"answer": "已整改。", "files": [pdf(), SimpleUploadedFile("x.pdf", ELF)]},
    ).content.decode()
    assert "已整改。" in bad  # what was typed is kept
    assert 'class="field has-error"' in bad
    assert RectificationNotice.objects.get().state == "issued"
    assert not RectificationFile.objects.exists()


def test_a_sent_back_notice_shows_why_and_is_answered_again(client, portal, notice):
    r.rectification_answer(notice=notice, user=portal.enterprise, answer="已整改。")
    r.rectification_send_back(notice=notice, user=portal.preparer, reason="缺少巡检照片。")
    client.force_login(portal.enterprise)
    page = client.get(url(notice)).content.decode()
    assert "缺少巡检照片。" in page and 'id="answer-form"' in page
    client.post(url(notice), {"answer": "已补交照片。", "files": [pdf()]})
    assert RectificationNotice.objects.get().state == "answered"


def test_another_company_gets_404_and_officials_go_home(client, portal, notice):
    client.force_login(portal.other_enterprise)
    assert client.get(url(notice)).status_code == 404
    assert client.post(url(notice), {"answer": "x"}).status_code == 404
    assert "积水点位" not in client.get(reverse("portal:rectifications")).content.decode()
    client.force_login(portal.preparer)
    assert client.get(url(notice))["Location"] == reverse("home")
