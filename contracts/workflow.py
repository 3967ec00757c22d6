"""The workflow, written once: one transition table per state model.

For each model (period, measurement, payment, payment adjustment, objection) the table says,
per action, the states it starts from, who may do it (roles, always on their own side of the
contract: officials of its agency, staff of its enterprise; four eyes where named; further
conditions) and the state it leads to. Everything that decides whether an action may happen
reads it:

- the services call `transition_check` before every change (refusal: `ActionRefused`, whose
  message the admin shows and the API answers with 409);
- the admin's buttons and the API list `allowed_actions(obj, user)`;
- the queues ("awaiting my action") filter with `awaiting(queryset, user)`, built from the
  transitions marked `queue`;
- computing reads `recomputable_states()`, and the upsert refuses rows in any other state.

Change a rule here and all of them follow. Tables are plain dicts of frozen `Transition`s,
read at call time (a test may replace one entry with `monkeypatch.setitem`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import (
    COUNTS,
    Measurement,
    Objection,
    PaymentAdjustment,
    PaymentCalculation,
    Period,
    RectificationNotice,
)
from portfolio.models import User
from portfolio.working_days import working_day_deadline

Role = User.Role
OFFICIALS = frozenset({Role.PREPARER, Role.APPROVER})
ENTERPRISE = frozenset({Role.ENTERPRISE})
# The payment "state" of a period that has no calculation yet (the payment table's compute).
NOT_COMPUTED = "not_computed"
# The "state" of an objection not lodged yet (the objection table's lodge).
NOT_LODGED = "not_lodged"
# The "state" of a rectification notice not issued yet (the rectification table's issue).
NOT_ISSUED = "not_issued"


class ActionRefused(Exception):
    """The action is not allowed now, for the reason given (shown to the official)."""


@dataclass(frozen=True)
class Condition:
    """A further condition of an action besides state and people, written twice on purpose:
    `holds(obj)` for one object, `q()` as a filter on the table's model (for queues); a test
    pins that both agree. `refusal(obj)` is the reason shown when it does not hold."""

    holds: Callable[[Any], bool]
    q: Callable[[], Q]
    refusal: Callable[[Any], str]


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]  # the states the action starts from
    target: str | None  # the state it leads to; None: the state stays
    roles: frozenset[str]  # who may, on their own side of the contract
    label: Promise  # the verb, for buttons
    not_by: str = ""  # four eyes: the user in this field may not do it
    not_by_refusal: Promise | None = None
    conditions: tuple[Condition, ...] = ()
    reason_prompt: Promise | None = None  # set: the action needs a reason (this asks for one)
    system: bool = False  # also done without a user (the nightly payment run)
    queue: bool = False  # an object in a source state waits for someone who may do this
    # The refusal when the state does not fit: (object, its state) → text; None: the table's.
    state_refusal: Callable[[Any, str], str] | None = None
    # The refusal when the user's role or side does not fit; None: the generic ones.
    people_refusal: Promise | None = None


@dataclass(frozen=True)
class Table:
    model: type[models.Model]
    # The refusal when the state does not fit, with %(state)s and %(needed)s.
    wrong_state: Promise
    transitions: dict[str, Transition] = field(default_factory=dict)

    def state_label(self, state: str) -> str:
        if state == NOT_COMPUTED:
            return str(_("not computed"))
        if state == NOT_LODGED:
            return str(_("not lodged"))
        if state == NOT_ISSUED:
            return str(_("not issued"))
        return str(self.model.State(state).label)


# --- Conditions ------------------------------------------------------------------------


def _period(obj) -> Period:
    """The period an object of any table belongs to (a period: itself): its contract says
    whose side the object is on."""
    if isinstance(obj, Period):
        return obj
    if isinstance(obj, Measurement | PaymentCalculation | Objection | RectificationNotice):
        return obj.period
    return obj.calculation.period


def submission_opens_on(period: Period) -> date:
    """The first day the enterprise may submit the period: the day after it ends, or
    `PERIOD_SUBMIT_DAYS_EARLY` days before that."""
    return period.ends_on + timedelta(days=1 - settings.PERIOD_SUBMIT_DAYS_EARLY)


def _period_ended(path: str) -> Condition:
    prefix = f"{path}__" if path else ""

    def q() -> Q:
        # opens_on <= today  ⇔  ends_on < today + days early
        last_end = timezone.localdate() + timedelta(days=settings.PERIOD_SUBMIT_DAYS_EARLY)
        return Q(**{f"{prefix}ends_on__lt": last_end})

    def refusal(obj) -> str:
        period = _period(obj)
        return _("The period ends on %(ends)s: it can be submitted from %(opens)s.") % {
            "ends": date_format(period.ends_on),
            "opens": date_format(submission_opens_on(period)),
        }

    return Condition(
        holds=lambda obj: submission_opens_on(_period(obj)) <= timezone.localdate(),
        q=q,
        refusal=refusal,
    )


def _period_not_locked(path: str) -> Condition:
    prefix = f"{path}__" if path else ""
    return Condition(
        holds=lambda obj: _period(obj).state != Period.State.LOCKED,
        q=lambda: ~Q(**{f"{prefix}state": Period.State.LOCKED}),
        refusal=lambda obj: _("The period is locked: its payment is approved."),
    )


# The current revision of the measurement that counts for its KPI (models.COUNTS): a company's
# own figure for a telemetry KPI is shown beside the computed one, never reviewed.
CURRENT_REVISION = Condition(
    holds=lambda m: m.is_current and m.origin == m.kpi.data_source,
    q=lambda: Q(COUNTS, is_current=True),
    refusal=lambda m: _("Only the current, submitted revision can be reviewed."),
)


def _review_state_refusal(measurement, state) -> str:
    return _("Only the current, submitted revision can be reviewed.")


def _compute_state_refusal(obj, state) -> str:
    if state in PaymentCalculation.FINAL_STATES:
        return _("The payment is %(state)s: it is final and is not computed again.") % {
            "state": PAYMENT.state_label(state)
        }
    return _("The payment is %(state)s: return it first to compute it again.") % {
        "state": PAYMENT.state_label(state)
    }


# Payments: an open objection against the payment or a figure of its period holds it up.
# `with_open_objection` annotates a queryset of payments so that lists read no more rows.
def _open_objection_pk(calculation) -> int | None:
    if "open_objection_pk" not in calculation.__dict__:
        calculation.open_objection_pk = (
            Objection.objects.filter(period_id=calculation.period_id, state=Objection.State.OPEN)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
    return calculation.open_objection_pk


def with_open_objection(queryset: models.QuerySet) -> models.QuerySet:
    """Payments annotated with their period's first open objection (the condition reads it)."""
    first_open = Objection.objects.filter(
        period_id=OuterRef("period_id"), state=Objection.State.OPEN
    ).order_by("pk")
    return queryset.annotate(open_objection_pk=Subquery(first_open.values("pk")[:1]))


