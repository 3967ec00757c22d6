"""E-mails to the people who must act next (console backend unless configured).

Never sent in a web request: a service that causes one calls `enqueue_…`, which queues one
Celery task for the event once the transaction commits (`contracts/tasks.py`); the task calls
`notify_…` here. Each message is sent once per event and recipient (`NotificationSent`,
recorded in the same transaction as the send), so a task that is retried after an SMTP
failure, redelivered, or a reminder sent again the next morning, sends nothing twice."""

from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from contracts.models import (
    Measurement,
    NotificationSent,
    PaymentAdjustment,
    PaymentCalculation,
    Period,
    RectificationNotice,
)
from portfolio.models import User


def _enqueue(task_name: str, object_id: int) -> None:
    from contracts import tasks  # tasks import services: import late

    task = getattr(tasks, task_name)
    # robust: a broker that is down is logged, never an error after the commit.
    transaction.on_commit(lambda: task.delay(object_id), robust=True)


def enqueue_measurement_returned(*, measurement_id: int) -> None:
    _enqueue("send_measurement_returned", measurement_id)


def enqueue_payment_prepared(*, calculation_id: int) -> None:
    _enqueue("send_payment_prepared", calculation_id)


def enqueue_adjustment_proposed(*, adjustment_id: int) -> None:
    _enqueue("send_adjustment_proposed", adjustment_id)


def enqueue_objection_lodged(*, objection_id: int) -> None:
    _enqueue("send_objection_lodged", objection_id)


def enqueue_objection_decided(*, objection_id: int) -> None:
    _enqueue("send_objection_decided", objection_id)


def enqueue_rectification_issued(*, notice_id: int) -> None:
    _enqueue("send_rectification_issued", notice_id)


def _addresses(*, party_id: int, roles: list[str], exclude: int | None = None) -> list[str]:
    people = User.objects.filter(party_id=party_id, role__in=roles, is_active=True)
    if exclude is not None:
        people = people.exclude(pk=exclude)
    return sorted({email for email in people.values_list("email", flat=True) if email})


def _send_once(*, event: str, to: list[str], subject: str, body: str) -> int:
    """Send the message to each recipient not sent this event yet; returns how many were sent.
    A failed send raises (the task retries) and leaves no record for that recipient."""
    sent = 0
    for recipient in to:
        try:
            with transaction.atomic():
                NotificationSent.objects.create(event=event, recipient=recipient)
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
        except IntegrityError:
            continue  # sent before
        sent += 1
    return sent


def notify_measurement_returned(*, measurement_id: int) -> int:
    m = Measurement.objects.select_related("period__contract", "kpi", "reviewed_by").get(
        pk=measurement_id
    )
    contract = m.period.contract
    subject = _("Returned for revision: %(contract)s %(period)s %(kpi)s") % {
        "contract": contract.code,
        "period": m.period.label,
        "kpi": m.kpi.code,
    }
    body = _("%(official)s returned %(kpi)s %(name)s for revision:\n\n%(reason)s") % {
        "official": m.reviewed_by,
        "kpi": m.kpi.code,
        "name": m.kpi.name,
        "reason": m.review_reason,
    }
    return _send_once(
        event=f"returned:measurement:{m.pk}",
        to=_addresses(party_id=contract.private_party_id, roles=[User.Role.ENTERPRISE]),
        subject=subject,
        body=body,
    )


