"""Validation of a `ppp-bundle/1` document (../shared/spec/bundle-format.md).

`bundle_clean` checks the document on its own (no database) and returns its clean copy (codes
in their normal form, portfolio/codes.py) with every error and its JSON path; every number is
checked against the column it goes to (contracts/numbers.py). Checks that need the database
(scope, a contract code owned by another project, a locked period…) are made by the importer
inside its transaction. Messages are in the active language (`import_bundle` prints English:
the spec's `path: reason` interface; the API answers in the caller's language).
"""

import copy
import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from contracts.periods import BadPeriodLabel, period_bounds
from contracts.telemetry import metrics
from portfolio.credit_codes import is_valid_credit_code
from portfolio.money import MONEY_MAX, money_text

from .reader import ErrorList, ObjectReader, object_at, unique_codes

FORMAT = "ppp-bundle/1"
SECTORS = [
    "public_wifi",
    "smart_parking",
    "flood_monitoring",
    "transit_payment",
    "data_platform",
    "e_government",
    "roads",
    "public_buildings",
]
STAGES = ["identification", "preparation", "procurement", "execution", "handover"]
RETURN_MECHANISMS = ["user_pays", "viability_gap", "government_pays"]
PARTY_KINDS = ["government", "enterprise", "auditor"]
FREQUENCIES = ["annual", "quarterly", "monthly"]
DIMENSIONS = ["output", "effect", "management"]
DIRECTIONS = ["higher", "lower"]
RULES = ["deduct_per_step", "proportional", "threshold", "manual"]
PARTIAL_STEPS = ["ceil", "floor", "exact"]
ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)

TOP_KEYS = {"format", "project", "parties", "contract", "evaluations", "expected"}
PROJECT_KEYS = {
    "code",
    "name",
    "name_en",
    "city",
    "sector",
    "stage",
    "operation_mode",
    "return_mechanism",
    "total_investment",
    "cooperation_years",
}
PARTY_KEYS = {"key", "kind", "name", "credit_code"}
CONTRACT_KEYS = {
    "code",
    "title",
    "government_party",
    "private_party",
    "signed_on",
    "starts_on",
    "ends_on",
    "currency",
    "frequency",
    "mechanism",
    "kpis",
    "milestones",
}
KPI_KEYS = {
    "code",
    "name",
    "dimension",
    "unit",
    "direction",
    "target",
    "floor",
    "max_points",
    "rule",
    "step",
    "points_per_step",
    "partial_step",
    "telemetry",
}
# The optional data source of a KPI (docs/telemetry.md, Bundle field).
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
TELEMETRY_KEYS = {"stream", "metric", "p", "condition", "min_sample", "tolerance", "places"}
MILESTONE_KEYS = {"code", "name", "due_on", "met_on"}
SCORE_MECHANISM_KEYS = {
    "type",
    "components",
    "coefficient",
    "money_places",
    "score_places",
    "coefficient_places",
}
DEDUCTIONS_MECHANISM_KEYS = {
    "type",
    "base_amount",
    "availability",
    "performance_points",
    "event_rates",
    "cap_fraction",
    "money_places",
}
EVALUATION_KEYS = {
    "period",
    "measurements",
    "availability_failures",
    "performance_points",
    "events",
}


def validate_bundle(doc: Any) -> ErrorList:
    return bundle_clean(doc)[1]


def bundle_clean(doc: Any) -> tuple[Any, ErrorList]:
    """(the document with its codes normalised, every error); the caller's document is left
    as it was."""
    doc = copy.deepcopy(doc)
    return doc, _check_document(doc)


def _check_document(doc: Any) -> ErrorList:
    errors = ErrorList()
    top = object_at(errors, doc, "", TOP_KEYS)
    if top is None:
        return errors
    if doc.get("format") != FORMAT:
        top.error("format", _('must be "{format}"').format(format=FORMAT))
    project = top.obj("project", PROJECT_KEYS)
    if project:
        _check_project(project)
    party_kinds = _check_parties(errors, top.items("parties"))
    contract = top.obj("contract", CONTRACT_KEYS)
    if contract:
        kpis, mechanism = _check_contract(contract, party_kinds)
        _check_evaluations(top, contract, kpis, mechanism)
        _check_parties_referenced(errors, top.items("parties"), contract)
    return errors


def _check_parties_referenced(
    errors: ErrorList, entries: list[tuple[str, Any]], contract: ObjectReader
) -> None:
    """A bundle registers its contract's two parties, nothing else: another party listed
    would be created or changed without any contract of the bundle needing it."""
    referenced = {contract.data.get("government_party"), contract.data.get("private_party")}
    for path, raw in entries:
        key = raw.get("key") if isinstance(raw, dict) else None
        if isinstance(key, str) and key not in referenced:
            errors.add(path, _("is not a party of the contract (government_party, private_party)"))


