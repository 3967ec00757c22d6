"""Properties over generated mechanisms: the invariants callers rely on, and monotonicity."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.engine import compute

# No example database: runs leave no files behind and are the same everywhere.
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)


def decimals(low, high, places: int = 2) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal(str(low)),
        max_value=Decimal(str(high)),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


def as_input(draw, number: Decimal) -> object:
    """Numbers arrive as strings, Decimals, or ints when whole."""
    forms = [str, lambda n: n]
    if number == number.to_integral_value():
        forms.append(int)
    return draw(st.sampled_from(forms))(number)


# --- score_coefficient ------------------------------------------------------------------


@st.composite
def kpi_sets(draw) -> list[dict]:
    # max_points in half points that add up to exactly 100
    count = draw(st.integers(1, 8))
    cuts = sorted(draw(st.lists(st.integers(0, 200), min_size=count - 1, max_size=count - 1)))
    shares = [Decimal(end - start) / 2 for start, end in zip([0, *cuts], [*cuts, 200], strict=True)]
    kpis = []
    for index, share in enumerate(shares):
        rule = draw(st.sampled_from(["deduct_per_step", "proportional", "threshold", "manual"]))
        kpi = {"code": f"K{index}", "max_points": as_input(draw, share), "rule": rule}
        if rule != "manual":
            kpi["direction"] = draw(st.sampled_from(["higher", "lower"]))
            kpi["target"] = as_input(draw, draw(decimals(0, 100)))
        if rule == "deduct_per_step":
            kpi["step"] = str(draw(decimals("0.01", 10)))
            kpi["points_per_step"] = str(draw(decimals(0, 10)))
            partial_step = draw(st.sampled_from([None, "ceil", "floor", "exact"]))
            if partial_step:
                kpi["partial_step"] = partial_step
        if rule == "proportional":
            gap = draw(decimals("0.01", 100))
            target = Decimal(str(kpi["target"]))
            kpi["floor"] = str(target - gap if kpi["direction"] == "higher" else target + gap)
        kpis.append(kpi)
    return kpis


@st.composite
def coefficients(draw) -> dict:
    if draw(st.booleans()):
        return {"type": "proportional", "full_at": str(draw(decimals(1, 120)))}
    # A non-decreasing step table inside [0, 1]: band i runs from levels[2i] at its min
    # to at most levels[2i + 1] where the next band (or the score 100) begins.
    minimums = sorted(set(draw(st.lists(st.integers(0, 99), min_size=1, max_size=5))))
    levels = sorted(draw(st.lists(decimals(0, 1), min_size=2 * len(minimums))))
    bands = []
    for index, (minimum, end) in enumerate(zip(minimums, [*minimums[1:], 100], strict=True)):
        base, top = levels[2 * index], levels[2 * index + 1]
        per_point = ((top - base) / (end - minimum)).quantize(Decimal("0.0001"), ROUND_DOWN)
        bands.append({"min": str(minimum), "base": str(base), "per_point": str(per_point)})
    spec = {"type": "steps", "bands": draw(st.permutations(bands))}
    rounding = draw(st.sampled_from([None, "exact", "floor"]))
    if rounding:
        spec["score_rounding"] = rounding
    return spec


@st.composite
def score_coefficient_cases(draw) -> tuple[dict, list[dict], dict]:
    kpis = draw(kpi_sets())
    # At least one linked component, so that the score always matters.
    linked = [True, *draw(st.lists(st.booleans(), max_size=3))]
    components = [
        {"code": f"C{index}", "amount": str(draw(decimals(0, 10_000_000))), "linked": flag}
        for index, flag in enumerate(draw(st.permutations(linked)))
    ]
    mechanism = {"type": "score_coefficient", "components": components}
    mechanism["coefficient"] = draw(coefficients())
    for key, most in [("money_places", 4), ("score_places", 3), ("coefficient_places", 6)]:
        places = draw(st.none() | st.integers(0, most))
        if places is not None:
            mechanism[key] = places
    measurements = [measurement(draw, kpi) for kpi in kpis]
    evaluation = {"period": "2026", "measurements": draw(st.permutations(measurements))}
    return mechanism, kpis, evaluation


def measurement(draw, kpi: dict) -> dict:
    if kpi["rule"] == "manual":
        points = draw(decimals(0, Decimal(str(kpi["max_points"]))))
        return {"kpi": kpi["code"], "points": as_input(draw, points)}
    # Near the target, where the rules differ; sometimes far beyond either side.
    near = draw(decimals(-40, 40)) + Decimal(str(kpi["target"]))
    return {"kpi": kpi["code"], "value": as_input(draw, draw(st.just(near) | decimals(-50, 250)))}


def improved(draw, kpi: dict, given: dict) -> dict:
    """The same measurement, better by a generated margin (possibly zero)."""
    if kpi["rule"] == "manual":
        old = Decimal(str(given["points"]))
        points = draw(decimals(old, Decimal(str(kpi["max_points"]))))
        return {**given, "points": str(points)}
    margin = draw(decimals(0, 5) | decimals(0, 100))
    old = Decimal(str(given["value"]))
    return {**given, "value": str(old + margin if kpi["direction"] == "higher" else old - margin)}


def rounded_once(mechanism: dict, coefficient: Decimal) -> Decimal:
    """Σ fixed + E × Σ linked, rounded half-up once at the end."""
    fixed = sum(Decimal(c["amount"]) for c in mechanism["components"] if not c["linked"])
    linked = sum(Decimal(c["amount"]) for c in mechanism["components"] if c["linked"])
    places = mechanism.get("money_places", 2)
    return (fixed + coefficient * linked).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


@PROPERTY_SETTINGS
@given(score_coefficient_cases())
def test_score_coefficient_amounts_always_add_up_and_stay_in_range(case):
    # given
    mechanism, kpis, evaluation = case

    # when
    result = compute(mechanism, kpis, evaluation)

    # then
    assert result.payable + result.deduction == result.full_amount
    assert 0 <= result.payable <= result.full_amount
    assert sum(line.amount for line in result.lines) == result.payable
    assert 0 <= result.coefficient <= 1
    assert result.payable == rounded_once(mechanism, result.coefficient)
    assert list(result.kpi_points) == [kpi["code"] for kpi in kpis]
    for kpi in kpis:
        assert 0 <= result.kpi_points[kpi["code"]] <= Decimal(str(kpi["max_points"]))
    assert compute(mechanism, kpis, evaluation) == result
    assert compute(mechanism, kpis, evaluation).as_dict() == result.as_dict()


@PROPERTY_SETTINGS
@given(score_coefficient_cases(), st.data())
def test_improving_one_kpi_never_lowers_the_payable(case, data):
    # given
    mechanism, kpis, evaluation = case
    before = compute(mechanism, kpis, evaluation)
    kpi = data.draw(st.sampled_from(kpis))
    better = [
        improved(data.draw, kpi, given) if given["kpi"] == kpi["code"] else given
        for given in evaluation["measurements"]
    ]

    # when
    after = compute(mechanism, kpis, {**evaluation, "measurements": better})

    # then
    assert after.kpi_points[kpi["code"]] >= before.kpi_points[kpi["code"]]
    assert after.score >= before.score
    assert after.coefficient >= before.coefficient
    assert after.payable >= before.payable


# --- deductions --------------------------------------------------------------------------


@st.composite
def availability_regimes(draw) -> dict:
    if draw(st.booleans()):
        regime = {"area_rate": str(draw(decimals(0, 5)))}
    else:
        regime = {
            "annual_charge": str(draw(decimals(0, 10_000))),
            "total_weighting": str(draw(decimals(1, 1000))),
        }
    if draw(st.booleans()):
        regime["unavailable_but_used_factor"] = str(draw(decimals(0, 1)))
    # Factors never fall as failures grow, whatever order the bands are listed in.
    counts = sorted(set(draw(st.lists(st.integers(0, 10), max_size=3))))
    factor = Decimal(1)
    ratchet = []
    for count in counts:
        factor += draw(decimals("0.1", 1, places=1))
        ratchet.append({"failures_more_than": count, "factor": str(factor)})
    regime["ratchet"] = draw(st.permutations(ratchet))
    return regime


@st.composite
def performance_regimes(draw) -> dict:
    limits = sorted(set(draw(st.lists(st.integers(1, 400), max_size=3))))
    bands = [
        {"up_to": up_to, "multiplier": str(draw(decimals(0, 3, places=1)))}
        for up_to in [*limits, None]
    ]
    return {
        "threshold": draw(st.integers(0, 50)),
        "rate": str(draw(decimals(0, 2))),
        "bands": draw(st.permutations(bands)),
    }


@st.composite
def deduction_cases(draw) -> tuple[dict, dict]:
    rates = draw(st.lists(decimals(0, 500), max_size=4))
    mechanism = {
        "type": "deductions",
        # Deductions stay well below the base amount unless a small cap_fraction bites.
        "base_amount": str(draw(decimals(100_000, 1_000_000))),
        "availability": draw(availability_regimes()),
        "performance_points": draw(performance_regimes()),
        "event_rates": [{"code": f"E{i}", "rate": str(rate)} for i, rate in enumerate(rates)],
    }
    if draw(st.booleans()):
        mechanism["cap_fraction"] = str(draw(decimals(0, 1) | decimals("0.1", 1)))
    if draw(st.booleans()):
        mechanism["money_places"] = draw(st.integers(0, 4))
    failures = [
        {
            "area": f"A{index}",
            "weighting": draw(st.integers(0, 20)),
            "periods": draw(st.integers(0, 10)),
            "used": draw(st.booleans()),
            "failures_in_period": draw(st.integers(0, 15)),
        }
        for index in range(draw(st.integers(0, 4)))
    ]
    codes = [rate["code"] for rate in mechanism["event_rates"]]
    events = [
        {"code": draw(st.sampled_from(codes)), "quantity": str(draw(decimals(0, 20, places=1)))}
        for _ in range(draw(st.integers(0, 5)) if codes else 0)
    ]
    evaluation = {
        "period": "2026-03",
        "availability_failures": failures,
        "performance_points": draw(st.integers(0, 500)),
        "events": events,
    }
    return mechanism, evaluation


def reduced(draw, evaluation: dict) -> dict:
    """The same period with less going wrong: some event quantities smaller, fewer
    performance points, some failures shorter, lighter, less frequent or gone."""
    events = [
        {**event, "quantity": str(draw(decimals(0, Decimal(event["quantity"]), places=1)))}
        if draw(st.booleans())
        else event
        for event in evaluation["events"]
    ]
    failures = []
    for failure in evaluation["availability_failures"]:
        change = draw(
            st.sampled_from([None, "removed", "periods", "weighting", "failures_in_period"])
        )
        if change == "removed":
            continue
        if change:
            failure = {**failure, change: draw(st.integers(0, failure[change]))}
        failures.append(failure)
    points = evaluation["performance_points"]
    if draw(st.booleans()):
        points = draw(st.integers(0, points))
    return {
        **evaluation,
        "events": events,
        "availability_failures": failures,
        "performance_points": points,
    }


@PROPERTY_SETTINGS
@given(deduction_cases())
def test_deductions_always_add_up_and_stay_in_range(case):
    # given
    mechanism, evaluation = case

    # when
    result = compute(mechanism, [], evaluation)

    # then
    assert result.payable + result.deduction == result.full_amount
    assert 0 <= result.payable <= result.full_amount
    assert sum(line.amount for line in result.lines) == result.deduction
    assert sum(line.amount for line in result.lines if line.kind == "cap") <= 0
    shown = result.as_dict()
    by_kind = sum(
        Decimal(shown[f"{kind}_deduction"]) for kind in ("availability", "performance", "event")
    )
    assert by_kind >= result.deduction
    assert compute(mechanism, [], evaluation) == result
    assert compute(mechanism, [], evaluation).as_dict() == shown


@PROPERTY_SETTINGS
@given(deduction_cases(), st.data())
def test_less_going_wrong_never_lowers_the_payable(case, data):
    # given
    mechanism, evaluation = case
    before = compute(mechanism, [], evaluation)

    # when
    after = compute(mechanism, [], reduced(data.draw, evaluation))

    # then
    assert after.payable >= before.payable


@PROPERTY_SETTINGS
@given(availability_regimes(), performance_regimes(), st.booleans())
def test_deductions_never_fall_as_failures_or_points_grow(availability, performance, used):
    # given one regime, swept over every failure count and over the performance points
    mechanism = {
        "type": "deductions",
        "base_amount": "1000000.00",
        "availability": availability,
        "performance_points": performance,
    }

    def deduction(failures_in_period: int = 0, points: int = 0) -> Decimal:
        failure = {"area": "A", "weighting": 7, "periods": 3, "used": used}
        evaluation = {
            "period": "2026-03",
            "availability_failures": [{**failure, "failures_in_period": failures_in_period}],
            "performance_points": points,
        }
        return compute(mechanism, [], evaluation).deduction

    # when
    by_failures = [deduction(failures_in_period=count) for count in range(16)]
    by_points = [deduction(points=points) for points in range(0, 501, 10)]

    # then
    assert by_failures == sorted(by_failures)
    assert by_points == sorted(by_points)
