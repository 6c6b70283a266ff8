"""Splitting a bill into lines that always sum exactly to its amount."""
from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from .errors import ValidationError
from .money import Money, allocate


def by_amounts(total: Money, amounts: Sequence[Money]) -> list[Money]:
    if not amounts:
        raise ValidationError("A bill needs at least one line.", code="lines_required")
    s = sum((a.amount for a in amounts), Decimal(0))
    if s != total.amount:
        raise ValidationError(f"Lines sum to {s} but the bill is {total.amount} {total.currency}; "
                              f"the difference is {total.amount - s}.", code="lines_sum_mismatch",
                              extra={"lines_total": str(s), "bill_amount": str(total.amount)})
    return list(amounts)


def by_percentages(total: Money, percentages: Sequence[Decimal]) -> list[Money]:
    if not percentages:
        raise ValidationError("A bill needs at least one line.", code="lines_required")
    if any(p < 0 for p in percentages):
        raise ValidationError("Percentages cannot be negative.", code="percentage_invalid")
    if sum(percentages) != 100:
        raise ValidationError(f"Percentages sum to {sum(percentages)}, not 100.",
                              code="percentages_sum_mismatch")
    return allocate(total, percentages)


def from_line_items(total: Money, item_amounts: Sequence[Decimal]) -> list[Money]:
    """Lines from extracted invoice line items; tax, shipping and rounding spread pro rata.

    The difference between the bill total and the items (tax, shipping,
    discounts) is allocated in proportion to each item so the lines sum exactly.
    Items that do not add up to something positive fall back to one line.
    """
    items = [Decimal(a) for a in item_amounts]
    if not items or sum(items) <= 0 or any(a < 0 for a in items):
        return [total]
    return allocate(total, items)