def _check_project(project: ObjectReader) -> None:
    project.code("code", max_length=50)
    project.string("name")
    project.string("name_en", required=False)
    project.string("city", max_length=50)
    project.choice("sector", SECTORS)
    project.choice("stage", STAGES)
    project.string("operation_mode", max_length=20)
    project.choice("return_mechanism", RETURN_MECHANISMS)
    project.decimal("total_investment", minimum=ZERO, money=True)
    project.integer("cooperation_years", minimum=1, maximum=99)


def _check_parties(errors: ErrorList, entries: list[tuple[str, Any]]) -> dict[str, str]:
    """Returns party key → kind for the contract's references."""
    if not entries and not any(e.path.startswith("parties") for e in errors):
        errors.add("parties", _("must list at least the government and the private party"))
    unique_codes(errors, entries, "key")
    unique_codes(errors, entries, "name")
    unique_codes(errors, entries, "credit_code")
    kinds = {}
    for path, raw in entries:
        party = object_at(errors, raw, path, PARTY_KEYS)
        if party is None:
            continue
        key = party.string("key", max_length=50)
        kind = party.choice("kind", PARTY_KINDS)
        party.string("name")
        code = party.string("credit_code", required=False, max_length=18)
        if code is not None and not is_valid_credit_code(code):
            party.error(
                "credit_code", _("is not a valid unified social credit code (GB 32100-2015)")
            )
        if key and kind:
            kinds[key] = kind
    return kinds


def _check_contract(
    contract: ObjectReader, party_kinds: dict[str, str]
) -> tuple[dict[str, dict | None], ObjectReader | None]:
    contract.code("code", max_length=50)
    contract.string("title")
    for key, kind in (("government_party", "government"), ("private_party", "enterprise")):
        ref = contract.string(key, max_length=50)
        if ref is None:
            continue
        if ref not in party_kinds:
            contract.error(key, _("unknown party key {key}").format(key=repr(ref)))
        elif party_kinds[ref] != kind:
            contract.error(
                key, _("party {key} must be of kind {kind}").format(key=repr(ref), kind=kind)
            )
    if contract.data.get("government_party") is not None and contract.data.get(
        "government_party"
    ) == contract.data.get("private_party"):
        contract.error("private_party", _("must differ from government_party"))
    contract.date("signed_on")
    starts_on, ends_on = contract.date("starts_on"), contract.date("ends_on")
    if starts_on and ends_on and starts_on > ends_on:
        contract.error("ends_on", _("must not be before starts_on"))
    currency = contract.string("currency", max_length=3)
    if currency is not None and not (
        len(currency) == 3 and currency.isascii() and currency.isupper()
    ):
        contract.error("currency", _("must be an ISO 4217 code such as CNY"))
    contract.choice("frequency", FREQUENCIES)
    kpis = _check_kpis(contract, contract.items("kpis"))
    mechanism = contract.obj("mechanism", SCORE_MECHANISM_KEYS | DEDUCTIONS_MECHANISM_KEYS)
    if mechanism:
        _check_mechanism(contract, mechanism, kpis)
    milestones = contract.items("milestones")
    for path, raw in milestones:
        milestone = object_at(contract.errors, raw, path, MILESTONE_KEYS)
        if milestone:
            milestone.code("code", max_length=30)
            milestone.string("name")
            milestone.date("due_on")
            milestone.date("met_on", required=False, nullable=True)
    unique_codes(contract.errors, milestones, "code")  # once normalised: Ｍ1 is M1
    return kpis, mechanism


def _check_kpis(contract: ObjectReader, entries: list[tuple[str, Any]]) -> dict[str, dict | None]:
    """Returns code → KPI entry, or None for a KPI whose definition has errors."""
    kpis = {}
    for path, raw in entries:
        kpi = object_at(contract.errors, raw, path, KPI_KEYS)
        if kpi is None:
            continue
        error_count = len(kpi.errors)
        code = kpi.code("code", max_length=30)
        kpi.string("name")
        kpi.choice("dimension", DIMENSIONS)
        kpi.string("unit", required=False, max_length=20)
        kpi.decimal("max_points", above=ZERO, maximum=HUNDRED)
        rule = kpi.choice("rule", RULES)
        if rule:
            _check_kpi_rule(kpi, rule)
        if kpi.has("telemetry"):
            _check_kpi_telemetry(kpi, rule)
        if code:
            kpis[code] = raw if len(kpi.errors) == error_count else None
    unique_codes(contract.errors, entries, "code")
    return kpis


