"""What makes a vendor bill or a vendor payment valid, and what each does to the other.

Bills (``vendorBill``): the vendor must be active; the subsidiary defaults to the
vendor's and must be it (OneWorld); currency defaults to the vendor's, the
exchange rate to the currency's rate against the subsidiary's base currency;
the A/P account defaults to the first active Accounts Payable account; every
expense line needs an active, non-A/P, non-bank account and an amount, and its
department, class and location must be active and belong to the bill's
subsidiary. ``total`` is the sum of the lines; ``amountRemaining`` is the total
less what payments apply; ``status`` is A (Open), B (Paid In Full) or D
(Pending Approval).

Payments (``vendorPayment``): drawn on an active bank account in the payment's
currency, applying amounts to open bills of the same vendor and currency, never
more than a bill's amount remaining. Applying, changing or deleting a payment
moves each bill's amount remaining and status and stamps the bill as modified.
A bill with payments applied cannot be deleted.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from . import errors
from .account import Account
from .records import Body

CENT = Decimal("0.01")
ZERO = Decimal("0")
_REQUIRED = {"vendor": ("companyName",), "account": ("acctName", "acctType"), "department": ("name",),
             "classification": ("name",), "location": ("name",), "subsidiary": ("name",), "term": ("name",),
             "currency": ("symbol",)}
_LABELS = {"entity": "Vendor", "account": "Account", "amount": "Amount", "companyName": "Company Name",
           "acctName": "Name", "acctType": "Type", "name": "Name", "symbol": "ISO Code"}


def missing(field: str, path: str | None = None) -> errors.NsError:
    return errors.user_error(f"Please enter value(s) for: {_LABELS.get(field, field)}", path=path or field)


def save(acct: Account, rtype: str, current: dict | None, body: Body, replace: set[str], now: datetime,
         today: date) -> dict:
    """Create (``current`` None) or update one record; returns the stored record."""
    record = acct.merged(rtype, current, body, replace)
    if current is None:
        record["id"] = acct.next_id(rtype)
    if rtype == "vendorBill":
        _prepare_bill(acct, record, today)
        _settle(acct, record)
        return acct.store(rtype, record, now)
    if rtype == "vendorPayment":
        before = _applications(current) if current else {}
        _prepare_payment(acct, record, before, today)
        stored = acct.store(rtype, record, now)
        _reapply(acct, stored["id"], before, _applications(stored), now)
        return stored
    for name in _REQUIRED.get(rtype, ()):
        if not record.get(name):
            raise missing(name)
    if rtype == "vendor":
        _active(acct, "subsidiary", record.get("subsidiary"), "subsidiary")
        record.setdefault("entityId", record["companyName"])
        record.setdefault("currency", acct.get("subsidiary", record["subsidiary"])["currency"])
    record.setdefault("isInactive", False)
    return acct.store(rtype, record, now)


def delete(acct: Account, rtype: str, record: dict, now: datetime) -> None:
    rid = record["id"]
    if rtype == "vendorBill" and acct.applied.get(rid):
        raise errors.user_error("This record cannot be deleted because it has dependent records.")
    if rtype == "vendor" and any(t.get("entity") == rid for t in acct.values("vendorBill")):
        raise errors.user_error("This record cannot be deleted because it has dependent records.")
    acct.delete(rtype, rid, now)
    if rtype == "vendorPayment":
        _reapply(acct, rid, _applications(record), {}, now)


# --- bills ------------------------------------------------------------------------------------------------

def _active(acct: Account, rtype: str, rid: str | None, field: str, *, path: str | None = None) -> dict:
    record = acct.get(rtype, rid) if rid else None
    if record is None or record.get("isInactive"):
        raise errors.invalid_reference(field, rid, path=path or field)
    return record


def _segment(acct: Account, rtype: str, rid: str | None, field: str, subsidiary: str, path: str) -> None:
    if not rid:
        return
    record = _active(acct, rtype, rid, field, path=path)
    if record.get("subsidiary") and record["subsidiary"] != subsidiary:
        raise errors.invalid_reference(field, rid, path=path, extra=f" for subsidiary {subsidiary}")


def _prepare_bill(acct: Account, bill: dict, today: date) -> None:
    if not bill.get("entity"):
        raise missing("entity")
    vendor = _active(acct, "vendor", bill["entity"], "entity")
    subsidiary = bill.setdefault("subsidiary", vendor["subsidiary"])
    sub = _active(acct, "subsidiary", subsidiary, "subsidiary")
    if subsidiary != vendor["subsidiary"]:
        raise errors.invalid_reference("subsidiary", subsidiary, extra=f" for entity {vendor['id']}")
    currency = _active(acct, "currency", bill.setdefault("currency", vendor.get("currency") or sub["currency"]),
                       "currency")
    if "exchangeRate" not in bill:
        home = acct.get("currency", sub["currency"]) or currency
        bill["exchangeRate"] = (currency["exchangeRate"] / home["exchangeRate"]).quantize(Decimal("0.000001"))
    if bill["exchangeRate"] <= 0:
        raise errors.invalid_value("exchangeRate", bill["exchangeRate"])
    if not bill.get("account"):
        ap = next((a for a in acct.values("account") if a.get("acctType") == "AcctPay" and not a.get("isInactive")
                   and a.get("subsidiary") in (None, subsidiary)), None)
        if ap is None:
            raise missing("account")
        bill["account"] = ap["id"]
    if _active(acct, "account", bill["account"], "account").get("acctType") != "AcctPay":
        raise errors.invalid_reference("account", bill["account"])
    bill.setdefault("tranDate", today.isoformat())
    if bill.get("terms"):
        term = _active(acct, "term", bill["terms"], "terms")
        if "dueDate" not in bill:
            days = int(term.get("daysUntilNetDue") or 0)
            bill["dueDate"] = (date.fromisoformat(bill["tranDate"]) + timedelta(days=days)).isoformat()
    bill.setdefault("dueDate", bill["tranDate"])
    for field, rtype in (("department", "department"), ("class", "classification"), ("location", "location")):
        _segment(acct, rtype, bill.get(field), field, subsidiary, field)
    bill.setdefault("approvalStatus", "2")
    if bill["approvalStatus"] not in ("1", "2", "3"):
        raise errors.invalid_value("approvalStatus", bill["approvalStatus"])
    lines = bill.get("expense") or []
    if not lines:
        raise errors.user_error("You must enter at least one line item for this transaction.", path="expense")
    for index, line in enumerate(lines):
        where = f"expense.items[{index}]"
        if not line.get("account"):
            raise missing("account", f"{where}.account")
        account = _active(acct, "account", line["account"], "account", path=f"{where}.account")
        if account.get("acctType") in ("AcctPay", "Bank"):
            raise errors.invalid_reference("account", line["account"], path=f"{where}.account")
        if "amount" not in line:
            raise missing("amount", f"{where}.amount")
        line["amount"] = line["amount"].quantize(CENT)
        for field, rtype in (("department", "department"), ("class", "classification"), ("location", "location")):
            _segment(acct, rtype, line.get(field), field, subsidiary, f"{where}.{field}")
        line["line"] = index + 1
    total = sum((line["amount"] for line in lines), ZERO)
    if total < 0:
        raise errors.user_error("The total of a bill cannot be negative.", path="expense")
    bill["total"] = bill["userTotal"] = total


def _settle(acct: Account, bill: dict) -> None:
    paid = sum(acct.applied.get(bill["id"], {}).values(), ZERO)
    if paid > bill["total"]:
        raise errors.user_error("The bill's total cannot be less than the payments applied to it.")
    bill["amountPaid"] = paid
    bill["amountRemaining"] = bill["total"] - paid
    if bill.get("approvalStatus") == "1":
        bill["status"] = "D"
    elif bill.get("approvalStatus") == "3":
        bill["status"] = "E"
    else:
        bill["status"] = "B" if bill["amountRemaining"] == 0 and bill["total"] > 0 else "A"


# --- payments --------------------------------------------------------------------------------------------

def _applications(payment: dict) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for line in payment.get("apply") or []:
        if line.get("apply", True) and line.get("doc"):
            out[line["doc"]] = out.get(line["doc"], ZERO) + line.get("amount", ZERO)
    return out


def _prepare_payment(acct: Account, payment: dict, before: dict[str, Decimal], today: date) -> None:
    if not payment.get("entity"):
        raise missing("entity")
    vendor = _active(acct, "vendor", payment["entity"], "entity")
    subsidiary = payment.setdefault("subsidiary", vendor["subsidiary"])
    if subsidiary != vendor["subsidiary"]:
        raise errors.invalid_reference("subsidiary", subsidiary, extra=f" for entity {vendor['id']}")
    if not payment.get("account"):
        raise missing("account")
    bank = _active(acct, "account", payment["account"], "account")
    if bank.get("acctType") not in ("Bank", "CredCard") or bank.get("subsidiary") not in (None, subsidiary):
        raise errors.invalid_reference("account", payment["account"])
    currency = payment.setdefault("currency", bank.get("currency") or vendor.get("currency"))
    if bank.get("currency") and bank["currency"] != currency:
        raise errors.invalid_reference("account", payment["account"], extra=f" for currency {currency}")
    payment.setdefault("tranDate", today.isoformat())
    payment.setdefault("exchangeRate", Decimal("1"))
    lines = [line for line in payment.get("apply") or [] if line.get("apply", True)]
    if not lines:
        raise errors.user_error("You must enter at least one line item for this transaction.", path="apply")
    for index, line in enumerate(lines):
        where = f"apply.items[{index}]"
        bill = acct.get("vendorBill", line.get("doc") or "")
        if bill is None or bill.get("entity") != payment["entity"] or bill.get("currency") != currency:
            raise errors.invalid_reference("doc", line.get("doc"), path=f"{where}.doc")
        remaining = bill["amountRemaining"] + before.get(bill["id"], ZERO)
        amount = line.get("amount", remaining).quantize(CENT)
        if remaining <= 0 or bill.get("status") in ("D", "E"):
            raise errors.user_error(f"The bill {bill.get('tranId') or bill['id']} is not open: it has no amount "
                                    "remaining to pay.", path=f"{where}.doc")
        if amount <= 0 or amount > remaining:
            raise errors.user_error(f"The amount applied to bill {bill.get('tranId') or bill['id']} must be more "
                                    f"than zero and no more than its amount remaining ({remaining}).",
                                    path=f"{where}.amount")
        line.update({"amount": amount, "apply": True, "line": index + 1, "due": remaining,
                     "total": bill["total"], "refNum": bill.get("tranId"), "type": "Bill"})
        payment.setdefault("apAcct", bill.get("account"))
    payment["apply"] = lines
    payment["total"] = sum((line["amount"] for line in lines), ZERO)


def _reapply(acct: Account, payment_id: str, before: dict[str, Decimal], after: dict[str, Decimal],
             now: datetime) -> None:
    for bill_id in set(before) | set(after):
        if before.get(bill_id) == after.get(bill_id):
            continue
        applied = acct.applied.setdefault(bill_id, {})
        if after.get(bill_id):
            applied[payment_id] = after[bill_id]
        else:
            applied.pop(payment_id, None)
        if not applied:
            acct.applied.pop(bill_id, None)
        bill = acct.get("vendorBill", bill_id)
        if bill is not None:
            _settle(acct, bill)
            bill["lastModifiedDate"] = now
            acct.version += 1
