"""Objections (异议 / 复核): the company lodges one against a figure shown to it, with files;
an official of the agency upholds it (the figure stands) or accepts it:

- a measurement: an accepted one is reopened for the company's correction (the measurement
  table's `reopen`; a returned one is already open for it), and the period's payment, if
  computed or prepared, is returned so that it is computed again from the corrected figure;
- a payment: a prepared one is returned, then it is computed again (the compute task);
- once the payment is approved or paid (either subject): an adjustment is proposed with the
  amount the official gives, which another official approves (four eyes, as ever).

Whether a step may happen is the workflow table's `OBJECTION` (contracts/workflow.py): who,
from which state, within the window, four eyes. An open objection holds up the preparation and
approval of its period's payment (the payment table's condition). Each decision is also a
`Decision` of the period, and pghistory keeps every change of the objection."""

from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import workflow
from contracts.models import (
    Decision,
    Measurement,
    Objection,
    ObjectionEvidence,
    PaymentCalculation,
)
from contracts.uploads import check_upload
from contracts.workflow import ActionRefused
from portfolio.models import User

from . import approvals
from .notifications import enqueue_objection_decided, enqueue_objection_lodged
from .payments import payment_compute_enqueue

__all__ = ["ActionRefused", "ObjectionInputError"]


class ObjectionInputError(ValueError):
    """A field of the decision is missing or wrong (the API answers 400 on the field)."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field, self.reason = field, reason


def _locked_subject(subject: PaymentCalculation | Measurement):
    return (
        type(subject)
        .objects.select_for_update()
        .select_related("period__contract")
        .get(pk=subject.pk)
    )


def objection_lodge(
    *,
    subject: PaymentCalculation | Measurement,
    user: User,
    reason: str,
    item: str = "",
    uploads: list[UploadedFile] = (),
) -> Objection:
    """The company objects to a payment (or one of its lines, named in `item`) or to a
    returned or accepted measurement, within the window after it was shown to it, with files
    (`uploads`, checked first: a bad file lodges nothing, UploadRejected)."""
    reason, item = (reason or "").strip(), (item or "").strip()[:200]
    for upload in uploads:
        check_upload(upload)
    with transaction.atomic():
        subject = _locked_subject(subject)
        shown_at = workflow.figure_shown_at(subject) or timezone.now()
        window = workflow.objection_window(subject)
        is_payment = isinstance(subject, PaymentCalculation)
        objection = Objection(
            state=workflow.NOT_LODGED,
            period=subject.period,
            calculation=subject if is_payment else None,
            measurement=None if is_payment else subject,
            item=item,
            reason=reason,
            shown_at=shown_at,
            window_closes_on=window.day if window else timezone.localdate(shown_at),
            contested_official_id=subject.prepared_by_id if is_payment else subject.reviewed_by_id,
            lodged_by=user,
            lodged_at=timezone.now(),
        )
        objection.state = workflow.transition_check(objection, "lodge", user, reason=reason)
        try:
            with transaction.atomic():
                objection.save()
        except IntegrityError:
            # Another request lodged one against the same figure in between.
            raise ActionRefused(_("An objection against this figure is still open.")) from None
        for upload in uploads:
            objection_add_evidence(objection=objection, upload=upload, user=user)
        enqueue_objection_lodged(objection_id=objection.pk)
    return objection


def objection_add_evidence(
    *, objection: Objection, upload: UploadedFile, user: User
) -> ObjectionEvidence:
    """A file for an open objection, checked as evidence files are (contracts/uploads.py),
    stored under a random key; nothing is left behind if anything fails."""
    field = ObjectionEvidence._meta.get_field("file")
    stored = None
    try:
        with transaction.atomic():
            objection = (
                Objection.objects.select_for_update()
                .select_related("period__contract")
                .get(pk=objection.pk)
            )
            workflow.transition_check(objection, "add_evidence", user)
            checked = check_upload(upload)
            evidence = ObjectionEvidence(
                objection=objection,
                original_name=checked.original_name,
                sha256=checked.sha256,
                size=checked.size,
                content_type=checked.content_type,
                uploaded_by=user,
            )
            stored = field.generate_filename(evidence, "objection")
            stored = field.storage.save(stored, upload, max_length=field.max_length)
            evidence.file.name = stored
            evidence.save()
    except BaseException:
        if stored and field.storage.exists(stored):
            field.storage.delete(stored)
        raise
    return evidence


def _locked(objection: Objection) -> Objection:
    # Only the objection's row is locked (its subject may be either of two nullable joins).
    return (
        Objection.objects.select_for_update(of=("self",))
        .select_related("period__contract", "calculation", "measurement")
        .get(pk=objection.pk)
    )


def _decide(objection: Objection, action: str, user: User, reason: str, outcome: str = ""):
    objection.state = workflow.transition_check(objection, action, user, reason=reason)
    objection.decided_by, objection.decided_at = user, timezone.now()
    objection.decision_reason, objection.outcome = reason.strip(), outcome
    objection.save(
        update_fields=[
            "state", "decided_by", "decided_at", "decision_reason", "outcome", "adjustment",
        ]
    )  # fmt: skip
    Decision.objects.create(
        period=objection.period,
        calculation=PaymentCalculation.objects.filter(period=objection.period_id).first(),
        action=f"{action}_objection",
        user=user,
        reason=f"#{objection.pk} {reason.strip()}",
    )
    enqueue_objection_decided(objection_id=objection.pk)
    return objection


def objection_uphold(*, objection: Objection, user: User, reason: str) -> Objection:
    """The figure stands, for the reasons given; the payment may go on."""
    with transaction.atomic():
        return _decide(_locked(objection), "uphold", user, reason)


def objection_accept(
    *, objection: Objection, user: User, reason: str, amount: Decimal | None = None
) -> Objection:
    """The figure is corrected (see the module's docstring); `amount` is the adjustment to
    propose when the period's payment is already approved or paid (needed then only)."""
    with transaction.atomic():
        objection = _locked(objection)
        # Checked first, so that nothing below runs for a refused decision.
        workflow.transition_check(objection, "accept", user, reason=reason)
        payment = (
            PaymentCalculation.objects.select_related("period__contract")
            .filter(period=objection.period_id)
            .first()
        )
        if payment is not None and payment.is_final:
            if amount is None or amount == 0:
                raise ObjectionInputError(
                    "amount",
                    _(
                        "The payment is %(state)s: give the amount of the adjustment to "
                        "propose (positive: paid in addition; negative: recovered)."
                    )
                    % {"state": payment.get_state_display()},
                )
            objection.adjustment = approvals.payment_adjust(
                calculation=payment,
                user=user,
                amount=amount,
                reason=_("Objection #%(id)s accepted: %(reason)s")
                % {"id": objection.pk, "reason": reason.strip()},
            )
            outcome = _("adjustment #%(id)s proposed (%(amount)s), for another official") % {
                "id": objection.adjustment.pk,
                "amount": f"{amount:+}",
            }
            return _decide(objection, "accept", user, reason, outcome)
        if amount is not None:
            raise ObjectionInputError(
                "amount", _("An adjustment is only proposed once the payment is approved.")
            )
        returned = _("Objection #%(id)s accepted: %(reason)s") % {
            "id": objection.pk,
            "reason": reason.strip(),
        }
        outcomes = []
        if objection.measurement_id:
            measurement = Measurement.objects.select_for_update().get(pk=objection.measurement_id)
            measurement.period = objection.period
            if measurement.state == Measurement.State.ACCEPTED:
                measurement.state = workflow.transition_check(
                    measurement, "reopen", user, reason=returned
                )
                measurement.reviewed_by, measurement.reviewed_at = user, timezone.now()
                measurement.review_reason = returned
                measurement.save(
                    update_fields=["state", "reviewed_by", "reviewed_at", "review_reason"]
                )
            outcomes.append(_("the measurement is open for the company's correction"))
            if payment is not None and payment.state in (
                PaymentCalculation.State.COMPUTED,
                PaymentCalculation.State.PREPARED,
            ):
                approvals.payment_return(calculation=payment, user=user, reason=returned)
                outcomes.append(_("the payment is returned, to be computed again"))
        else:
            if payment.state == PaymentCalculation.State.PREPARED:
                approvals.payment_return(calculation=payment, user=user, reason=returned)
            payment_compute_enqueue(period=objection.period, user=user)
            outcomes.append(_("the payment is computed again"))
        return _decide(objection, "accept", user, reason, "; ".join(str(o) for o in outcomes))
