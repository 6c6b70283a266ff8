"""Splitting a bill by the invoice lines extraction read: printed amounts kept, the gap asked about."""
from __future__ import annotations

from decimal import Decimal

from ..db import tables as t
from ..domain import splits
from ..domain.errors import Conflict, ValidationError
from ..domain.money import Money
from . import coding
from .bills import lines_of, update_bill
from .context import Ctx


def split_by_line_items(ctx: Ctx, bill_id: str) -> t.Bill:
    """Extracted invoice lines become split lines with their printed amounts (never scaled).

    A gap to the bill total becomes its own line: the tax/shipping the invoice names, or a
    "difference" line the bill asks a person to code (warning ``split_difference``).
    """
    ctx.require("bills.write")
    bill = ctx.get(t.Bill, bill_id)
    sign = Decimal(-1) if bill.kind == "credit" else Decimal(1)  # a credit note prints its lines negative
    items = []
    for li in (bill.extraction or {}).get("lines") or []:
        amount, desc = _value(li.get("amount")), _value(li.get("description"))
        try:
            amount = Decimal(str(amount)) * sign if amount not in (None, "") else None
        except ArithmeticError:
            amount = None
        if amount is not None:
            items.append((amount, (desc or None) and str(desc)[:500]))
    if not items:
        raise Conflict("This bill has no extracted line items to split by.", code="no_line_items")
    if bill.amount is None:
        raise ValidationError("Set the bill amount first.", code="amount_required", field="amount")
    fields = (bill.extraction or {}).get("fields") or {}
    charges = {}
    for name in ("tax", "shipping"):
        try:
            value = _value(fields.get(name))
            charges[name] = abs(Decimal(str(value))) if value not in (None, "") else None
        except ArithmeticError:
            charges[name] = None
    made = splits.from_line_items(Money(bill.amount, bill.currency), items, charges)
    lines = [{"amount": str(ln.amount.amount), "description": ln.description} for ln in made]
    bill = update_bill(ctx, bill_id, {"lines": lines})
    coding.apply_rules(ctx, bill, lines_of(ctx, bill))
    gap = next((ln for ln in made if ln.kind == "difference"), None)
    if gap is not None:
        bill.warnings = [*(bill.warnings or []), {
            "code": "split_difference", "field": "lines",
            "message": f"The invoice lines add up to {bill.amount - gap.amount.amount} but the bill is "
                       f"{bill.amount} {bill.currency}. The difference of {gap.amount.amount} is its own line: code "
                       "it (tax, shipping, a line that was not read) or correct the lines."}]
    return bill


def _value(field):  # noqa: ANN001, ANN202
    """An extracted value, whether stored bare or as {value, confidence, source}."""
    return field.get("value") if isinstance(field, dict) else field