def _objection_refusal(calculation) -> str:
    objection = Objection.objects.select_related("lodged_by").get(
        pk=_open_objection_pk(calculation)
    )
    return _(
        "Objection #%(id)s, lodged on %(date)s by %(who)s, is open: decide it before the "
        "payment is prepared or approved."
    ) % {
        "id": objection.pk,
        "date": date_format(timezone.localtime(objection.lodged_at), "DATE_FORMAT"),
        "who": objection.lodged_by.get_full_name() or objection.lodged_by.get_username(),
    }


NO_OPEN_OBJECTION = Condition(
    holds=lambda calculation: _open_objection_pk(calculation) is None,
    q=lambda: ~Q(period__objections__state=Objection.State.OPEN),
    refusal=_objection_refusal,
)

# Objections: what may be contested, until when, and one open objection per figure.
CONTESTABLE_PAYMENT_STATES = frozenset(
    {
        PaymentCalculation.State.COMPUTED,
        PaymentCalculation.State.PREPARED,
        PaymentCalculation.State.APPROVED,
        PaymentCalculation.State.PAID,
    }
)
CONTESTABLE_MEASUREMENT_STATES = frozenset({Measurement.State.RETURNED, Measurement.State.ACCEPTED})


def figure_shown_at(subject):
    """When a figure was shown to the company: a payment when computed, a measurement when
    an official returned or accepted it (None: not shown yet)."""
    if isinstance(subject, PaymentCalculation):
        return subject.computed_at
    return subject.reviewed_at


