"""Shared vocabulary for validating what clients send: the write context,
value readers (money, dates, references) and reference resolution with the
faults QuickBooks gives for bad references."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from . import errors, timefmt
from .company import Company

ZERO = Decimal("0")

# Fields a client may send but the service owns.
READ_ONLY = {"Id", "SyncToken", "MetaData", "domain", "sparse", "status", "time"}


@dataclass
class WriteContext:
    company: Company
    now: datetime
    allow_duplicate_doc_number: bool = False

    @property
    def today(self) -> date:
        return timefmt.local_date(self.now, self.company.tz)


def clean(data: dict) -> dict:
    """Drop read-only fields and empty values (python-quickbooks sends ``""`` for unset fields)."""
    out = {}
    for key, value in data.items():
        if key in READ_ONLY or value is None or value == "":
            continue
        out[key] = copy.deepcopy(value)
    return out


# --- value helpers -------------------------------------------------------------


def money(value: Any, element: str) -> Decimal:
    if isinstance(value, bool):
        raise errors.invalid_property(f"{element}", element=element)
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, (int, str)):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise errors.invalid_property(
                f"Can not construct instance of java.math.BigDecimal from String value '{value}': "
                f"not a valid representation ({element})",
                element=element,
            ) from None
    elif isinstance(value, float):  # only when a caller bypasses the Decimal-parsing JSON reader
        amount = Decimal(repr(value))
    else:
        raise errors.invalid_property(element, element=element)
    if not amount.is_finite():
        raise errors.invalid_property(element, element=element)
    _, digits, exponent = amount.as_tuple()
    if len(digits) + int(exponent) > 15:  # more than 15 digits before the decimal point
        raise errors.invalid_property(element, element=element)
    return amount


def day(value: Any, element: str) -> date:
    try:
        return timefmt.parse_date(str(value))
    except ValueError:
        raise errors.invalid_property(
            f"Can not construct instance of java.util.Date from String value '{value}' ({element})",
            element=element,
        ) from None


def max_length(fields: dict, name: str, limit: int) -> None:
    value = fields.get(name)
    if isinstance(value, str) and len(value) > limit:
        raise errors.string_too_long(name, limit, len(value))


def ref_id(value: Any) -> str | None:
    if isinstance(value, dict):
        raw = value.get("value")
    else:
        raw = value
    if raw is None or raw == "":
        return None
    return str(raw)


def display_name(entity: str, record: dict) -> str:
    if entity == "Vendor":
        return record.get("DisplayName", "")
    if entity in ("Account", "Class", "Department"):
        return record.get("FullyQualifiedName") or record.get("Name", "")
    return record.get("Name", "")


def resolve(ctx: WriteContext, entity: str, value: Any, element: str, *, must_be_active: bool = True) -> dict:
    """The referenced record, or the fault QuickBooks gives for a bad reference."""
    target_id = ref_id(value)
    if target_id is None:
        raise errors.required_param(element, element=element)
    record = ctx.company.get(entity, target_id)
    if record is None:
        raise errors.invalid_reference(entity, target_id, element=element)
    if must_be_active and not record.get("Active", True):
        raise errors.inactive_reference(element)
    return record


def ref_to(entity: str, record: dict) -> dict:
    return {"value": record["Id"], "name": display_name(entity, record)}


def currency_ref(ctx: WriteContext, fields: dict) -> dict:
    home = ctx.company.settings.home_currency
    code = (ref_id(fields.get("CurrencyRef")) or home).upper()
    if code != home and not ctx.company.settings.multicurrency:
        raise errors.business_validation(
            f"Multicurrency is turned off for this company; {code} cannot be used (home currency {home})."
        )
    if code not in _CURRENCY_NAMES:
        raise errors.invalid_reference("Currency", code, element="CurrencyRef")
    return {"value": code, "name": _CURRENCY_NAMES[code]}


def exchange_rate(ctx: WriteContext, fields: dict, txn_date: date) -> None:
    """A foreign-currency transaction carries ``ExchangeRate`` (home currency per unit of its currency): the one
    sent, else the company's rate for its date, as QuickBooks takes it from its currency center. A home-currency
    transaction carries none."""
    code, home = fields["CurrencyRef"]["value"], ctx.company.settings.home_currency
    if code == home:
        fields.pop("ExchangeRate", None)
        return
    if fields.get("ExchangeRate") not in (None, ""):
        rate = money(fields["ExchangeRate"], "ExchangeRate")
        if rate <= 0:
            raise errors.business_validation("The exchange rate must be greater than zero.", element="ExchangeRate")
    else:
        rate = ctx.company.exchange_rate(code, txn_date)
    fields["ExchangeRate"] = rate


def home_amount(record: dict, amount: Decimal) -> Decimal:
    """``amount`` of a transaction in the company's home currency (cents, half up)."""
    rate = record.get("ExchangeRate")
    return amount if rate is None else (amount * rate).quantize(Decimal("0.01"), ROUND_HALF_UP)


_CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
    "CAD": "Canadian Dollar",
}


def set_home_amounts(bill: dict) -> None:
    """``HomeTotalAmt`` and ``HomeBalance`` of a foreign-currency bill or vendor credit (none on a home-currency one)."""
    if bill.get("ExchangeRate") is None:
        bill.pop("HomeTotalAmt", None)
        bill.pop("HomeBalance", None)
        return
    bill["HomeTotalAmt"] = home_amount(bill, bill["TotalAmt"])
    bill["HomeBalance"] = home_amount(bill, bill["Balance"])


def closed_books(ctx: WriteContext, *days: date | None) -> None:
    close = ctx.company.settings.book_close_date
    if not close:
        return
    limit = date.fromisoformat(close)
    if any(d is not None and d <= limit for d in days):
        raise errors.period_closed()


def existing_day(existing: dict | None, name: str) -> date | None:
    if existing and existing.get(name):
        return date.fromisoformat(existing[name])
    return None
