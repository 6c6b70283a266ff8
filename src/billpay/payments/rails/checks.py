"""Field checks shared by the rails: routing numbers, amounts, text folding."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from billpay.domain.vendors import aba_checksum_ok
from billpay.payments.errors import PaymentRuleError

__all__ = [
    "ascii_fold",
    "check_unique_ids",
    "is_valid_routing_number",
    "require_routing_number",
    "to_minor_units",
]


# Letters NFKD does not decompose to ASCII.
_TRANSLIT = str.maketrans(
    {"ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "Ł": "L", "ł": "l",
     "Đ": "D", "đ": "d", "Þ": "TH", "þ": "th", "ı": "i", "‘": "'", "’": "'", "“": '"', "”": '"',
     "–": "-", "—": "-"}
)


def is_valid_routing_number(routing: str | None) -> bool:
    """Nine digits passing the ABA check-digit test (weights 3-7-1), the one check vendors use too."""
    return bool(routing) and aba_checksum_ok(routing)


def require_routing_number(routing: str | None, whose: str) -> str:
    """Return the routing number or raise ``routing_number_invalid``."""
    value = (routing or "").strip()
    if not is_valid_routing_number(value):
        raise PaymentRuleError(
            "routing_number_invalid",
            f"The routing number for {whose} ({value or 'empty'}) is not a valid ABA routing "
            "number: it must be 9 digits with a correct check digit.",
            {"routing_number": value},
        )
    return value


def to_minor_units(amount: Decimal, *, maximum: Decimal, payment_id: str) -> int:
    """Whole cents from a Decimal, exactly. Codes: ``amount_not_positive``,
    ``amount_too_large``, ``amount_precision`` (more than 2 decimal places)."""
    if isinstance(amount, float) or not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimal, never float")
    if not amount.is_finite() or amount <= 0:
        raise PaymentRuleError(
            "amount_not_positive", f"Payment {payment_id}: the amount must be more than zero.",
            {"payment_id": payment_id},
        )
    if amount > maximum:
        raise PaymentRuleError(
            "amount_too_large", f"Payment {payment_id}: {amount} is more than this rail's limit of {maximum}.",
            {"payment_id": payment_id},
        )
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise PaymentRuleError(
            "amount_precision", f"Payment {payment_id}: {amount} has fractions of a cent.",
            {"payment_id": payment_id},
        )
    return int(cents)


def ascii_fold(text: str) -> str:
    """Transliterate to printable ASCII (``Müller & Søn`` → ``Muller & Son``)."""
    text = unicodedata.normalize("NFKD", (text or "").translate(_TRANSLIT))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(c if " " <= c <= "~" else " " for c in text)
    return re.sub(r"\s+", " ", text).strip()


def check_unique_ids(payment_ids: Iterable[str]) -> None:
    seen: set[str] = set()
    for pid in payment_ids:
        if pid in seen:
            raise PaymentRuleError(
                "duplicate_payment_id", f"Payment {pid} appears twice in one batch.", {"payment_id": pid}
            )
        seen.add(pid)
