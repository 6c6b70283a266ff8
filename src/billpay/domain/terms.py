"""Payment terms: parse what invoices and platforms say, compute due dates.

Understood forms (case-insensitive): ``Net 30`` / ``Net30`` / ``N30`` / ``30 days``,
``Due on receipt`` / ``Upon receipt`` / ``Immediate``, ``EOM`` / ``Net EOM`` /
``Net 10 EOM`` (N days after the end of the invoice month), and early-payment
discounts ``2/10 Net 30`` / ``2% 10 Net 30`` (discount % if paid within the
discount days).
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from .errors import ValidationError


@dataclass(frozen=True)
class Terms:
    net_days: int = 0
    end_of_month: bool = False
    discount_percent: Decimal | None = None
    discount_days: int | None = None

    @property
    def label(self) -> str:
        if self.end_of_month:
            base = "Net EOM" if self.net_days == 0 else f"Net {self.net_days} EOM"
        elif self.net_days == 0:
            base = "Due on receipt"
        else:
            base = f"Net {self.net_days}"
        if self.discount_percent is not None:
            return f"{self.discount_percent.normalize():f}/{self.discount_days} {base}"
        return base

    def due_date(self, invoice_date: dt.date) -> dt.date:
        if self.end_of_month:
            last = calendar.monthrange(invoice_date.year, invoice_date.month)[1]
            return invoice_date.replace(day=last) + dt.timedelta(days=self.net_days)
        return invoice_date + dt.timedelta(days=self.net_days)

    def discount_deadline(self, invoice_date: dt.date) -> dt.date | None:
        if self.discount_days is None:
            return None
        return invoice_date + dt.timedelta(days=self.discount_days)


_RECEIPT = re.compile(r"^(due\s+(on|upon)\s+receipt|upon\s+receipt|on\s+receipt|immediate(ly)?|cash)$")
_NET = re.compile(r"^(?:net\s*|n)?(\d{1,3})(?:\s*days?)?(?:\s+net)?$")
_EOM = re.compile(r"^(?:net\s*)?(?:(\d{1,3})\s*(?:days?\s*)?)?(?:eom|end of month)$")
_DISCOUNT = re.compile(r"^(\d{1,2}(?:\.\d+)?)\s*%?\s*/?\s*(\d{1,3})\s*,?\s*(?:days\s*)?(.+)$")


def parse_terms(text: str) -> Terms:
    s = " ".join(text.strip().lower().replace("-", " ").split())
    if not s:
        raise ValidationError("Payment terms are empty.", code="terms_invalid", field="payment_terms")
    if _RECEIPT.match(s):
        return Terms(0)
    m = _DISCOUNT.match(s)
    if m and ("net" in m.group(3) or "eom" in m.group(3)):
        rest = parse_terms(m.group(3))
        pct, days = Decimal(m.group(1)), int(m.group(2))
        if pct <= 0 or pct >= 100 or days > rest.net_days and not rest.end_of_month:
            raise ValidationError(f"'{text}' has an impossible discount.", code="terms_invalid",
                                  field="payment_terms")
        return Terms(rest.net_days, rest.end_of_month, pct, days)
    m = _EOM.match(s)
    if m:
        return Terms(int(m.group(1) or 0), True)
    m = _NET.match(s)
    if m:
        return Terms(int(m.group(1)))
    raise ValidationError(
        f"'{text}' is not payment terms billpay understands (try 'Net 30', 'Due on receipt', "
        "'Net EOM' or '2/10 Net 30').", code="terms_invalid", field="payment_terms")
