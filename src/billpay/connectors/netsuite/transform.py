"""Pure mapping between NetSuite JSON / SuiteQL rows and billpay's canonical records.

Mapping decisions (NetSuite specifics):

- **Identity**: billpay writes an external id derived from the idempotency key
  (``wire.external_id``) and creates with ``PUT …/eid:<external id>``; the
  internal id comes from the ``Location`` header.
- **Dimensions**: ``subsidiary`` is a header field only (a vendor's subsidiary
  decides the bill's); ``department``, ``class`` and ``location`` go on every
  expense line (a line's own value wins over the bill's) and, when the bill has
  them, on the header too.
- **Currency**: bills are written with the currency's internal id and, when
  billpay has one, the exchange rate; read back by symbol.
- **Version**: NetSuite REST has no optimistic-concurrency token, so billpay's
  version of a bill is a fingerprint of what billpay maps (vendor, number, dates,
  currency, amount, memo, lines): equal while nobody changed those, different
  after an edit.
- **Money** is ``Decimal`` end to end.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from billpay.sync.ports import BillLinePayload, BillPayload, BillPaymentPayload, ReferenceItem, RemoteBill

LINE_DIMENSIONS = ("department", "class", "location")
HEADER_ONLY = ("subsidiary",)
CENT = Decimal("0.01")
ZERO = Decimal("0")


def to_decimal(value: Any) -> Decimal:
    if value is None or value == "":
        return ZERO
    if isinstance(value, bool):
        raise ValueError("boolean is not an amount")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def money(value: Any) -> Decimal:
    return to_decimal(value).quantize(CENT)


def parse_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def ref_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return None if value in (None, "") else str(value)


def truthy(value: Any) -> bool:
    return value is True or str(value).upper() in ("T", "TRUE")


# -- fingerprints -------------------------------------------------------------------------------------------

def fingerprint(vendor: str | None, number: str | None, invoice_date: dt.date | None, due_date: dt.date | None,
                currency: str, amount: Decimal, memo: str | None, lines: Iterable[BillLinePayload]) -> str:
    parts = [vendor or "", number or "", str(invoice_date or ""), str(due_date or ""), currency,
             str(money(amount)), memo or ""]
    for line in lines:
        dims = ",".join(f"{k}={line.dimensions[k]}" for k in LINE_DIMENSIONS if line.dimensions.get(k))
        parts += [str(money(line.amount)), line.description or "", line.account_id or "", dims]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


def payload_version(payload: BillPayload) -> str:
    return fingerprint(payload.vendor_external_id, payload.invoice_number, payload.invoice_date, payload.due_date,
                       payload.currency, payload.amount, payload.memo, [_line_as_written(ln) for ln in payload.lines])


def remote_version(bill: RemoteBill) -> str:
    return fingerprint(bill.vendor_external_id, bill.invoice_number, bill.invoice_date, bill.due_date,
                       bill.currency, bill.amount, bill.memo, bill.lines)


def _line_as_written(line: BillLinePayload) -> BillLinePayload:
    dims = {k: v for k, v in line.dimensions.items() if k in LINE_DIMENSIONS and v}
    return BillLinePayload(line.amount, line.description, line.account_id, dims)


# -- bills: billpay -> NetSuite -------------------------------------------------------------------------------

def bill_to_wire(payload: BillPayload, *, subsidiary: str | None, currency_id: str | None,
                 external_id: str | None = None) -> dict:
    """The ``vendorBill`` body (create and update alike: ``PATCH ?replace=expense`` sends the full state)."""
    body: dict[str, Any] = {
        "entity": {"id": payload.vendor_external_id},
        "tranId": payload.invoice_number or None,
        "tranDate": payload.invoice_date.isoformat(),
        "dueDate": payload.due_date.isoformat() if payload.due_date else None,
        "memo": payload.memo or None,
        "expense": {"items": [expense_line(line) for line in payload.lines]},
    }
    if external_id:
        body["externalId"] = external_id
    if subsidiary:
        body["subsidiary"] = {"id": subsidiary}
    if currency_id:
        body["currency"] = {"id": currency_id}
    if payload.exchange_rate is not None:
        body["exchangeRate"] = payload.exchange_rate
    if payload.terms_external_id:
        body["terms"] = {"id": payload.terms_external_id}
    if payload.ap_account_id:
        body["account"] = {"id": payload.ap_account_id}
    for name in LINE_DIMENSIONS:
        if payload.dimensions.get(name):
            body[name] = {"id": payload.dimensions[name]}
    return {k: v for k, v in body.items() if v is not None}


def expense_line(line: BillLinePayload) -> dict:
    item: dict[str, Any] = {"account": {"id": line.account_id}, "amount": money(line.amount)}
    if line.description:
        item["memo"] = line.description
    for name in LINE_DIMENSIONS:
        if line.dimensions.get(name):
            item[name] = {"id": line.dimensions[name]}
    return item


def payment_to_wire(payload: BillPaymentPayload, *, bank_account_id: str, currency_id: str | None,
                    subsidiary: str | None, external_id: str) -> dict:
    body: dict[str, Any] = {
        "externalId": external_id,
        "entity": {"id": payload.vendor_external_id},
        "account": {"id": bank_account_id},
        "tranDate": payload.pay_date.isoformat(),
        "memo": payload.memo or f"billpay payment {payload.payment_id}",
        "apply": {"items": [{"doc": {"id": payload.bill_external_id}, "apply": True,
                             "amount": money(payload.amount)}]},
    }
    if currency_id:
        body["currency"] = {"id": currency_id}
    if subsidiary:
        body["subsidiary"] = {"id": subsidiary}
    if payload.exchange_rate is not None:
        body["exchangeRate"] = payload.exchange_rate
    return body


# -- bills: NetSuite -> billpay -------------------------------------------------------------------------------

def bill_from_record(record: Mapping[str, Any]) -> RemoteBill:
    """A ``vendorBill`` read with ``expandSubResources=true``."""
    items = (record.get("expense") or {}).get("items") or []
    lines = [BillLinePayload(money(item.get("amount")), item.get("memo") or None, ref_id(item.get("account")),
                             {k: ref_id(item.get(k)) for k in LINE_DIMENSIONS if ref_id(item.get(k))})
             for item in items]
    status = record.get("status") or {}
    currency = record.get("currency") or {}
    bill = RemoteBill(
        external_id=str(record["id"]), version=None, vendor_external_id=ref_id(record.get("entity")) or "",
        invoice_number=record.get("tranId") or None, invoice_date=parse_date(record.get("tranDate")),
        due_date=parse_date(record.get("dueDate")), currency=str(currency.get("refName") or ""),
        amount=money(record.get("total")), balance=money(record.get("amountRemaining")), lines=lines,
        memo=record.get("memo") or None, terms_external_id=ref_id(record.get("terms")),
        dimensions={k: v for k in (*HEADER_ONLY, *LINE_DIMENSIONS) if (v := ref_id(record.get(k)))},
        status=status.get("refName") if isinstance(status, dict) else None,
    )
    return _versioned(bill)


def bills_from_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[list[RemoteBill], list[str]]:
    """SuiteQL rows of ``wire.bills_query`` -> (bills with their lines, ids of deleted bills)."""
    heads: dict[str, Mapping[str, Any]] = {}
    lines: dict[str, list[BillLinePayload]] = {}
    deleted: dict[str, None] = {}
    for row in rows:
        rid = str(row["id"])
        if row.get("kind") == "deleted":
            deleted[rid] = None
            continue
        heads.setdefault(rid, row)
        lines.setdefault(rid, []).append(BillLinePayload(
            money(row.get("lineamount")), row.get("linememo") or None, row.get("lineaccount"),
            {k: str(row[k]) for k in LINE_DIMENSIONS if row.get(k)}))
    bills = []
    for rid, head in heads.items():
        deleted.pop(rid, None)  # deleted and re-created under the same id cannot happen; a live row wins
        bills.append(_versioned(RemoteBill(
            external_id=rid, version=None, vendor_external_id=str(head.get("entity") or ""),
            invoice_number=head.get("tranid") or None, invoice_date=parse_date(head.get("trandate")),
            due_date=parse_date(head.get("duedate")), currency=str(head.get("currency") or ""),
            amount=money(head.get("total")), balance=money(head.get("remaining")), lines=lines[rid],
            memo=head.get("memo") or None, terms_external_id=head.get("terms") or None,
            dimensions={"subsidiary": str(head["subsidiary"])} if head.get("subsidiary") else {},
            status=_status_word(head.get("statustext"), head.get("status")),
        )))
    return bills, list(deleted)


def _status_word(text: Any, code: Any) -> str | None:
    if text:
        return str(text).split(":")[-1].strip()
    return {"A": "Open", "B": "Paid In Full", "D": "Pending Approval", "E": "Rejected"}.get(str(code or ""))


def _versioned(bill: RemoteBill) -> RemoteBill:
    return RemoteBill(**{**bill.__dict__, "version": remote_version(bill)})


# -- reference data -------------------------------------------------------------------------------------------

def reference_from_row(kind: str, row: Mapping[str, Any]) -> ReferenceItem:
    active = not truthy(row.get("isinactive"))
    if kind == "vendors":
        name = row.get("companyname") or row.get("entityid") or str(row["id"])
        extra = {k: row[k] for k in ("email", "subsidiary", "currency") if row.get(k)}
    elif kind == "accounts":
        name = " ".join(p for p in (row.get("acctnumber"), row.get("acctname")) if p) or str(row["id"])
        extra = {"type": _ACCOUNT_TYPES.get(str(row.get("accttype")), row.get("accttype")),
                 **{k: row[k] for k in ("currency", "subsidiary") if row.get(k)}}
        if row.get("acctnumber"):
            extra["number"] = row["acctnumber"]
    elif kind == "terms":
        name = row.get("name") or str(row["id"])
        extra = {"days": row["daysuntilnetdue"]} if row.get("daysuntilnetdue") is not None else {}
    else:
        name = row.get("name") or str(row["id"])
        extra = {k: row[k] for k in ("subsidiary", "currency") if row.get(k)}
    return ReferenceItem(id=str(row["id"]), name=str(name), active=active, kind=kind, extra=extra)


_ACCOUNT_TYPES = {"AcctPay": "Accounts Payable", "Bank": "Bank", "Expense": "Expense",
                  "OthExpense": "Other Expense", "COGS": "Cost of Goods Sold", "CredCard": "Credit Card",
                  "OthCurrLiab": "Other Current Liability", "FixedAsset": "Fixed Asset",
                  "OthCurrAsset": "Other Current Asset"}
