"""Requesting and rendering evaluation reports.

`report_request` freezes what the report will show and hashes it: an unchanged report is the
stored one (no new render); a change makes the subject's next version. `report_render` (on a
worker, queue `reports`) turns one version into its PDF, once.
"""

import hashlib
import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract, PaymentCalculation, Period
from portfolio.models import City

from .models import AGENCY_SCOPE, Report
from .selectors import (
    contract_report_document,
    inputs_hash,
    portfolio_agency_id,
    portfolio_report_document,
    texts_shown,
)

logger = logging.getLogger(__name__)


class ReportRefused(Exception):
    """The report cannot be made (no calculation for the period, unknown language…)."""


def may_request_portfolio_report(user) -> bool:
    """A city's portfolio report: auditors and officials, not enterprise staff."""
    return user.is_superuser or user.role in ("auditor", "preparer", "approver")


class ReportRateLimited(ReportRefused):
    """Too many new versions in the last hour, of this report or by this user (each version
    is a stored PDF, kept for good): try again later (the API answers 429)."""


def _versions_allowed(*, subject: str, user) -> None:
    """At most REPORT_VERSIONS_PER_REPORT_HOUR new versions of one report (subject) and
    REPORT_VERSIONS_PER_USER_HOUR by one user, counted over the last hour."""
    since = timezone.now() - timedelta(hours=1)
    recent = Report.objects.filter(created_at__gte=since)
    per_report = settings.REPORT_VERSIONS_PER_REPORT_HOUR
    if recent.filter(subject=subject).count() >= per_report:
        raise ReportRateLimited(
            _("This report already has %(n)d new versions in the last hour; try again later.")
            % {"n": per_report}
        )
    per_user = settings.REPORT_VERSIONS_PER_USER_HOUR
    if user is not None and recent.filter(requested_by=user).count() >= per_user:
        raise ReportRateLimited(
            _("You asked for %(n)d new report versions in the last hour; try again later.")
            % {"n": per_user}
        )


def _subject(*, kind: str, language: str, period=None, city=None, year=None, agency_id=None):
    if kind == Report.Kind.CONTRACT:
        return f"contract:{period.pk}:{language}"
    # An agency's portfolio report is a subject of its own (its own versions and readers).
    scope = "" if agency_id is None else f"{AGENCY_SCOPE}{agency_id}"
    return f"portfolio:{city.pk}:{year}:{language}{scope}"


def report_request_by_names(
    *,
    user,
    language: str,
    contract_code: str = "",
    period_label: str = "",
    city_name: str = "",
    year: int | None = None,
) -> tuple[Report, bool]:
    """`report_request` for what a request form or the API names: a contract code and a period
    label, or else a city name and a year. Http404 (the API's and the pages' 404) for a
    contract the user may not see, a city that does not exist, or a portfolio report they may
    not request."""
    if contract_code:
        contract = Contract.objects.visible_to(user).filter(code=contract_code).first()
        if contract is None:
            raise Http404
        return report_request(
            user=user, contract=contract, period_label=period_label, language=language
        )
    city = City.objects.filter(name=city_name).first()
    if city is None or not may_request_portfolio_report(user):
        raise Http404
    return report_request(user=user, city=city, year=year, language=language)