def _check_kpi_telemetry(kpi: ObjectReader, rule: str | None) -> None:
    """A KPI computed from a stream: which stream, which metric and its parameters."""
    source = kpi.obj("telemetry", TELEMETRY_KEYS)
    if source is None:
        return
    if rule == "manual":
        kpi.error("telemetry", _("a manual KPI cannot be computed from telemetry"))
    stream = source.string("stream", max_length=64)
    if stream is not None and not SLUG.match(stream):
        source.error("stream", _("must be a stream code (letters, digits, - and _)"))
    metric = source.choice("metric", list(metrics.METRICS))
    for key, wanted in (("p", metrics.PERCENTILE), ("condition", metrics.RATIO)):
        if metric and metric != wanted and source.has(key):
            source.error(key, _("does not apply to metric {metric}").format(metric=metric))
    if metric == metrics.PERCENTILE:
        source.decimal("p", above=ZERO, maximum=HUNDRED)
    if metric == metrics.RATIO:
        condition = source.string("condition", max_length=100)
        if condition is not None:
            try:
                metrics.condition_parse(condition)
            except metrics.MetricError as exc:
                source.error("condition", str(exc))
    source.integer("min_sample", required=False, minimum=1)
    source.decimal("tolerance", required=False, minimum=ZERO)
    source.integer("places", required=False, minimum=0, maximum=metrics.MAX_PLACES)


def _check_kpi_rule(kpi: ObjectReader, rule: str) -> None:
    measured = ("direction", "target")
    allowed_by_rule = {
        "manual": set(),
        "threshold": {*measured},
        "proportional": {*measured, "floor"},
        "deduct_per_step": {*measured, "step", "points_per_step", "partial_step"},
    }
    for key in sorted({"direction", "target", "floor", "step", "points_per_step", "partial_step"}):
        if kpi.has(key) and key not in allowed_by_rule[rule]:
            kpi.error(key, _("does not apply to rule {rule}").format(rule=rule))
    if rule == "manual":
        return
    direction = kpi.choice("direction", DIRECTIONS)
    target = kpi.decimal("target")
    if rule == "deduct_per_step":
        kpi.decimal("step", above=ZERO)
        kpi.decimal("points_per_step", above=ZERO)
        kpi.choice("partial_step", PARTIAL_STEPS, required=False)
    elif rule == "proportional":
        floor = kpi.decimal("floor")
        if floor is not None and target is not None and direction:
            if direction == "higher" and floor >= target:
                kpi.error("floor", _("must be below target when higher is better"))
            elif direction == "lower" and floor <= target:
                kpi.error("floor", _("must be above target when lower is better"))


def _check_mechanism(
    contract: ObjectReader, mechanism: ObjectReader, kpis: dict[str, dict | None]
) -> None:
    kind = mechanism.choice("type", ["score_coefficient", "deductions"])
    if kind is None:
        return
    allowed = SCORE_MECHANISM_KEYS if kind == "score_coefficient" else DEDUCTIONS_MECHANISM_KEYS
    for key in mechanism.data:
        if key not in allowed:
            mechanism.error(key, _("does not apply to mechanism type {kind}").format(kind=kind))
    # Amounts are stored with 2 decimal places (cents, pence, paisa).
    mechanism.integer("money_places", required=False, minimum=0, maximum=2)
    if kind == "score_coefficient":
        _check_score_coefficient(contract, mechanism, kpis)
    else:
        _check_deductions(mechanism)


def _check_score_coefficient(
    contract: ObjectReader, mechanism: ObjectReader, kpis: dict[str, dict | None]
) -> None:
    mechanism.integer("score_places", required=False, minimum=0, maximum=10)
    mechanism.integer("coefficient_places", required=False, minimum=0, maximum=10)
    components = mechanism.items("components")
    if not components and "components" in mechanism.data:
        mechanism.error("components", _("must list at least one payment component"))
    amounts = []
    for path, raw in components:
        component = object_at(mechanism.errors, raw, path, {"code", "name", "amount", "linked"})
        if component:
            component.code("code", max_length=50)
            component.string("name")
            amounts.append(component.decimal("amount", minimum=ZERO, money=True))
            component.boolean("linked")
    unique_codes(mechanism.errors, components, "code")
    if None not in amounts and sum(amounts) > MONEY_MAX:
        # The period's full amount is their sum: it must fit the payment's columns too.
        mechanism.error(
            "components",
            _("amounts add up to more than {limit}").format(limit=money_text(MONEY_MAX)),
        )
    coefficient = mechanism.obj("coefficient", {"type", "full_at", "score_rounding", "bands"})
    if coefficient:
        _check_coefficient(coefficient)
    raw_kpis = contract.data.get("kpis")
    if isinstance(raw_kpis, list):
        if not raw_kpis:
            contract.error("kpis", _("a score_coefficient contract needs KPIs"))
        elif len(kpis) == len(raw_kpis) and None not in kpis.values():
            total = sum(Decimal(str(k["max_points"])) for k in kpis.values())
            if total != HUNDRED:
                contract.error(
                    "kpis",
                    _("max_points must add up to 100, not {total}").format(
                        total=f"{total.normalize():f}"
                    ),
                )