def objection_window(subject):
    """The window to object to `subject`: its `Deadline` (last day, and whether a year the
    calendar does not know was counted Monday to Friday), or None if it was not shown yet."""
    shown = figure_shown_at(subject)
    if shown is None:
        return None
    return working_day_deadline(timezone.localdate(shown), settings.OBJECTION_WINDOW_WORKING_DAYS)


def _contestable(objection) -> bool:
    if objection.calculation_id:
        return objection.calculation.state in CONTESTABLE_PAYMENT_STATES
    measurement = objection.measurement
    return (
        measurement.is_current
        and measurement.state in CONTESTABLE_MEASUREMENT_STATES
        and measurement.reviewed_at is not None  # imported as accepted: never shown
    )


CONTESTABLE = Condition(
    holds=_contestable,
    q=lambda: (
        Q(calculation__state__in=sorted(CONTESTABLE_PAYMENT_STATES))
        | Q(
            measurement__is_current=True,
            measurement__state__in=sorted(CONTESTABLE_MEASUREMENT_STATES),
            measurement__reviewed_at__isnull=False,
        )
    ),
    refusal=lambda objection: _(
        "Only a computed payment, or a measurement an official returned or accepted, can be "
        "contested."
    ),
)


def _window_refusal(objection) -> str:
    text = _(
        "The objection window closed on %(closed)s: %(days)d working days after the figure "
        "was shown on %(shown)s."
    ) % {
        "closed": date_format(objection.window_closes_on, "DATE_FORMAT"),
        "days": settings.OBJECTION_WINDOW_WORKING_DAYS,
        "shown": date_format(timezone.localdate(objection.shown_at), "DATE_FORMAT"),
    }
    deadline = working_day_deadline(
        timezone.localdate(objection.shown_at), settings.OBJECTION_WINDOW_WORKING_DAYS
    )
    if deadline.estimated:
        text += " " + _(
            "The official holidays of that year are not known yet: Monday to Friday were "
            "counted as working days."
        )
    return text


WITHIN_WINDOW = Condition(
    holds=lambda objection: timezone.localdate() <= objection.window_closes_on,
    q=lambda: Q(window_closes_on__gte=timezone.localdate()),
    refusal=_window_refusal,
)


def _open_on_subject(objection) -> int | None:
    subject = (
        {"calculation": objection.calculation_id}
        if objection.calculation_id
        else {"measurement": objection.measurement_id}
    )
    return (
        Objection.objects.filter(state=Objection.State.OPEN, **subject)
        .exclude(pk=objection.pk)
        .values_list("pk", flat=True)
        .first()
    )


def _none_open_on_figure_q() -> Q:
    q = Q()
    for subject in ("calculation", "measurement"):
        others = Objection.objects.filter(
            state=Objection.State.OPEN, **{subject: OuterRef(subject)}
        ).exclude(pk=OuterRef("pk"))
        q &= ~Q(Exists(others))
    return q


NONE_OPEN_ON_FIGURE = Condition(
    holds=lambda objection: _open_on_subject(objection) is None,
    q=_none_open_on_figure_q,
    refusal=lambda objection: (
        _("Objection #%(id)s against this figure is still open.")
        % {"id": _open_on_subject(objection)}
    ),
)


# --- The tables ------------------------------------------------------------------------

P, M, C, A = Period.State, Measurement.State, PaymentCalculation.State, PaymentAdjustment.State
OB = Objection.State

