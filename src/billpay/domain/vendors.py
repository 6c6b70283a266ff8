"""Vendor payment details: validation and masking.

US ACH: ABA routing number (9 digits, weighted checksum 3-7-1) + account
number (4-17 digits). International: IBAN (mod-97 and country length, via
schwifty) with BIC. Check: a postal address.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from .errors import ValidationError

BANK_DETAIL_FIELDS = ("routing_number", "account_number", "iban", "bic")


def aba_checksum_ok(routing: str) -> bool:
    if not re.fullmatch(r"\d{9}", routing):
        return False
    d = [int(c) for c in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def validate_routing(routing: str) -> str:
    r = re.sub(r"[\s-]", "", routing)
    if not aba_checksum_ok(r):
        raise ValidationError(f"'{routing}' is not a valid US ABA routing number (9 digits with a valid "
                              "check digit).", code="routing_number_invalid", field="routing_number")
    return r


def validate_account_number(account: str) -> str:
    a = re.sub(r"[\s-]", "", account)
    if not re.fullmatch(r"\d{4,17}", a):
        raise ValidationError("A US bank account number has 4 to 17 digits.",
                              code="account_number_invalid", field="account_number")
    return a


def validate_iban(value: str) -> str:
    try:
        return IBAN(value).compact
    except SchwiftyException as e:
        raise ValidationError(f"'{value}' is not a valid IBAN ({e}).", code="iban_invalid",
                              field="iban") from None


def validate_bic(value: str) -> str:
    try:
        return BIC(value).compact
    except SchwiftyException as e:
        raise ValidationError(f"'{value}' is not a valid BIC ({e}).", code="bic_invalid",
                              field="bic") from None


def mask(value: str | None, keep: int = 4) -> str | None:
    if not value:
        return value
    return "•" * max(0, len(value) - keep) + value[-keep:]


@dataclass(frozen=True)
class PaymentDetails:
    routing_number: str | None = None
    account_number: str | None = None
    iban: str | None = None
    bic: str | None = None

    @classmethod
    def validated(cls, routing_number: str | None = None, account_number: str | None = None,
                  iban: str | None = None, bic: str | None = None) -> "PaymentDetails":
        if bool(routing_number) != bool(account_number):
            raise ValidationError("ACH details need both a routing number and an account number.",
                                  code="bank_details_incomplete",
                                  field="routing_number" if not routing_number else "account_number")
        return cls(
            routing_number=validate_routing(routing_number) if routing_number else None,
            account_number=validate_account_number(account_number) if account_number else None,
            iban=validate_iban(iban) if iban else None,
            bic=validate_bic(bic) if bic else None,
        )

    def supports(self, method: str, *, has_address: bool) -> bool:
        if method == "ach":
            return bool(self.routing_number and self.account_number)
        if method == "wire":
            return bool(self.iban and self.bic) or bool(self.routing_number and self.account_number)
        if method == "check":
            return has_address
        return False
