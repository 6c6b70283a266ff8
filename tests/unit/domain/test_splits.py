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


@given(st.lists(st.integers(1, 10**7), min_size=1, max_size=30), st.integers(0, 10**6), st.integers(0, 10**4))
def test_line_item_splits_keep_every_printed_amount_and_sum_exactly(items, tax, gap):
    amounts = [Decimal(i) / 100 for i in items]
    total = Money(sum(amounts) + Decimal(tax) / 100 + Decimal(gap) / 100, "EUR")
    lines = splits.from_line_items(total, [(a, None) for a in amounts], {"tax": Decimal(tax) / 100})
    assert sum(ln.amount.amount for ln in lines) == total.amount
    assert [ln.amount.amount for ln in lines[:len(amounts)]] == amounts  # never scaled
    extra = lines[len(amounts):]
    if tax == 0 and gap == 0:
        assert extra == []
    elif gap == 0:
        assert [ln.kind for ln in extra] == ["tax"]
    else:
        assert [ln.kind for ln in extra] == ["difference"]


def test_tax_and_shipping_named_together_and_lines_over_the_total_refused():
    total = Money.parse("120.00", "USD")
    lines = splits.from_line_items(total, [(Decimal("100"), "Chairs")], {"tax": Decimal("15"), "shipping": Decimal("5")})
    assert [(ln.kind, str(ln.amount.amount)) for ln in lines] == [("item", "100.00"), ("tax", "15.00"),
                                                                          ("shipping", "5.00")]
    with pytest.raises(ValidationError) as e:
        splits.from_line_items(total, [(Decimal("100"), None), (Decimal("30"), None)])
    assert e.value.code == "line_items_exceed_total"
    with pytest.raises(ValidationError) as e:
        splits.from_line_items(total, [])
    assert e.value.code == "no_line_items"


def test_amount_split_must_match():
    with pytest.raises(ValidationError) as e:
        splits.by_amounts(Money.parse("10.00", "USD"), [Money.parse("4.00", "USD"), Money.parse("5.00", "USD")])
    assert e.value.code == "lines_sum_mismatch" and e.value.extra["bill_amount"] == "10.00"