PERIOD = Table(
    model=Period,
    wrong_state=gettext_lazy("The period is %(state)s; this needs it %(needed)s."),
    transitions={
        # Drafts may be saved while the period runs; submitting waits until it has ended.
        "save_draft": Transition(
            frozenset({P.OPEN, P.SUBMITTED}), None, ENTERPRISE, gettext_lazy("save as draft")
        ),
        "submit": Transition(
            frozenset({P.OPEN, P.SUBMITTED}),
            P.SUBMITTED,
            ENTERPRISE,
            gettext_lazy("submit"),
            conditions=(_period_ended(""),),
        ),
        # Approving the payment locks the period (the payment table's approve); an approver
        # reopens it with a reason. Its approved payment stays: corrections are adjustments.
        "reopen": Transition(
            frozenset({P.LOCKED}),
            P.SUBMITTED,
            frozenset({Role.APPROVER}),
            gettext_lazy("reopen"),
            reason_prompt=gettext_lazy("Say why the period is reopened."),
            state_refusal=lambda period, state: _("Only a locked period can be reopened."),
        ),
    },
)

MEASUREMENT = Table(
    model=Measurement,
    wrong_state=gettext_lazy("The measurement is %(state)s; this needs it %(needed)s."),
    transitions={
        # A figure first entered in an open period needs no measurement yet: the period's
        # save_draft / submit decide. These two are the changes of an existing figure.
        "submit": Transition(
            frozenset({M.DRAFT}),
            M.SUBMITTED,
            ENTERPRISE,
            gettext_lazy("submit"),
            conditions=(_period_not_locked("period"), _period_ended("period")),
        ),
        # A returned revision stays as it was; the corrected figure is a new revision.
        "revise": Transition(
            frozenset({M.RETURNED}),
            None,
            ENTERPRISE,
            gettext_lazy("revise"),
            conditions=(_period_not_locked("period"),),
        ),
        "accept": Transition(
            frozenset({M.SUBMITTED}),
            M.ACCEPTED,
            OFFICIALS,
            gettext_lazy("accept"),
            conditions=(_period_not_locked("period"), CURRENT_REVISION),
            queue=True,
            state_refusal=_review_state_refusal,
        ),
        "return": Transition(
            frozenset({M.SUBMITTED}),
            M.RETURNED,
            OFFICIALS,
            gettext_lazy("return"),
            conditions=(_period_not_locked("period"), CURRENT_REVISION),
            reason_prompt=gettext_lazy("Say why the measurement is returned."),
            state_refusal=_review_state_refusal,
        ),
        # An accepted figure opened again for the company's correction: only by accepting an
        # objection against it (contracts/services/objections.py), which gives the reason.
        "reopen": Transition(
            frozenset({M.ACCEPTED}),
            M.RETURNED,
            OFFICIALS,
            gettext_lazy("reopen for correction"),
            conditions=(_period_not_locked("period"), CURRENT_REVISION),
            reason_prompt=gettext_lazy("Say why the measurement is reopened."),
        ),
    },
)

PAYMENT = Table(
    model=PaymentCalculation,
    wrong_state=gettext_lazy("The payment is %(state)s; this needs it %(needed)s."),
    transitions={
        # The recompute rule: a prepared payment is computed again only after it is returned
        # (which clears its preparation and records why); approved and paid ones never.
        "compute": Transition(
            frozenset({NOT_COMPUTED, C.COMPUTED, C.RETURNED}),
            C.COMPUTED,
            OFFICIALS,
            gettext_lazy("compute"),
            conditions=(_period_not_locked("period"),),
            system=True,
            state_refusal=_compute_state_refusal,
        ),
        "prepare": Transition(
            frozenset({C.COMPUTED}),
            C.PREPARED,
            frozenset({Role.PREPARER}),
            gettext_lazy("prepare"),
            conditions=(NO_OPEN_OBJECTION,),
            queue=True,
        ),
        "approve": Transition(
            frozenset({C.PREPARED}),
            C.APPROVED,
            frozenset({Role.APPROVER}),
            gettext_lazy("approve"),
            not_by="prepared_by",
            not_by_refusal=gettext_lazy(
                "You prepared this payment: another official must approve it."
            ),
            conditions=(NO_OPEN_OBJECTION,),
            queue=True,
        ),
        "return": Transition(
            frozenset({C.COMPUTED, C.PREPARED}),
            C.RETURNED,
            OFFICIALS,
            gettext_lazy("return"),
            reason_prompt=gettext_lazy("Say why the payment is returned."),
        ),
        "mark_paid": Transition(
            frozenset({C.APPROVED}), C.PAID, OFFICIALS, gettext_lazy("mark paid")
        ),
        # Proposes an adjustment (the adjustment table's approve makes it count).
        "adjust": Transition(
            frozenset({C.APPROVED, C.PAID}),
            None,
            OFFICIALS,
            gettext_lazy("propose an adjustment"),
            reason_prompt=gettext_lazy("Say why the payment is adjusted."),
        ),
    },
)

