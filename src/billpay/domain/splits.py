"""Splitting a bill into lines that always sum exactly to its amount."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping, Sequence

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


@dataclass(frozen=True)
class ItemLine:
    """A split line made from the invoice: ``kind`` is ``item``, ``tax``, ``shipping`` or ``difference``."""

    amount: Money
    kind: str
    description: str | None = None


NAMED_CHARGES = (("tax", "Tax"), ("shipping", "Shipping"))


def from_line_items(total: Money, items: Sequence[tuple[Decimal, str | None]],
                    charges: Mapping[str, Decimal | None] | None = None) -> list[ItemLine]:
    """Split lines from extracted invoice lines, amounts kept exactly as printed.

    Lines are never scaled. When they fall short of the bill total, the gap becomes
    separate lines: the tax and shipping the invoice names when they account for it
    exactly, otherwise one ``difference`` line for a person to code or correct.
    Lines that add up to more than the total are refused (a discount or a misread
    line): shrinking them would invent amounts.
    """
    if not items:
        raise ValidationError("This bill has no extracted line items to split by.", code="no_line_items")
    lines = [ItemLine(Money(Decimal(a), total.currency), "item", d) for a, d in items]
    if any(ln.amount.amount <= 0 for ln in lines):
        raise ValidationError("Some invoice lines are zero or negative; enter the split by hand.",
                              code="line_items_invalid")
    items_total = sum((ln.amount.amount for ln in lines), Decimal(0))
    gap = total.amount - items_total
    if gap < 0:
        raise ValidationError(
            f"The invoice lines add up to {items_total}, more than the bill's {total.amount} {total.currency} "
            "(a discount or a misread line?). Check the lines and enter the split by hand.",
            code="line_items_exceed_total", extra={"lines_total": str(items_total), "bill_amount": str(total.amount)})
    if gap == 0:
        return lines
    named = [(kind, label, Decimal(charges[kind])) for kind, label in NAMED_CHARGES
             if charges and charges.get(kind) not in (None, "") and Decimal(charges[kind]) > 0]
    for choice in (named, named[:1]):
        if choice and sum(a for _, _, a in choice) == gap:
            return lines + [ItemLine(Money(a, total.currency), kind, label) for kind, label, a in choice]
    return lines + [ItemLine(Money(gap, total.currency), "difference",
                             "Difference to the invoice total (tax, shipping or a line not read)")]
