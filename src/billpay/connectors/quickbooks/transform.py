"""Pure mapping between QuickBooks Online payloads and billpay's canonical records.

No I/O here: every function takes plain values and returns plain values, so
it is tested on recorded payloads alone.

Mapping decisions (QuickBooks Online specifics):

- **billpay id**: written into ``PrivateNote`` (the bill's "Memo" in the
  QuickBooks UI) as a last line ``billpay:<id>`` after the memo; read back and
  stripped by ``parse_note``. QuickBooks cannot filter on ``PrivateNote``, so
  ``find_bill`` queries by vendor + invoice number and matches this marker.
- **Dimensions**: QuickBooks has no header class on bills, so billpay's bill
  class goes onto every line without its own class. QuickBooks has one
  Department per bill (shown as "Location" in its UI when the company names
  it so); billpay's department and location both map to it, so a bill may
  carry one value there, not a different one per line.
- **Lines** are account-based expense lines (``AccountRef`` required).
  Custom line dimensions have no place in QuickBooks bills and are refused
  rather than dropped silently.
- **Currency**: ``CurrencyRef`` is sent only when the company has
  multicurrency on; without it, a bill in another currency than the home
  currency is refused before sending. A foreign-currency bill or bill payment
  carries ``ExchangeRate`` (home currency per unit of its currency). Reading,
  a bill without ``CurrencyRef`` is in the home currency (from ``Preferences``).
- **Money** is ``Decimal`` end to end; read lines always sum to the total: a
  difference (sales tax on non-US companies) becomes one extra line marked
  ``custom={"quickbooks_line": "tax"}``.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from billpay.connectors.base.errors import PAYLOAD_INVALID, UNSUPPORTED
from billpay.connectors.quickbooks import wire
from billpay.connectors.quickbooks.faults import PLATFORM
from billpay.sync.ports import (
    BillLinePayload,
    BillPayload,
    BillPaymentPayload,
    ConnectorError,
    ReferenceItem,
    RemoteBill,
    VendorCreditPayload,
)

NOTE_MARKER = "billpay:"
_MARKER_LINE = re.compile(r"(?:^|\n)billpay:(?P<id>[^\s]+)\s*$")
ZERO = Decimal("0")


@dataclass(frozen=True)
class CompanyCurrency:
    """The company's home currency and whether multicurrency is on (from Preferences)."""

    home: str
    multicurrency: bool = False


# -- small parsers --------------------------------------------------------------


