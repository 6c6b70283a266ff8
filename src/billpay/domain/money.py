"""One money type: ``Decimal`` + ISO 4217 currency, exact to the currency's minor unit.

Amounts are never floats. ``Money.parse`` refuses values with more decimals
than the currency allows instead of rounding them, because a rounded invoice
total is a wrong invoice total. ``allocate`` splits an amount by weights so the
parts always sum exactly (largest-remainder method in minor units).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Sequence

from .errors import ValidationError

# ISO 4217 minor units for every active currency whose exponent is not 2.
_EXPONENTS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}
# Active ISO 4217 codes with the usual exponent 2.
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP "
    "GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT "
    "LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN "
    "NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UZS VES WST "
    "XCD YER ZAR ZMW ZWG"
).split()
CURRENCIES: dict[str, int] = {**{c: 2 for c in _TWO}, **_EXPONENTS}


def exponent(currency: str) -> int:
    try:
        return CURRENCIES[currency]
    except KeyError:
        raise ValidationError(f"'{currency}' is not an ISO 4217 currency code.",
                              code="currency_unknown", field="currency") from None


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


@dataclass(frozen=True, order=False)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        q = _quantum(self.currency)
        if self.amount != self.amount.quantize(q, rounding=ROUND_DOWN):
            raise ValidationError(
                f"{self.amount} has more decimals than {self.currency} allows ({exponent(self.currency)}).",
                code="amount_too_precise", field="amount")
        object.__setattr__(self, "amount", self.amount.quantize(q))

    @classmethod
    def parse(cls, value: object, currency: str, *, field: str = "amount",
              allow_zero: bool = False, allow_negative: bool = False) -> "Money":
        """Parse user input (a decimal string or Decimal/int; floats refused)."""
        exponent(currency)
        if isinstance(value, float) or isinstance(value, bool):
            raise ValidationError("Amounts must be given as decimal strings, not floats.",
                                  code="amount_invalid", field=field)
        try:
            amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
        except (InvalidOperation, ValueError):
            raise ValidationError(f"'{value}' is not a decimal amount.", code="amount_invalid",
                                  field=field) from None
        if not amount.is_finite():
            raise ValidationError("Amounts must be finite numbers.", code="amount_invalid", field=field)
        if amount < 0 and not allow_negative:
            raise ValidationError("Amounts cannot be negative.", code="amount_negative", field=field)
        if amount == 0 and not allow_zero:
            raise ValidationError("The amount must be greater than zero.", code="amount_zero", field=field)
        if abs(amount) >= Decimal("1e15"):
            raise ValidationError("The amount is too large.", code="amount_too_large", field=field)
        try:
            return cls(amount, currency)
        except ValidationError as e:
            e.field = field
            raise

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> "Money":
        return cls(Decimal(units).scaleb(-exponent(currency)), currency)

    @property
    def minor_units(self) -> int:
        return int(self.amount.scaleb(exponent(self.currency)))

    def _same(self, other: "Money") -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValidationError("Amounts in different currencies cannot be combined.",
                                  code="currency_mismatch")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def __lt__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def allocate(self, weights: Sequence[Decimal | int]) -> list["Money"]:
        return allocate(self, weights)


def allocate(total: Money, weights: Sequence[Decimal | int]) -> list[Money]:
    """Split ``total`` in proportion to ``weights``; the parts sum exactly to ``total``.

    Each part gets the floor of its share in minor units; the leftover units go
    one each to the parts with the largest remainders (ties: earlier first).
    Negative totals are allocated by sign symmetry. Weights must be >= 0 with a
    positive sum.
    """
    ws = [Decimal(w) for w in weights]
    if not ws:
        raise ValidationError("Nothing to allocate to.", code="allocation_empty")
    if any(w < 0 for w in ws) or sum(ws) <= 0:
        raise ValidationError("Allocation weights must be non-negative with a positive sum.",
                              code="allocation_invalid")
    units = total.minor_units
    sign = -1 if units < 0 else 1
    units = abs(units)
    wsum = sum(ws)
    shares = [units * w / wsum for w in ws]
    floors = [int(s.to_integral_value(rounding=ROUND_DOWN)) for s in shares]
    leftover = units - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Money.from_minor(sign * f, total.currency) for f in floors]


def sum_money(items: Sequence[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for m in items:
        total = total + m
    return total