def notify_payment_prepared(*, calculation_id: int) -> int:
    """Tell the agency's approvers (except the preparer) that a payment waits for them; not
    once it no longer does (approved or returned meanwhile)."""
    calculation = PaymentCalculation.objects.select_related("period__contract", "prepared_by").get(
        pk=calculation_id
    )
    if calculation.state != PaymentCalculation.State.PREPARED:
        return 0
    contract = calculation.period.contract
    subject = _("Awaiting your approval: %(contract)s %(period)s") % {
        "contract": contract.code,
        "period": calculation.period.label,
    }
    body = _("%(official)s prepared the payment of %(payable)s %(currency)s.") % {
        "official": calculation.prepared_by,
        "payable": calculation.payable,
        "currency": contract.currency,
    }
    return _send_once(
        # Prepared again after a return is a new event.
        event=f"prepared:calculation:{calculation.pk}:{calculation.prepared_at.timestamp()}",
        to=_addresses(
            party_id=contract.government_party_id,
            roles=[User.Role.APPROVER],
            exclude=calculation.prepared_by_id,
        ),
        subject=subject,
        body=body,
    )


def notify_adjustment_proposed(*, adjustment_id: int) -> int:
    adjustment = PaymentAdjustment.objects.select_related(
        "calculation__period__contract", "created_by"
    ).get(pk=adjustment_id)
    if adjustment.state != PaymentAdjustment.State.PROPOSED:
        return 0
    period = adjustment.calculation.period
    subject = _("Adjustment awaiting your approval: %(contract)s %(period)s") % {
        "contract": period.contract.code,
        "period": period.label,
    }
    body = _("%(official)s proposed an adjustment of %(amount)s %(currency)s:\n\n%(reason)s") % {
        "official": adjustment.created_by,
        "amount": f"{adjustment.amount:+}",
        "currency": period.contract.currency,
        "reason": adjustment.reason,
    }
    return _send_once(
        event=f"proposed:adjustment:{adjustment.pk}",
        to=_addresses(
            party_id=period.contract.government_party_id,
            roles=[User.Role.APPROVER],
            exclude=adjustment.created_by_id,
        ),
        subject=subject,
        body=body,
    )


def periods_to_remind(*, today: date, within_days: int = 7) -> list[int]:
    """Open periods that have ended and are due within `within_days` or overdue."""
    due = Period.objects.filter(
        state=Period.State.OPEN, ends_on__lt=today, due_on__lte=today + timedelta(days=within_days)
    )
    return list(due.order_by("pk").values_list("pk", flat=True))


def notify_submission_due(*, period_id: int) -> int:
    """Remind the enterprise of a period still to submit: once per period and recipient."""
    period = Period.objects.select_related("contract").get(pk=period_id)
    if period.state != Period.State.OPEN:
        return 0
    subject = _("Measurements due by %(due)s: %(contract)s %(period)s") % {
        "due": date_format(period.due_on),
        "contract": period.contract.code,
        "period": period.label,
    }
    return _send_once(
        event=f"reminder:period:{period.pk}",
        to=_addresses(party_id=period.contract.private_party_id, roles=[User.Role.ENTERPRISE]),
        subject=subject,
        body=subject,
    )


def _objection(objection_id: int):
    from contracts.models import Objection

    return Objection.objects.select_related(
        "period__contract", "measurement__kpi", "lodged_by", "decided_by"
    ).get(pk=objection_id)


def _objection_words(objection) -> dict:
    period = objection.period
    figure = objection.measurement.kpi.code if objection.measurement_id else _("payment")
    if objection.item:
        figure = f"{figure} · {objection.item}"
    return {
        "id": objection.pk,
        "contract": period.contract.code,
        "period": period.label,
        "figure": figure,
    }


def notify_objection_lodged(*, objection_id: int) -> int:
    """Tell the agency's officials that the company objects (and that the payment waits)."""
    objection = _objection(objection_id)
    words = _objection_words(objection)
    subject = _("Objection #%(id)s: %(contract)s %(period)s %(figure)s") % words
    body = _(
        "%(company)s objects to %(figure)s; the window closed on %(closes)s. The payment is "
        "neither prepared nor approved until an official decides it.\n\n%(reason)s"
    ) % {
        **words,
        "company": objection.lodged_by,
        "closes": date_format(objection.window_closes_on, "DATE_FORMAT"),
        "reason": objection.reason,
    }
    return _send_once(
        event=f"objection-lodged:{objection.pk}",
        to=_addresses(
            party_id=objection.period.contract.government_party_id,
            roles=[User.Role.PREPARER, User.Role.APPROVER],
        ),
        subject=subject,
        body=body,
    )