def to_decimal(value: Any) -> Decimal:
    """Money from JSON: ``Decimal`` stays, ints and strings convert, floats go through ``str``."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("boolean is not an amount")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def ref_value(ref: Any) -> str | None:
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None


def compose_note(memo: str | None, record_id: str) -> str:
    """``PrivateNote`` = memo (trimmed to fit) + a last line ``billpay:<id>``."""
    marker = f"{NOTE_MARKER}{record_id}"
    memo = (memo or "").strip()
    if not memo:
        return marker
    room = wire.PRIVATE_NOTE_MAX - len(marker) - 1
    if len(memo) > room:
        memo = memo[: max(room - 1, 0)] + "…"
    return f"{memo}\n{marker}"


def parse_note(note: Any) -> tuple[str | None, str | None]:
    """(memo, billpay id) from a ``PrivateNote``; the id is None when billpay did not write it."""
    if not isinstance(note, str) or not note:
        return None, None
    match = _MARKER_LINE.search(note)
    if match is None:
        return note, None
    memo = note[: match.start()].strip()
    return (memo or None), match.group("id")


# -- bills: billpay -> QuickBooks ---------------------------------------------------


def _invalid(detail: str) -> ConnectorError:
    return PAYLOAD_INVALID.error(platform=PLATFORM, detail=detail)


def _unsupported(detail: str) -> ConnectorError:
    return UNSUPPORTED.error(platform=PLATFORM, detail=detail)


#: QuickBooks keeps one Department per bill; billpay's ``department`` and ``location`` both name it
#: (QuickBooks labels Departments "Locations" in many companies).
HEADER_DIMENSIONS = ("department", "location")
QBO_DIMENSIONS = {"class", *HEADER_DIMENSIONS}


def header_department(payload: BillPayload) -> str | None:
    """The one QuickBooks Department for the bill, or an error if billpay has several."""
    values = {v for k, v in payload.dimensions.items() if k in HEADER_DIMENSIONS and v}
    for line in payload.lines:
        values.update(v for k, v in line.dimensions.items() if k in HEADER_DIMENSIONS and v)
    if len(values) > 1:
        raise _unsupported(
            "QuickBooks Online keeps one department/location per bill, but this bill has "
            f"{len(values)} different ones ({', '.join(sorted(values))})"
        )
    return next(iter(values), None)


def check_currency(currency: str, company: CompanyCurrency) -> None:
    if not company.multicurrency and currency.upper() != company.home.upper():
        raise ConnectorError(
            "platform_currency_unsupported",
            f"The bill is in {currency.upper()}, but multicurrency is off in QuickBooks Online "
            f"and the company's currency is {company.home.upper()}. Turn on multicurrency in "
            "QuickBooks or record the bill in the home currency.",
            kind="rejected",
        )


def bill_lines_to_wire(payload: BillPayload) -> list[wire.BillLine]:
    if not payload.lines:
        raise _invalid("the bill has no lines")
    total = sum((to_decimal(line.amount) for line in payload.lines), ZERO)
    if total != to_decimal(payload.amount):
        raise _invalid(f"its lines add up to {total}, not to the bill amount {payload.amount}")
    lines: list[wire.BillLine] = []
    for number, line in enumerate(payload.lines, start=1):
        if not line.account_id:
            raise _invalid(f"line {number} has no GL account")
        foreign = sorted(set(line.custom) | (set(line.dimensions) - QBO_DIMENSIONS))
        if foreign:
            raise _unsupported(
                f"line {number} has custom dimensions ({', '.join(foreign)}), "
                "which QuickBooks Online bills cannot hold"
            )
        detail: wire.AccountBasedExpenseLineDetail = {"AccountRef": {"value": line.account_id}}
        class_id = line.dimensions.get("class") or payload.dimensions.get("class")
        if class_id:
            detail["ClassRef"] = {"value": class_id}
        item: wire.BillLine = {
            "DetailType": wire.ACCOUNT_BASED,
            "Amount": to_decimal(line.amount),
            "AccountBasedExpenseLineDetail": detail,
        }
        if line.description:
            item["Description"] = line.description[: wire.DESCRIPTION_MAX]
        lines.append(item)
    return lines


def is_foreign(currency: str, company: CompanyCurrency) -> bool:
    """A transaction QuickBooks records with an ``ExchangeRate`` (multicurrency on, not the home currency)."""
    return company.multicurrency and currency.upper() != company.home.upper()


def set_currency(body: dict, currency: str, company: CompanyCurrency, exchange_rate: Decimal | None) -> None:
    """With multicurrency on, a transaction names its currency and, when foreign, the rate it is recorded at."""
    if company.multicurrency:
        body["CurrencyRef"] = {"value": currency.upper()}
        if exchange_rate is not None and is_foreign(currency, company):
            body["ExchangeRate"] = exchange_rate


def bill_to_wire(payload: BillPayload, company: CompanyCurrency, exchange_rate: Decimal | None = None) -> wire.Bill:
    """The create body for a bill (no envelope, as QuickBooks expects). ``exchange_rate``: home currency per unit
    of a foreign-currency bill's currency (the bill's own, else the platform's for its date)."""
    if len(payload.invoice_number) > wire.DOC_NUMBER_MAX:
        raise _unsupported(
            f"the invoice number {payload.invoice_number!r} is longer than the "
            f"{wire.DOC_NUMBER_MAX} characters QuickBooks Online allows"
        )
    if not payload.vendor_external_id:
        raise _invalid("the vendor is not mapped to a QuickBooks Online vendor")
    check_currency(payload.currency, company)
    body: wire.Bill = {
        "VendorRef": {"value": payload.vendor_external_id},
        "DocNumber": payload.invoice_number,
        "TxnDate": payload.invoice_date.isoformat(),
        "DueDate": payload.due_date.isoformat(),
        "PrivateNote": compose_note(payload.memo, payload.bill_id),
        "Line": bill_lines_to_wire(payload),
    }
    department = header_department(payload)
    if department:
        body["DepartmentRef"] = {"value": department}
    if payload.terms_external_id:
        body["SalesTermRef"] = {"value": payload.terms_external_id}
    if payload.ap_account_id:
        body["APAccountRef"] = {"value": payload.ap_account_id}
    set_currency(body, payload.currency, company, exchange_rate)
    return body


def bill_update_to_wire(
    payload: BillPayload, company: CompanyCurrency, *, external_id: str, sync_token: str
) -> wire.Bill:
    """A sparse update carrying every field billpay owns; the line set is replaced whole.

    ``CurrencyRef`` is left out: QuickBooks does not change a bill's currency; nor does a re-sync change the
    exchange rate the bill was recorded at.
    """
    body = bill_to_wire(payload, company)
    body.pop("CurrencyRef", None)
    return {"Id": external_id, "SyncToken": sync_token, "sparse": True, **body}


# -- bills: QuickBooks -> billpay ---------------------------------------------------


