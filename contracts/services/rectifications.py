"""Rectification notices (整改): officials issue, the company answers with closure files,
officials verify or send back. Whether a step may happen is the workflow table's
(`contracts.workflow.RECTIFICATION`), checked on the row locked for the change.

Bad input (an empty problem, a deadline in the past, a KPI of another contract) raises
`RectificationInvalid` with the reason per field, before anything is written; a refusal by
the workflow raises `ActionRefused`; a bad file `UploadRejected`."""

from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import workflow
from contracts.models import KPI, Period, RectificationFile, RectificationNotice
from contracts.uploads import check_upload
from contracts.workflow import ActionRefused
from portfolio.models import User

from .notifications import enqueue_rectification_issued

__all__ = ["ActionRefused", "RectificationInvalid"]

TEXT_MAX_LENGTH = 5000


class RectificationInvalid(ValueError):
    """Bad input: {field: reason}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def text_problem(text: str) -> str | None:
    """Why `text` cannot be a notice's problem, required action, answer or reason."""
    if not (text or "").strip():
        return _("This field may not be blank.")
    if len(text) > TEXT_MAX_LENGTH:
        return _("At most %(n)d characters.") % {"n": TEXT_MAX_LENGTH}
    return None


def deadline_problem(deadline: date) -> str | None:
    if deadline < timezone.localdate():
        return _("The deadline is in the past.")
    return None


def notice_input_errors(
    *, period: Period, problem: str, required_action: str, deadline: date, kpi: KPI | None
) -> dict[str, str]:
    """The reasons, by field, why these cannot make a notice of `period` (empty: they can).
    The API's serializer and the admin's form show them beside their fields."""
    errors = {}
    if reason := text_problem(problem):
        errors["problem"] = reason
    if reason := text_problem(required_action):
        errors["required_action"] = reason
    if reason := deadline_problem(deadline):
        errors["deadline"] = reason
    if kpi is not None and kpi.mechanism_version.contract_id != period.contract_id:
        errors["kpi"] = _("The KPI is not one of the contract's.")
    return errors


def _locked(notice: RectificationNotice) -> RectificationNotice:
    return (
        RectificationNotice.objects.select_for_update()
        .select_related("period__contract")
        .get(pk=notice.pk)
    )


def rectification_issue(
    *,
    period: Period,
    user: User,
    problem: str,
    required_action: str,
    deadline: date,
    kpi: KPI | None = None,
) -> RectificationNotice:
    """An official of the contract's agency issues a notice on the period; the company's
    staff are e-mailed once it is committed."""
    if errors := notice_input_errors(
        period=period, problem=problem, required_action=required_action, deadline=deadline, kpi=kpi
    ):
        raise RectificationInvalid(errors)
    with transaction.atomic():
        period = Period.objects.select_related("contract").get(pk=period.pk)
        if refused := workflow.rectification_issue_refusal(period, user):
            raise ActionRefused(refused)
        notice = RectificationNotice.objects.create(
            period=period,
            kpi=kpi,
            problem=problem.strip(),
            required_action=required_action.strip(),
            deadline=deadline,
            issued_by=user,
        )
        enqueue_rectification_issued(notice_id=notice.pk)
    return notice


def _store(
    notice: RectificationNotice, upload: UploadedFile, user: User, stored: list
) -> RectificationFile:
    """Check the file and store it under a random key, its row with it; the key is added to
    `stored` as soon as it exists, so a caller whose transaction fails deletes it."""
    field = RectificationFile._meta.get_field("file")
    checked = check_upload(upload)
    record = RectificationFile(
        notice=notice,
        original_name=checked.original_name,
        sha256=checked.sha256,
        size=checked.size,
        content_type=checked.content_type,
        uploaded_by=user,
    )
    # upload_to makes a random key: the client's name is never part of the path.
    name = field.storage.save(
        field.generate_filename(record, "rectification"), upload, max_length=field.max_length
    )
    stored.append(name)
    record.file.name = name
    record.save()
    return record


def _discard(stored: list) -> None:
    storage = RectificationFile._meta.get_field("file").storage
    for name in stored:
        if storage.exists(name):
            storage.delete(name)


def rectification_upload(
    *, notice: RectificationNotice, upload: UploadedFile, user: User
) -> RectificationFile:
    """The company attaches a closure evidence file to a notice it has still to answer. The
    file is checked by content (as evidence is) and stored under a random key; on any
    failure neither the row nor the file is left behind."""
    stored = []
    try:
        with transaction.atomic():
            notice = _locked(notice)
            workflow.transition_check(notice, "upload", user)
            return _store(notice, upload, user, stored)
    except BaseException:
        _discard(stored)
        raise


def rectification_answer(
    *, notice: RectificationNotice, user: User, answer: str, uploads=()
) -> RectificationNotice:
    """The company says what it did (and attaches `uploads`, each checked: all or none):
    the notice waits for an official's verification."""
    if reason := text_problem(answer):
        raise RectificationInvalid({"answer": reason})
    stored = []
    try:
        with transaction.atomic():
            notice = _locked(notice)
            state = workflow.transition_check(notice, "answer", user)
            for upload in uploads:
                _store(notice, upload, user, stored)
            notice.state = state
            notice.answer, notice.answered_by = answer.strip(), user
            notice.answered_at = timezone.now()
            notice.save(update_fields=["state", "answer", "answered_by", "answered_at"])
    except BaseException:
        _discard(stored)
        raise
    return notice


def rectification_verify(*, notice: RectificationNotice, user: User) -> RectificationNotice:
    """An official checks the answer and its files and closes the notice."""
    with transaction.atomic():
        notice = _locked(notice)
        notice.state = workflow.transition_check(notice, "verify", user)
        notice.verified_by, notice.verified_at = user, timezone.now()
        notice.save(update_fields=["state", "verified_by", "verified_at"])
    return notice


def rectification_send_back(
    *, notice: RectificationNotice, user: User, reason: str
) -> RectificationNotice:
    """An official finds the answer insufficient: back to the company, with the reason."""
    if problem := text_problem(reason):
        raise RectificationInvalid({"reason": problem})
    with transaction.atomic():
        notice = _locked(notice)
        notice.state = workflow.transition_check(notice, "send_back", user, reason=reason)
        notice.send_back_reason = reason.strip()
        notice.sent_back_by, notice.sent_back_at = user, timezone.now()
        notice.save(update_fields=["state", "send_back_reason", "sent_back_by", "sent_back_at"])
    return notice