def _check_coefficient(coefficient: ObjectReader) -> None:
    kind = coefficient.choice("type", ["proportional", "steps"])
    if kind == "proportional":
        coefficient.decimal("full_at", above=ZERO, maximum=HUNDRED)
        for key in ("score_rounding", "bands"):
            if coefficient.has(key):
                coefficient.error(key, _("applies to steps coefficients only"))
    elif kind == "steps":
        if coefficient.has("full_at"):
            coefficient.error("full_at", _("applies to proportional coefficients only"))
        coefficient.choice("score_rounding", ["exact", "floor"], required=False)
        bands = []
        entries = coefficient.items("bands")
        unique_codes(coefficient.errors, entries, "min")
        for path, raw in entries:
            band = object_at(coefficient.errors, raw, path, {"min", "base", "per_point"})
            if band:
                low = band.decimal("min", minimum=ZERO, maximum=HUNDRED)
                base = band.decimal("base", minimum=ZERO, maximum=ONE)
                per_point = band.decimal("per_point", minimum=ZERO)
                if None not in (low, base, per_point):
                    bands.append((low, base, per_point, path))
        if entries and len(bands) == len(entries):
            _check_bands_cover_scores(coefficient, sorted(bands, key=lambda b: b[0]))


def _check_bands_cover_scores(coefficient: ObjectReader, bands: list[tuple]) -> None:
    """Every score 0–100 must fall in a band, and no band may pay more than 100%."""
    if bands[0][0] != ZERO:
        coefficient.error("bands", _("must include a band with min 0 so every score is covered"))
    for i, (low, base, per_point, path) in enumerate(bands):
        upper = bands[i + 1][0] if i + 1 < len(bands) else HUNDRED
        if base + per_point * (upper - low) > ONE:
            coefficient.errors.add(
                path, _("coefficient would exceed 1 at score {score}").format(score=upper)
            )


def _check_deductions(mechanism: ObjectReader) -> None:
    mechanism.decimal("base_amount", minimum=ZERO, money=True)
    mechanism.decimal("cap_fraction", required=False, above=ZERO, maximum=ONE)
    availability = mechanism.obj(
        "availability",
        {"area_rate", "annual_charge", "total_weighting", "unavailable_but_used_factor", "ratchet"},
        required=False,
    )
    if availability:
        if availability.has("area_rate"):
            availability.decimal("area_rate", minimum=ZERO)
        else:
            availability.decimal("annual_charge", minimum=ZERO, money=True)
            availability.decimal("total_weighting", above=ZERO)
        availability.decimal(
            "unavailable_but_used_factor", required=False, minimum=ZERO, maximum=ONE
        )
        ratchet = availability.items("ratchet", required=False)
        unique_codes(availability.errors, ratchet, "failures_more_than")
        for path, raw in ratchet:
            band = object_at(availability.errors, raw, path, {"failures_more_than", "factor"})
            if band:
                band.integer("failures_more_than", minimum=0)
                band.decimal("factor", minimum=ONE)
    points = mechanism.obj("performance_points", {"threshold", "rate", "bands"}, required=False)
    if points:
        points.integer("threshold", minimum=0)
        points.decimal("rate", minimum=ZERO)
        _check_point_bands(points)
    events = mechanism.items("event_rates", required=False)
    for path, raw in events:
        rate = object_at(mechanism.errors, raw, path, {"code", "name", "rate"})
        if rate:
            rate.code("code", max_length=50)
            rate.string("name")
            rate.decimal("rate", minimum=ZERO)
    unique_codes(mechanism.errors, events, "code")


def _check_point_bands(points: ObjectReader) -> None:
    entries = points.items("bands")
    previous = None
    for i, (path, raw) in enumerate(entries):
        band = object_at(points.errors, raw, path, {"up_to", "multiplier"})
        if band is None:
            continue
        last = i == len(entries) - 1
        up_to = band.integer("up_to", nullable=last, minimum=0)
        band.decimal("multiplier", minimum=ZERO)
        if up_to is not None and previous is not None and up_to <= previous:
            band.error("up_to", _("must increase from band to band"))
        previous = up_to