def bill_from_wire(obj: wire.Bill, company: CompanyCurrency) -> RemoteBill:
    """A ``RemoteBill``; lines always sum to the total (tax/difference line added if needed)."""
    department = ref_value(obj.get("DepartmentRef"))
    total = to_decimal(obj.get("TotalAmt"))
    lines: list[BillLinePayload] = []
    for line in obj.get("Line") or []:
        converted = _line_from_wire(line, department)
        if converted is not None:
            lines.append(converted)
    difference = total - sum((line.amount for line in lines), ZERO)
    if difference:
        tax = to_decimal((obj.get("TxnTaxDetail") or {}).get("TotalTax"))
        kind = "tax" if tax == difference else "difference"
        lines.append(BillLinePayload(
            amount=difference,
            description="Tax" if kind == "tax" else "Difference to bill total",
            dimensions=_dims(department=department),
            custom={"quickbooks_line": kind},
        ))
    memo, _ = parse_note(obj.get("PrivateNote"))
    balance = obj.get("Balance")
    return RemoteBill(
        external_id=str(obj.get("Id")),
        version=_str_or_none(obj.get("SyncToken")),
        vendor_external_id=ref_value(obj.get("VendorRef")) or "",
        invoice_number=obj.get("DocNumber") or None,
        invoice_date=parse_date(obj.get("TxnDate")),
        due_date=parse_date(obj.get("DueDate")),
        currency=(ref_value(obj.get("CurrencyRef")) or company.home).upper(),
        amount=total,
        balance=to_decimal(balance) if balance is not None else total,
        lines=tuple(lines),
        memo=memo,
        terms_external_id=ref_value(obj.get("SalesTermRef")),
        dimensions=_dims(department=department),
        deleted=is_deleted(obj),
        updated_at=wire.parse_datetime((obj.get("MetaData") or {}).get("LastUpdatedTime")),
        exchange_rate=to_decimal(obj["ExchangeRate"]) if obj.get("ExchangeRate") not in (None, "") else None,
    )


def _line_from_wire(line: Any, department: str | None) -> BillLinePayload | None:
    if not isinstance(line, dict):
        return None
    detail_type = line.get("DetailType")
    if detail_type == wire.ACCOUNT_BASED:
        detail = line.get(wire.ACCOUNT_BASED) or {}
        account, custom = ref_value(detail.get("AccountRef")), {}
    elif detail_type == wire.ITEM_BASED:
        detail = line.get(wire.ITEM_BASED) or {}
        account, custom = None, {"item_id": ref_value(detail.get("ItemRef")) or ""}
    else:
        return None  # sub-total and other display-only lines carry no amount of their own
    return BillLinePayload(
        amount=to_decimal(line.get("Amount")),
        description=line.get("Description") or None,
        account_id=account,
        dimensions=_dims(**{"class": ref_value(detail.get("ClassRef")), "department": department}),
        custom=custom,
    )


def _dims(**values: str | None) -> dict[str, str]:
    return {k: v for k, v in values.items() if v}


def is_deleted(obj: Any) -> bool:
    return isinstance(obj, dict) and str(obj.get("status", "")).lower() == "deleted"


def billpay_id_of(obj: Any) -> str | None:
    """The billpay id recorded in a bill's or payment's ``PrivateNote``, if any."""
    return parse_note(obj.get("PrivateNote") if isinstance(obj, dict) else None)[1]


def paid_by_payment(obj: wire.Bill) -> list[str]:
    """Ids of transactions (payments) linked to a bill."""
    return [
        str(link.get("TxnId"))
        for link in obj.get("LinkedTxn") or []
        if isinstance(link, dict) and str(link.get("TxnType", "")).startswith("BillPayment")
    ]


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


# -- bill payments ------------------------------------------------------------------


def payment_to_wire(
    payload: BillPaymentPayload, company: CompanyCurrency, *, bank_account_id: str,
    exchange_rate: Decimal | None = None, credit_balances: dict[str, Decimal] | None = None,
) -> wire.BillPayment:
    """A check-type BillPayment linked to its bill.

    ACH, wire and check all use ``PayType: Check`` (QuickBooks knows Check and
    CreditCard only); ``PrintStatus: NotSet`` keeps QuickBooks from queueing a
    check to print, because billpay already sent the money.
    """
    method = payload.method.lower()
    if method not in ("ach", "wire", "check"):
        raise _unsupported(f"payment method {payload.method!r} has no QuickBooks Online equivalent")
    amount = to_decimal(payload.amount)
    if amount <= 0:
        raise _invalid("the payment amount must be positive")
    check_currency(payload.currency, company)
    body: wire.BillPayment = {
        "VendorRef": {"value": payload.vendor_external_id},
        "PayType": "Check",
        "CheckPayment": {"BankAccountRef": {"value": bank_account_id}, "PrintStatus": "NotSet"},
        "TotalAmt": amount,
        "TxnDate": payload.pay_date.isoformat(),
        "PrivateNote": compose_note(payload.memo, payload.payment_id),
        "Line": [{
            "Amount": amount,
            "LinkedTxn": [{"TxnId": payload.bill_external_id, "TxnType": "Bill"}],
        }],
    }
    # Vendor credits applied with the payment: each one's open balance, never more than the bill takes;
    # the cash paid (TotalAmt) is what is left.
    credited = ZERO
    for credit_id in payload.vendor_credit_ids:
        take = min(to_decimal((credit_balances or {}).get(credit_id, ZERO)), amount - credited)
        if take <= 0:
            raise _invalid(f"vendor credit {credit_id} has no open balance left in QuickBooks Online")
        credited += take
        body["Line"].append({"Amount": take, "LinkedTxn": [{"TxnId": credit_id, "TxnType": "VendorCredit"}]})
    body["TotalAmt"] = amount - credited
    set_currency(body, payload.currency, company, exchange_rate)
    return body


