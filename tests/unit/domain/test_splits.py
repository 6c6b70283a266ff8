from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billpay.domain import splits
from billpay.domain.errors import ValidationError
from billpay.domain.money import Money


@given(st.integers(1, 10**9), st.lists(st.integers(0, 10_000), min_size=1, max_size=20).filter(lambda p: sum(p) > 0))
def test_percentage_splits_sum_exactly(cents, raw):
    total = Money.from_minor(cents, "USD")
    # scale the weights to percentages with two decimals summing to exactly 100
    weights = [Decimal(w) for w in raw]
    pcts = [(w * 10000 / sum(weights)).quantize(Decimal(1)) / 100 for w in weights]
    pcts[-1] += Decimal(100) - sum(pcts)
    if any(p < 0 for p in pcts):
        return
    parts = splits.by_percentages(total, pcts)
    assert sum(p.amount for p in parts) == total.amount


@given(st.integers(1, 10**9), st.lists(st.integers(1, 10**7), min_size=1, max_size=30))
def test_line_item_splits_spread_tax_and_shipping_exactly(cents, items):
    total = Money.from_minor(cents, "EUR")
    parts = splits.from_line_items(total, [Decimal(i) / 100 for i in items])
    assert sum(p.amount for p in parts) == total.amount
    assert len(parts) == len(items)


def test_line_items_that_cannot_be_weights_fall_back_to_one_line():
    total = Money.parse("10.00", "USD")
    assert splits.from_line_items(total, []) == [total]
    assert splits.from_line_items(total, [Decimal("-1"), Decimal("5")]) == [total]


def test_amount_split_must_match():
    with pytest.raises(ValidationError) as e:
        splits.by_amounts(Money.parse("10.00", "USD"), [Money.parse("4.00", "USD"), Money.parse("5.00", "USD")])
    assert e.value.code == "lines_sum_mismatch" and e.value.extra["bill_amount"] == "10.00"