def report_request(
    *,
    user=None,
    contract: Contract | None = None,
    period_label: str | None = None,
    city: City | None = None,
    year: int | None = None,
    language: str = Report.Language.ZH_HANS,
    findings: str | None = None,
    recommendations: str | None = None,
) -> tuple[Report, bool]:
    """The report for a contract period (`contract`, `period_label`) or a city's year (`city`,
    `year`): (report, created). Unchanged inputs → the existing report of those inputs (ready,
    or still pending/rendering; a failed one is queued again). Findings and recommendations
    not given are those given last for the subject (copied forward to new versions)."""
    if language not in Report.Language.values:
        raise ReportRefused(_("unknown language: %(language)s") % {"language": language})
    if contract is not None:
        period = Period.objects.filter(contract=contract, label=period_label).first()
        if period is None:
            raise ReportRefused(
                _("%(contract)s has no period %(period)s")
                % {"contract": contract.code, "period": period_label}
            )
        if not PaymentCalculation.objects.filter(period=period).exists():
            raise ReportRefused(
                _("%(contract)s %(period)s: no payment computed yet")
                % {"contract": contract.code, "period": period_label}
            )
        kind, subject_fields = Report.Kind.CONTRACT, {"contract": contract, "period": period}
        subject = _subject(kind=kind, language=language, period=period)
    elif city is not None and year is not None:
        kind, subject_fields = Report.Kind.PORTFOLIO, {"city": city, "year": year}
        agency_id = portfolio_agency_id(user=user)
        subject = _subject(kind=kind, language=language, city=city, year=year, agency_id=agency_id)
    else:
        raise ReportRefused(_("a report is of a contract and period, or of a city and year"))

    texts_given = findings is not None or recommendations is not None
    source = Report.objects.filter(subject=subject).current_first().first()
    texts = {
        "findings": findings if findings is not None else (source.findings if source else ""),
        "recommendations": recommendations
        if recommendations is not None
        else (source.recommendations if source else ""),
    }
    texts_set_at = timezone.now() if texts_given else (source.texts_set_at if source else None)
    if kind == Report.Kind.CONTRACT:
        document = contract_report_document(period=subject_fields["period"], language=language)
        # What the other language's report has is part of the inputs where this one has none.
        document["texts_shown"] = texts_shown(
            period=subject_fields["period"], language=language, texts=texts
        )
    else:
        document = portfolio_report_document(
            city=city, year=year, language=language, agency_id=agency_id
        )
    document["texts"] = texts
    # Plain JSON (dates as ISO strings): what is hashed is exactly what is stored.
    document = json.loads(json.dumps(document, cls=_encoder()))
    digest = inputs_hash(document)

    for _attempt in range(3):
        existing = Report.objects.filter(subject=subject, inputs_hash=digest).first()
        if existing is not None:
            if texts_given:
                Report.objects.filter(pk=existing.pk).update(texts_set_at=texts_set_at)
                existing.texts_set_at = texts_set_at
            if existing.state == Report.State.FAILED:
                _requeue(existing)
            return existing, False
        _versions_allowed(subject=subject, user=user)
        try:
            with transaction.atomic():
                version = (
                    Report.objects.filter(subject=subject).aggregate(v=Max("version"))["v"] or 0
                ) + 1
                report = Report.objects.create(
                    kind=kind,
                    subject=subject,
                    version=version,
                    language=language,
                    inputs=document,
                    inputs_hash=digest,
                    requested_by=user,
                    texts_set_at=texts_set_at,
                    **texts,
                    **subject_fields,
                )
                _enqueue(report.pk)
            return report, True
        except IntegrityError:
            # Another request made this version (or these inputs) first: look again.
            continue
    raise ReportRefused(_("too many concurrent requests for this report; try again"))


def _encoder():
    from django.core.serializers.json import DjangoJSONEncoder

    return DjangoJSONEncoder


def _enqueue(report_id: int) -> None:
    from reports.tasks import render_report  # tasks import services: import late

    transaction.on_commit(lambda: render_report.delay(report_id))


def _requeue(report: Report) -> None:
    with transaction.atomic():
        updated = Report.objects.filter(pk=report.pk, state=Report.State.FAILED).update(
            state=Report.State.PENDING, progress=0, error=""
        )
        if updated:
            _enqueue(report.pk)
    report.refresh_from_db()


def _progress(report_id: int, progress: int, **fields) -> None:
    Report.objects.filter(pk=report_id).update(progress=progress, **fields)


def report_render(*, report_id: int) -> Report:
    """Render one report version to its PDF. A ready report is left alone; two workers never
    render the same one (the pending → rendering step is guarded by the state). An error marks
    it failed with the reason."""
    from .rendering import report_pdf  # WeasyPrint loads only where reports are rendered

    claimed = Report.objects.filter(
        pk=report_id, state__in=[Report.State.PENDING, Report.State.FAILED]
    ).update(state=Report.State.RENDERING, progress=10, error="")
    report = Report.objects.get(pk=report_id)
    if not claimed and report.state != Report.State.RENDERING:
        return report  # ready: nothing to do
    # A report found `rendering` was claimed by a worker that died (acks_late redelivery).
    try:
        rendered = report_pdf(report)
        _progress(report_id, 80)
        digest = hashlib.sha256(rendered.pdf).hexdigest()
        report.file.save(report.filename, ContentFile(rendered.pdf), save=False)
    except OperationalError:
        raise  # the database, not the report: the task retries
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        Report.objects.filter(pk=report_id).exclude(state=Report.State.READY).update(
            state=Report.State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000] or "error"
        )
        report.refresh_from_db()
        return report
    Report.objects.filter(pk=report_id).exclude(state=Report.State.READY).update(
        state=Report.State.READY,
        progress=100,
        file=report.file.name,
        sha256=digest,
        size=len(rendered.pdf),
        pages=rendered.pages,
        rendered_at=timezone.now(),
    )
    report.refresh_from_db()
    return report


def may_write_texts(user, contract: Contract) -> bool:
    """问题及原因 and 建议 are the contract agency's officials' words, no one else's."""
    return bool(
        user.is_authenticated and user.is_official and user.party_id == contract.government_party_id
    )


def report_texts_update(
    *,
    user,
    contract: Contract,
    period_label: str,
    language: str = Report.Language.ZH_HANS,
    findings: str,
    recommendations: str,
) -> tuple[Report, bool]:
    """Officials' 问题及原因 and 建议 in a contract period's report: (report, created). The texts
    are part of the report's inputs: new texts make the subject's next version (rendered on a
    worker); the texts a report of unchanged data already has return that report."""
    if not may_write_texts(user, contract):
        raise PermissionDenied(_("Only officials of the contract's agency may write these texts."))
    return report_request(
        user=user,
        contract=contract,
        period_label=period_label,
        language=language,
        findings=findings.strip(),
        recommendations=recommendations.strip(),
    )