def vendor_credit_to_wire(
    payload: VendorCreditPayload, company: CompanyCurrency, exchange_rate: Decimal | None = None,
) -> dict:
    """A VendorCredit create body: the credit note's lines as expense lines, amounts positive.
    ``exchange_rate`` as for :func:`bill_to_wire`."""
    if not payload.vendor_external_id:
        raise _invalid("the vendor is not mapped to a QuickBooks Online vendor")
    if len(payload.reference) > wire.DOC_NUMBER_MAX:
        raise _unsupported(f"the credit note number {payload.reference!r} is longer than the "
                           f"{wire.DOC_NUMBER_MAX} characters QuickBooks Online allows")
    check_currency(payload.currency, company)
    body: dict = {
        "VendorRef": {"value": payload.vendor_external_id},
        "DocNumber": payload.reference,
        "TxnDate": payload.credit_date.isoformat(),
        "PrivateNote": compose_note(payload.memo, payload.credit_id),
        "Line": bill_lines_to_wire(payload),
    }
    set_currency(body, payload.currency, company, exchange_rate)
    return body


# -- reference data -----------------------------------------------------------------


def reference_from_wire(kind: str, obj: dict) -> ReferenceItem:
    """A ``ReferenceItem`` for a Vendor, Account, Class, Department or Term."""
    active = obj.get("Active", True) is not False
    name = obj.get("FullyQualifiedName") or obj.get("Name") or obj.get("DisplayName") or ""
    extra: dict[str, Any] = {}
    item_kind = ""
    if kind == "vendors":
        name = obj.get("DisplayName") or name
        extra = _compact({
            "company_name": obj.get("CompanyName"),
            "print_on_check_name": obj.get("PrintOnCheckName"),
            "email": (obj.get("PrimaryEmailAddr") or {}).get("Address"),
            "currency": ref_value(obj.get("CurrencyRef")),
            "terms_id": ref_value(obj.get("TermRef")),
            "account_number": obj.get("AcctNum"),
            "tax_id": obj.get("TaxIdentifier"),
            "vendor_1099": obj.get("Vendor1099"),
            "balance": obj.get("Balance"),
        })
    elif kind == "accounts":
        item_kind = str(obj.get("AccountType") or "")
        extra = _compact({
            "account_type": obj.get("AccountType"),
            "account_sub_type": obj.get("AccountSubType"),
            "classification": obj.get("Classification"),
            "account_number": obj.get("AcctNum"),
            "currency": ref_value(obj.get("CurrencyRef")),
        })
    elif kind in ("classes", "departments"):
        extra = _compact({"parent_id": ref_value(obj.get("ParentRef"))})
    elif kind == "terms":
        item_kind = str(obj.get("Type") or "")
        extra = _compact({
            "due_days": obj.get("DueDays"),
            "day_of_month_due": obj.get("DayOfMonthDue"),
            "discount_percent": obj.get("DiscountPercent"),
            "discount_days": obj.get("DiscountDays"),
        })
    return ReferenceItem(id=str(obj.get("Id")), name=str(name), active=active, kind=item_kind, extra=extra)


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value not in (None, "")}


def company_currency_from_preferences(body: Any) -> CompanyCurrency | None:
    """Home currency and multicurrency flag from a ``GET /preferences`` response."""
    prefs = body.get("Preferences") if isinstance(body, dict) else None
    if not isinstance(prefs, dict):
        return None
    currency_prefs = prefs.get("CurrencyPrefs") or {}
    home = ref_value(currency_prefs.get("HomeCurrency"))
    if not home:
        return None
    return CompanyCurrency(home=home.upper(), multicurrency=currency_prefs.get("MultiCurrencyEnabled") is True)
