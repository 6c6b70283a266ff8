from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billpay.domain.errors import ValidationError
from billpay.domain.terms import parse_terms

D = dt.date


@pytest.mark.parametrize("text,invoice,due,label", [
    ("Net 30", D(2026, 1, 15), D(2026, 2, 14), "Net 30"),
    ("net30", D(2026, 1, 15), D(2026, 2, 14), "Net 30"),
    ("N45", D(2026, 1, 15), D(2026, 3, 1), "Net 45"),
    ("30 days", D(2026, 12, 15), D(2027, 1, 14), "Net 30"),
    ("Due on receipt", D(2026, 3, 3), D(2026, 3, 3), "Due on receipt"),
    ("Upon receipt", D(2026, 3, 3), D(2026, 3, 3), "Due on receipt"),
    ("EOM", D(2026, 2, 10), D(2026, 2, 28), "Net EOM"),
    ("Net 10 EOM", D(2028, 2, 10), D(2028, 3, 10), "Net 10 EOM"),
    ("2/10 Net 30", D(2026, 1, 1), D(2026, 1, 31), "2/10 Net 30"),
    ("2% 10 Net 30", D(2026, 1, 1), D(2026, 1, 31), "2/10 Net 30"),
])
def test_terms_give_due_dates(text, invoice, due, label):
    t = parse_terms(text)
    assert t.due_date(invoice) == due
    assert t.label == label


def test_discount_terms():
    t = parse_terms("1.5/10 Net 30")
    assert t.discount_percent == Decimal("1.5") and t.discount_days == 10
    assert t.discount_deadline(D(2026, 1, 1)) == D(2026, 1, 11)


@pytest.mark.parametrize("text", ["", "soon", "Net", "5/40 Net 30", "150/10 Net 30"])
def test_nonsense_terms_refused(text):
    with pytest.raises(ValidationError) as e:
        parse_terms(text)
    assert e.value.code == "terms_invalid"