ADJUSTMENT = Table(
    model=PaymentAdjustment,
    wrong_state=gettext_lazy("The adjustment is %(state)s; this needs it %(needed)s."),
    transitions={
        "approve": Transition(
            frozenset({A.PROPOSED}),
            A.APPROVED,
            frozenset({Role.APPROVER}),
            gettext_lazy("approve"),
            not_by="created_by",
            not_by_refusal=gettext_lazy(
                "You proposed this adjustment: another official must approve it."
            ),
            queue=True,
        ),
        "reject": Transition(
            frozenset({A.PROPOSED}),
            A.REJECTED,
            frozenset({Role.APPROVER}),
            gettext_lazy("reject"),
            reason_prompt=gettext_lazy("Say why the adjustment is rejected."),
        ),
    },
)

# The company lodges an objection against a figure shown to it, within the window; officials
# of the agency decide it — not the official who prepared or reviewed the figure (four eyes).
OBJECTION_DECISION_NOT_BY = gettext_lazy(
    "The objection is against your own work on this figure: another official must decide it."
)
OBJECTION = Table(
    model=Objection,
    wrong_state=gettext_lazy("The objection is %(state)s; this needs it %(needed)s."),
    transitions={
        "lodge": Transition(
            frozenset({NOT_LODGED}),
            OB.OPEN,
            ENTERPRISE,
            gettext_lazy("object"),
            conditions=(CONTESTABLE, WITHIN_WINDOW, NONE_OPEN_ON_FIGURE),
            reason_prompt=gettext_lazy("Say why you object to the figure."),
            people_refusal=gettext_lazy("Only the contract's enterprise objects to its figures."),
        ),
        "add_evidence": Transition(
            frozenset({OB.OPEN}),
            None,
            ENTERPRISE,
            gettext_lazy("add a file"),
            people_refusal=gettext_lazy("Only the contract's enterprise objects to its figures."),
        ),
        "uphold": Transition(
            frozenset({OB.OPEN}),
            OB.UPHELD,
            OFFICIALS,
            gettext_lazy("uphold the figure"),
            not_by="contested_official",
            not_by_refusal=OBJECTION_DECISION_NOT_BY,
            reason_prompt=gettext_lazy("Say why the figure stands."),
            queue=True,
        ),
        "accept": Transition(
            frozenset({OB.OPEN}),
            OB.ACCEPTED,
            OFFICIALS,
            gettext_lazy("accept the objection"),
            not_by="contested_official",
            not_by_refusal=OBJECTION_DECISION_NOT_BY,
            reason_prompt=gettext_lazy("Say why the objection is accepted."),
            queue=True,
        ),
    },
)

R = RectificationNotice.State
RECTIFICATION_ENTERPRISE = gettext_lazy("Only the contract's enterprise answers its notices.")

