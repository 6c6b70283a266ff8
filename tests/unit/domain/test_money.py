from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billpay.domain.errors import ValidationError
from billpay.domain.money import CURRENCIES, Money, allocate, exponent

currencies = st.sampled_from(sorted(CURRENCIES))


@st.composite
def money(draw):
    cur = draw(currencies)
    units = draw(st.integers(min_value=-10**12, max_value=10**12))
    return Money.from_minor(units, cur)


@given(money(), st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=40)
       .filter(lambda ws: sum(ws) > 0))
def test_allocation_sums_exactly_for_any_exponent(total, weights):
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(p.minor_units for p in parts) == total.minor_units
    assert all(p.currency == total.currency for p in parts)
    # each part is within one minor unit of its exact share
    for p, w in zip(parts, weights):
        exact = Decimal(total.minor_units) * w / sum(weights)
        assert abs(Decimal(p.minor_units) - exact) < 1
    # zero weight gets nothing
    assert all(p.minor_units == 0 for p, w in zip(parts, weights) if w == 0)


@given(money(), st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=1, max_size=10)
       .filter(lambda ws: sum(ws) > 0))
def test_allocation_by_decimal_weights(total, weights):
    assert sum(p.minor_units for p in allocate(total, weights)) == total.minor_units


def test_parse_refuses_floats_and_over_precision():
    with pytest.raises(ValidationError) as e:
        Money.parse(1.5, "USD")
    assert e.value.code == "amount_invalid"
    with pytest.raises(ValidationError) as e:
        Money.parse("1.005", "USD")
    assert e.value.code == "amount_too_precise"
    with pytest.raises(ValidationError) as e:
        Money.parse("1.5", "JPY")
    assert e.value.code == "amount_too_precise"
    assert Money.parse("1.500", "KWD").amount == Decimal("1.500")
    assert Money.parse("12", "USD").amount == Decimal("12.00")
    with pytest.raises(ValidationError) as e:
        Money.parse("NaN", "USD")
    assert e.value.code == "amount_invalid"
    with pytest.raises(ValidationError) as e:
        Money.parse("1", "ABC")
    assert e.value.code == "currency_unknown"


def test_exponents_follow_iso_4217():
    assert (exponent("USD"), exponent("JPY"), exponent("KWD"), exponent("CLF")) == (2, 0, 3, 4)


def test_mixed_currencies_refused():
    with pytest.raises(ValidationError):
        Money.parse("1", "USD") + Money.parse("1", "EUR")