def _check_evaluations(
    top: ObjectReader,
    contract: ObjectReader,
    kpis: dict[str, dict | None],
    mechanism: ObjectReader | None,
) -> None:
    entries = top.items("evaluations", required=False)
    unique_codes(top.errors, entries, "period")
    frequency = contract.data.get("frequency")
    kind = mechanism.data.get("type") if mechanism else None
    event_codes = set()
    if kind == "deductions" and isinstance(mechanism.data.get("event_rates"), list):
        event_codes = {r.get("code") for r in mechanism.data["event_rates"] if isinstance(r, dict)}
    for path, raw in entries:
        evaluation = object_at(top.errors, raw, path, EVALUATION_KEYS)
        if evaluation is None:
            continue
        label = evaluation.string("period", max_length=7)
        if label and frequency in FREQUENCIES:
            _check_period_label(evaluation, contract, label, frequency)
        if kind == "score_coefficient":
            _check_measurements(evaluation, kpis)
        elif kind == "deductions":
            _check_deduction_inputs(evaluation, mechanism, event_codes)


def _check_period_label(
    evaluation: ObjectReader, contract: ObjectReader, label: str, frequency: str
) -> None:
    try:
        first, last = period_bounds(label, frequency)
    except BadPeriodLabel as exc:
        evaluation.error("period", str(exc))
        return
    starts_on, ends_on = contract.data.get("starts_on"), contract.data.get("ends_on")
    outside = (
        isinstance(starts_on, str)
        and isinstance(ends_on, str)
        and (last.isoformat() < starts_on or first.isoformat() > ends_on)
    )
    if outside:
        evaluation.error("period", _("is outside the contract term"))


def _check_measurements(evaluation: ObjectReader, kpis: dict[str, dict | None]) -> None:
    for key in ("availability_failures", "performance_points", "events"):
        if key in evaluation.data:
            evaluation.error(key, _("applies to deductions mechanisms only"))
    entries = evaluation.items("measurements", required=False)
    for path, raw in entries:
        measurement = object_at(evaluation.errors, raw, path, {"kpi", "value", "points"})
        if measurement is None:
            continue
        code = measurement.code("kpi", max_length=30)
        if code is None:
            continue
        if code not in kpis:
            measurement.error("kpi", _("unknown KPI {code}").format(code=repr(code)))
            continue
        kpi = kpis[code]
        if kpi is None:
            continue  # its definition's errors are reported already
        if kpi["rule"] == "manual":
            if "value" in measurement.data:
                measurement.error("value", _("manual KPIs take points, not a value"))
            max_points = Decimal(str(kpi["max_points"]))
            measurement.decimal("points", minimum=ZERO, maximum=max_points)
        else:
            if "points" in measurement.data:
                measurement.error(
                    "points", _("KPI {code} is measured: give its value").format(code=code)
                )
            measurement.decimal("value")
    unique_codes(evaluation.errors, entries, "kpi")


def _check_deduction_inputs(
    evaluation: ObjectReader, mechanism: ObjectReader, event_codes: set[str]
) -> None:
    if "measurements" in evaluation.data:
        evaluation.error("measurements", _("applies to score_coefficient mechanisms only"))
    for key, section in (
        ("availability_failures", "availability"),
        ("performance_points", "performance_points"),
    ):
        if key in evaluation.data and section not in mechanism.data:
            evaluation.error(
                key, _("the mechanism has no {section} section").format(section=section)
            )
    failure_keys = {"area", "weighting", "periods", "used", "failures_in_period"}
    for path, raw in evaluation.items("availability_failures", required=False):
        failure = object_at(evaluation.errors, raw, path, failure_keys)
        if failure:
            failure.string("area")
            failure.integer("weighting", minimum=0)
            failure.integer("periods", minimum=0)
            failure.boolean("used")
            failure.integer("failures_in_period", minimum=0)
    evaluation.integer("performance_points", required=False, minimum=0)
    for path, raw in evaluation.items("events", required=False):
        event = object_at(evaluation.errors, raw, path, {"code", "quantity", "note"})
        if event is None:
            continue
        code = event.code("code", max_length=50)
        if code is not None and code not in event_codes:
            event.error(
                "code",
                _("unknown event code {code} (not in mechanism.event_rates)").format(
                    code=repr(code)
                ),
            )
        event.decimal("quantity", minimum=ZERO)
        event.string("note", required=False, max_length=500)