# Rectification notices (整改): issued by an official of the contract's agency on a period;
# the company answers (with closure files, uploaded before the answer); an official verifies
# (closed) or sends it back with a reason, and the company answers again.
RECTIFICATION = Table(
    model=RectificationNotice,
    wrong_state=gettext_lazy("The rectification notice is %(state)s; this needs it %(needed)s."),
    transitions={
        # Asked of an unsaved notice of the period (`rectification_issue_refusal`).
        "issue": Transition(
            frozenset({NOT_ISSUED}), R.ISSUED, OFFICIALS, gettext_lazy("issue a notice")
        ),
        "upload": Transition(
            frozenset({R.ISSUED, R.SENT_BACK}),
            None,
            ENTERPRISE,
            gettext_lazy("attach a file"),
            people_refusal=RECTIFICATION_ENTERPRISE,
        ),
        "answer": Transition(
            frozenset({R.ISSUED, R.SENT_BACK}),
            R.ANSWERED,
            ENTERPRISE,
            gettext_lazy("answer"),
            queue=True,
            people_refusal=RECTIFICATION_ENTERPRISE,
        ),
        "verify": Transition(
            frozenset({R.ANSWERED}),
            R.VERIFIED,
            OFFICIALS,
            gettext_lazy("verify and close"),
            queue=True,
        ),
        "send_back": Transition(
            frozenset({R.ANSWERED}),
            R.SENT_BACK,
            OFFICIALS,
            gettext_lazy("send back"),
            reason_prompt=gettext_lazy("Say why the answer is sent back."),
        ),
    },
)

TABLES: dict[type[models.Model], Table] = {
    t.model: t for t in (PERIOD, MEASUREMENT, PAYMENT, ADJUSTMENT, OBJECTION, RECTIFICATION)
}
# Payment actions asked of a period (its payment may not exist yet).
PERIOD_PAYMENT_ACTIONS = ("compute",)


# --- Reading the tables ----------------------------------------------------------------


def _resolve(obj, action: str) -> tuple[Table, Any, str]:
    """The table of `action` on `obj`, the object it applies to, and that object's state.
    A period also answers its payment's `compute`: `NOT_COMPUTED` when it has none."""
    if isinstance(obj, Period) and action in PERIOD_PAYMENT_ACTIONS:
        try:
            calculation = obj.calculation
        except ObjectDoesNotExist:
            return PAYMENT, obj, NOT_COMPUTED
        return PAYMENT, calculation, calculation.state
    return TABLES[type(obj)], obj, obj.state


def transition(model_or_obj, action: str) -> Transition:
    """The table's entry (KeyError for an action the model does not have)."""
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return TABLES[model].transitions[action]


def _people_refusal(step: Transition, obj, user: User | None) -> str | None:
    if user is None:
        return None if step.system else _("Your role may not do this.")
    role = getattr(user, "role", "")  # an anonymous user has none
    if role not in step.roles:
        if step.people_refusal is not None:
            return str(step.people_refusal)
        if step.roles == ENTERPRISE:
            return _("Only the contract's enterprise submits its measurements.")
        return _("Your role may not do this.")
    # On their own side of the contract: its agency's officials, its enterprise's staff.
    if getattr(_period(obj).contract, f"{user.contract_side}_id") != user.party_id:
        if step.people_refusal is not None:
            return str(step.people_refusal)
        if step.roles == ENTERPRISE:
            return _("Only the contract's enterprise submits its measurements.")
        return _("This contract belongs to another agency.")
    return None


def refusal(obj, action: str, user: User | None, *, explain: bool = True) -> str | None:
    """Why `user` may not do `action` on `obj` now (None: they may). `user=None` is the
    system (the nightly run), allowed only the transitions marked `system`. Reads the object
    as loaded: the services call it again on the row they have locked."""
    table, obj, state = _resolve(obj, action)
    step = table.transitions[action]
    if reason := _people_refusal(step, obj, user):
        return reason
    if state not in step.sources:
        if step.state_refusal:
            return step.state_refusal(obj, state)
        return str(table.wrong_state) % {
            "state": table.state_label(state),
            "needed": " / ".join(table.state_label(s) for s in sorted(step.sources)),
        }
    if step.not_by and user is not None and getattr(obj, f"{step.not_by}_id") == user.pk:
        return str(step.not_by_refusal)
    for condition in step.conditions:
        if not condition.holds(obj):
            # `explain=False`: whether, not why (a condition's reason may read more rows).
            return condition.refusal(obj) if explain else "refused"
    return None