def notify_objection_decided(*, objection_id: int) -> int:
    """Tell the company how its objection was decided, and why."""
    objection = _objection(objection_id)
    if objection.decided_at is None:
        return 0
    words = _objection_words(objection)
    subject = _("Objection #%(id)s decided: %(contract)s %(period)s") % words
    body = _("%(official)s: %(state)s.\n\n%(reason)s\n\n%(outcome)s") % {
        "official": objection.decided_by,
        "state": objection.get_state_display(),
        "reason": objection.decision_reason,
        "outcome": objection.outcome,
    }
    return _send_once(
        event=f"objection-decided:{objection.pk}",
        to=_addresses(
            party_id=objection.period.contract.private_party_id, roles=[User.Role.ENTERPRISE]
        ),
        subject=subject,
        body=body.strip(),
    )


def notify_rectification_issued(*, notice_id: int) -> int:
    """Tell the company's staff a rectification notice waits for their answer."""
    notice = RectificationNotice.objects.select_related("period__contract", "issued_by").get(
        pk=notice_id
    )
    contract = notice.period.contract
    subject = _("Rectification required by %(deadline)s: %(contract)s %(period)s") % {
        "deadline": date_format(notice.deadline),
        "contract": contract.code,
        "period": notice.period.label,
    }
    body = _("%(official)s issued a rectification notice.\n\n%(problem)s\n\n%(action)s") % {
        "official": notice.issued_by,
        "problem": notice.problem,
        "action": notice.required_action,
    }
    return _send_once(
        event=f"issued:rectification:{notice.pk}",
        to=_addresses(party_id=contract.private_party_id, roles=[User.Role.ENTERPRISE]),
        subject=subject,
        body=body,
    )


def agencies_to_alert(*, today: date) -> list[int]:
    """Agencies with at least one contract in operation on `today` (started, not ended): the
    morning's monitoring digest is computed for each."""
    from contracts.models import Contract

    agencies = Contract.objects.filter(starts_on__lte=today, ends_on__gte=today)
    return sorted(set(agencies.values_list("government_party_id", flat=True)))


def notify_monitoring_alerts(*, agency_id: int, today: date) -> int:
    """The morning digest for an agency's officials: every monitoring alert and overdue
    rectification notice of its contracts (`compliance_flags`), once per agency and day;
    nothing when there is none."""
    from contracts.compliance import ALERT_FLAGS, FlagCode, compliance_flags
    from contracts.models import Contract
    from contracts.monitoring import agency_alerted_store

    contracts = list(
        Contract.objects.filter(government_party_id=agency_id)
        .select_related("project")
        .order_by("code")
    )
    wanted = {*ALERT_FLAGS.values(), FlagCode.OVERDUE_RECTIFICATION}
    flags = compliance_flags(contracts=contracts, today=today)
    # the officials' home reads the day's alerted contracts from here (contracts.monitoring)
    agency_alerted_store(
        agency_id=agency_id,
        today=today,
        alerted=[c.pk for c in contracts if flags.monitoring[c.pk].alerts],
    )
    lines = []
    for contract in contracts:
        for flag in flags.contracts.get(contract.pk, []):
            if flag.code in wanted:
                lines.append(f"{contract.code} · {flag.label}: {flag.reason}")
    if not lines:
        return 0
    subject = _("Monitoring alerts of %(date)s: %(count)s") % {
        "date": date_format(today),
        "count": len(lines),
    }
    return _send_once(
        event=f"monitoring:agency:{agency_id}:{today.isoformat()}",
        to=_addresses(party_id=agency_id, roles=[User.Role.PREPARER, User.Role.APPROVER]),
        subject=subject,
        body="\n\n".join(lines),
    )
