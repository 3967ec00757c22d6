"""Rectification notices (整改): issue → answer (with closure files) → verify, or send back →
answer again; who may do each step (the workflow table); the overdue flag; scoping."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contracts import workflow
from contracts.compliance import FlagCode, compliance_flags
from contracts.models import Contract, RectificationFile, RectificationNotice
from contracts.services import rectifications as r
from contracts.tasks import send_rectification_issued
from contracts.uploads import UploadRejected
from contracts.workflow import ActionRefused

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name="closure.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def issue(people, user=None, **fields):
    period = people.contract.periods.get()
    values = {
        "problem": "积水点巡检记录不全。",
        "required_action": "补齐巡检记录并建立台账。",
        "deadline": timezone.localdate() + timedelta(days=30),
        **fields,
    }
    return r.rectification_issue(period=period, user=user or people.preparer, **values)


def flag_codes(contract: Contract, today: date) -> set[str]:
    contract = Contract.objects.select_related("project").get(pk=contract.pk)
    return {
        f.code for f in compliance_flags(contracts=[contract], today=today).contracts[contract.pk]
    }


def test_the_whole_journey_issue_answer_send_back_answer_verify(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # given a notice issued by a preparer of the contract's agency, about a KPI
    kpi = people.contract.mechanism_versions.get().kpis.get(code="OUT-1")
    notice = issue(people, kpi=kpi)
    assert (notice.state, notice.issued_by, notice.kpi) == ("issued", people.preparer, kpi)
    assert workflow.allowed_actions(notice, people.enterprise) == ["upload", "answer"]
    # when the company answers with a file
    notice = r.rectification_answer(
        notice=notice, user=people.enterprise, answer="已补齐记录。", uploads=[pdf()]
    )
    # then it waits for the officials
    assert notice.state == "answered" and notice.answered_by == people.enterprise
    assert [f.original_name for f in notice.files.all()] == ["closure.pdf"]
    assert notice.files.get().file.read() == PDF
    assert workflow.allowed_actions(notice, people.approver) == ["verify", "send_back"]
    assert workflow.allowed_actions(notice, people.enterprise) == []
    # when an official sends it back, the company answers again, an official verifies
    notice = r.rectification_send_back(notice=notice, user=people.approver, reason="台账缺签字。")
    assert (notice.state, notice.send_back_reason) == ("sent_back", "台账缺签字。")
    notice = r.rectification_answer(notice=notice, user=people.enterprise, answer="已签字。")
    notice = r.rectification_verify(notice=notice, user=people.preparer)
    # then it is closed, both files kept
    assert (notice.state, notice.verified_by) == ("verified", people.preparer)
    assert notice.files.count() == 1 and notice.answer == "已签字。"


@pytest.mark.parametrize("who", ["enterprise", "other_official", "auditor", "other_enterprise"])
def test_only_officials_of_the_agency_issue(people, who):
    with pytest.raises(ActionRefused):
        issue(people, user=getattr(people, who))
    assert not RectificationNotice.objects.exists()


@pytest.mark.parametrize("who", ["preparer", "approver", "other_enterprise", "auditor"])
def test_only_the_contracts_company_answers(people, who):
    notice = issue(people)
    with pytest.raises(ActionRefused):
        r.rectification_answer(notice=notice, user=getattr(people, who), answer="已整改。")
    assert RectificationNotice.objects.get().state == "issued"


@pytest.mark.parametrize("who", ["enterprise", "other_official", "auditor"])
def test_only_officials_of_the_agency_verify_or_send_back(people, who):
    notice = r.rectification_answer(notice=issue(people), user=people.enterprise, answer="已整改。")
    user = getattr(people, who)
    with pytest.raises(ActionRefused):
        r.rectification_verify(notice=notice, user=user)
    with pytest.raises(ActionRefused):
        r.rectification_send_back(notice=notice, user=user, reason="不够。")
    assert RectificationNotice.objects.get().state == "answered"


def test_an_unanswered_notice_cannot_be_verified(people, english):
    notice = issue(people)
    with pytest.raises(ActionRefused, match="is issued; this needs it answered"):
        r.rectification_verify(notice=notice, user=people.approver)


def test_bad_input_names_its_fields_and_writes_nothing(people, english):
    other_kpi = None
    with pytest.raises(r.RectificationInvalid) as refused:
        issue(
            people,
            problem=" ",
            required_action="",
            deadline=timezone.localdate() - timedelta(days=1),
            kpi=other_kpi,
        )
    assert set(refused.value.errors) == {"problem", "required_action", "deadline"}
    assert "past" in refused.value.errors["deadline"]
    assert not RectificationNotice.objects.exists()
    notice = issue(people)
    with pytest.raises(r.RectificationInvalid) as refused:
        r.rectification_answer(notice=notice, user=people.enterprise, answer="  ")
    assert set(refused.value.errors) == {"answer"}


def test_a_bad_file_refuses_the_whole_answer(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    notice = issue(people)
    elf = SimpleUploadedFile("x.pdf", b"\x7fELF" + b"\0" * 100, content_type="application/pdf")
    with pytest.raises(UploadRejected):
        r.rectification_answer(
            notice=notice, user=people.enterprise, answer="已整改。", uploads=[pdf(), elf]
        )
    assert RectificationNotice.objects.get().state == "issued"
    assert not RectificationFile.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()], "no file left behind"


def test_files_cannot_change_once_answered(people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    notice = r.rectification_answer(notice=issue(people), user=people.enterprise, answer="已整改。")
    with pytest.raises(ActionRefused):
        r.rectification_upload(notice=notice, upload=pdf(), user=people.enterprise)


def test_the_queues_show_what_waits_for_whom(people):
    notice = issue(people)
    notices = RectificationNotice.objects.all()
    assert list(workflow.awaiting(notices, people.enterprise)) == [notice]
    assert not workflow.awaiting(notices, people.approver).exists()
    assert not workflow.awaiting(notices, people.other_enterprise).exists()
    r.rectification_answer(notice=notice, user=people.enterprise, answer="已整改。")
    assert list(workflow.awaiting(notices, people.approver)) == [notice]
    assert not workflow.awaiting(notices, people.other_official).exists()
    assert not workflow.awaiting(notices, people.enterprise).exists()


def test_scoping(people):
    notice = issue(people)
    for who in ("preparer", "enterprise", "auditor"):
        assert list(RectificationNotice.objects.visible_to(getattr(people, who))) == [notice]
    for who in ("other_official", "other_enterprise"):
        assert not RectificationNotice.objects.visible_to(getattr(people, who)).exists()


def test_the_company_is_emailed_once_when_a_notice_is_issued(
    people, django_capture_on_commit_callbacks
):
    # when a notice is issued: one task waits for the commit, nothing is sent in the request
    with django_capture_on_commit_callbacks() as queued:
        notice = issue(people)
    assert len(queued) == 1 and mail.outbox == []
    # when the task runs twice (a redelivery), the company's staff get one message
    send_rectification_issued.apply(args=[notice.pk]).get()
    send_rectification_issued.apply(args=[notice.pk]).get()
    assert [m.to for m in mail.outbox] == [["company@example.gov.cn"]]
    assert people.contract.code in mail.outbox[0].subject


# The overdue flag: deadline passed and not verified.


def test_an_overdue_notice_is_a_flag_on_the_contract(people):
    notice = issue(people)
    day_after = notice.deadline + timedelta(days=1)
    assert FlagCode.OVERDUE_RECTIFICATION in flag_codes(people.contract, day_after)
    # answered but not verified: still overdue
    r.rectification_answer(notice=notice, user=people.enterprise, answer="已整改。")
    assert FlagCode.OVERDUE_RECTIFICATION in flag_codes(people.contract, day_after)


def test_a_notice_within_its_deadline_or_verified_is_not_flagged(people):
    notice = issue(people)
    assert FlagCode.OVERDUE_RECTIFICATION not in flag_codes(people.contract, notice.deadline)
    notice = r.rectification_answer(notice=notice, user=people.enterprise, answer="已整改。")
    r.rectification_verify(notice=notice, user=people.approver)
    later = notice.deadline + timedelta(days=100)
    assert FlagCode.OVERDUE_RECTIFICATION not in flag_codes(people.contract, later)


@pytest.mark.postgres_only
def test_every_step_is_in_the_notices_history(people):
    # given a notice issued, answered, sent back, answered again and verified
    from contracts.models import RectificationNoticeEvent

    notice = issue(people)
    notice = r.rectification_answer(notice=notice, user=people.enterprise, answer="一")
    notice = r.rectification_send_back(notice=notice, user=people.approver, reason="不够。")
    notice = r.rectification_answer(notice=notice, user=people.enterprise, answer="二")
    r.rectification_verify(notice=notice, user=people.approver)
    # then pghistory kept each state and the first answer
    events = RectificationNoticeEvent.objects.filter(pgh_obj_id=notice.pk).order_by("pgh_id")
    assert [e.state for e in events] == ["issued", "answered", "sent_back", "answered", "verified"]
    assert [e.answer for e in events][1] == "一"