def transition_check(obj, action: str, user: User | None, *, reason: str | None = None) -> str:
    """Raise `ActionRefused` with the reason unless `user` may do `action` on `obj` now (with
    `reason`, for the actions that need one); returns the state the action leads to (None:
    the state stays)."""
    step = _resolve(obj, action)[0].transitions[action]
    if step.reason_prompt is not None and not (reason or "").strip():
        raise ActionRefused(str(step.reason_prompt))
    if refused := refusal(obj, action, user):
        raise ActionRefused(refused)
    return step.target


def allowed_actions(obj, user: User | None) -> list[str]:
    """The actions `user` may do on `obj` now, in table order (a period lists its payment's
    `compute` too). Reads only what the object has loaded: its contract (and, for a period,
    its calculation) should be selected with it."""
    table = TABLES[type(obj)]
    names = list(table.transitions)
    if table is PERIOD:
        names += PERIOD_PAYMENT_ACTIONS
    return [name for name in names if refusal(obj, name, user, explain=False) is None]


def awaiting_q(model: type[models.Model], user: User) -> Q | None:
    """Rows of `model` waiting for `user`: in a source state of a `queue` transition the user
    may do, four eyes and conditions applied. None when nothing can wait for them. Scope is
    not included: see `awaiting`."""
    table = TABLES[model]
    parts = []
    for step in table.transitions.values():
        if not step.queue or user.role not in step.roles:
            continue
        q = Q(state__in=sorted(step.sources))
        if step.not_by:
            q &= ~Q(**{step.not_by: user})
        for condition in step.conditions:
            q &= condition.q()
        parts.append(q)
    if not parts:
        return None
    combined = parts[0]
    for q in parts[1:]:
        combined |= q
    return combined


def awaiting(queryset: models.QuerySet, user: User) -> models.QuerySet:
    """The rows of `queryset` that wait for `user`'s action, within what they may see."""
    q = awaiting_q(queryset.model, user) if user.is_authenticated else None
    if q is None:
        return queryset.none()
    return queryset.visible_to(user).filter(q)


def rectification_issue_refusal(period: Period, user: User | None) -> str | None:
    """Why `user` may not issue a rectification notice on `period` (None: they may): the
    rectification table's `issue`, asked of an unsaved notice (`period` with its contract)."""
    return refusal(RectificationNotice(period=period, state=NOT_ISSUED), "issue", user)


def recomputable_states() -> frozenset[str]:
    """The stored payment states computing may replace (the upsert refuses the others)."""
    return PAYMENT.transitions["compute"].sources - {NOT_COMPUTED}


def compute_refusal(*, period_state: str, payment_state: str) -> str | None:
    """Why the system may not compute a period now, from its state and its payment's
    (`NOT_COMPUTED` when it has none): the payment table's `compute` for rows read in bulk,
    on unsaved stand-ins (no query)."""
    stand_in = PaymentCalculation(state=payment_state, period=Period(state=period_state))
    return refusal(stand_in, "compute", None)


# --- Telemetry -------------------------------------------------------------------------


def telemetry_closed_q() -> Q:
    """Periods whose telemetry may no longer change (records in them are refused): the
    enterprise has submitted the period (or it is locked), a current measurement of it is
    submitted or accepted (a telemetry KPI's value is computed from its records and under
    review), or its payment is prepared, approved or paid. Written once: ingestion reads it,
    and so may anything that needs a period's records to stay as they are."""
    figures_submitted = Measurement.objects.filter(
        period=OuterRef("pk"), is_current=True, state__in=[M.SUBMITTED, M.ACCEPTED]
    )
    payment_decided = PaymentCalculation.objects.filter(
        period=OuterRef("pk"), state__in=[C.PREPARED, C.APPROVED, C.PAID]
    )
    return (
        Q(state__in=[P.SUBMITTED, P.LOCKED])
        | Q(Exists(figures_submitted))
        | Q(Exists(payment_decided))
    )
