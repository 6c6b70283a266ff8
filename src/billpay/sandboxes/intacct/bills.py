"""AP bills (``APBILL`` with ``APBILLITEMS``) and AP payments (``APPYMT`` with ``APPYMTDETAILS``).

Bills: a vendor, a transaction date, a due date (or a term to compute it), at
least one line with a G/L account and an amount; in a multi-entity company
every line names a location, and all lines of a bill belong to one entity,
which owns the bill. Totals (``TOTALENTERED``, ``TOTALPAID``, ``TOTALDUE`` and
their ``TRX_`` transaction-currency twins) are computed, never accepted.
An update that sends ``APBILLITEMS`` replaces every line.

Payments apply amounts to bills by ``RECORDKEY``: the bill's amount due drops
and its state becomes ``Partially Paid`` or ``Paid``. A payment is drawn on a
checking account of the bill's entity, in the bill's currency; it cannot pay
more than a bill's amount due. Deleting a payment reopens its bills; a bill
with payments cannot be deleted.
"""
from __future__ import annotations

import copy
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import schema
from .errors import business, could_not
from .records import WriteContext, find_for_update, modified_at, reference

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: Fields of a bill an update may not change once payments are applied.
_LOCKED_WHEN_PAID = ("VENDORID", "CURRENCY", "BASECURR", "EXCHANGE_RATE", "EXCH_RATE_TYPE_ID")
#: The G/L account flag that makes a dimension mandatory on its lines.
_REQUIRES = {"DEPARTMENT": "REQUIREDEPT", "LOCATION": "REQUIRELOC", "CLASS": "REQUIRECLASS",
             "PROJECT": "REQUIREPROJECT"}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# -- bills ----------------------------------------------------------------------------------------------


def create_bill(ctx: WriteContext, values: dict, lines: dict[str, list[dict]]) -> dict:
    record = _bill_record(ctx, values, lines.get("APBILLITEMS"), existing=None)
    return ctx.company.insert("APBILL", record, ctx.now, ctx.user)


def update_bill(ctx: WriteContext, values: dict, lines: dict[str, list[dict]]) -> dict:
    current = find_for_update(ctx, schema.APBILL, values)
    if values.get("WHENDUE") is None:
        raise business("Required field missing", "WHENDUE is required to update an AP bill.",
                       "Send the bill's due date with every update.", follow_up=could_not("update", "AP Bill"))
    paid = current["TRX_TOTALPAID"] > 0
    if paid and ("APBILLITEMS" in lines or any(k in values and values[k] != current.get(k)
                                               for k in _LOCKED_WHEN_PAID)):
        raise business("Cannot update bill", f"Bill {current.get('RECORDID') or current['RECORDNO']} has payments "
                       "applied; its lines, vendor and currency cannot change.",
                       "Reverse the payments first, or change only the header details.",
                       follow_up=could_not("update", "AP Bill"))
    merged = {k: v for k, v in current.items() if k in schema.APBILL.field_names and not _computed(k)}
    merged.update({k: v for k, v in values.items() if k != "RECORDNO"})
    items = lines.get("APBILLITEMS")
    if items is None:
        items = [{k: v for k, v in line.items() if k not in ("RECORDNO", "RECORDKEY", "AMOUNT", "CURRENCY",
                                                             "BASECURR", "WHENMODIFIED")}
                 for line in current["APBILLITEMS"]]
    record = _bill_record(ctx, merged, items, existing=current)
    return ctx.company.replace("APBILL", record, ctx.now, ctx.user)


def delete_bill(ctx: WriteContext, recordno: int) -> dict:
    bill = ctx.company.get("APBILL", recordno)
    if bill is None or not ctx.company.visible(bill, ctx.entity):
        raise business("Invalid AP Bill", f"The AP bill with record number '{recordno}' does not exist.",
                       "Check the record number.", follow_up=could_not("delete", "AP Bill"))
    if bill["TRX_TOTALPAID"] > 0 or _payments_of(ctx, bill["RECORDNO"]):
        raise business("Cannot delete bill", f"Bill {bill.get('RECORDID') or recordno} cannot be deleted because "
                       "payments have been applied to it.", "Reverse or delete the payments first.",
                       follow_up=could_not("delete", "AP Bill"))
    return ctx.company.remove("APBILL", int(bill["RECORDNO"]), ctx.now, ctx.user)


def _computed(name: str) -> bool:
    f = schema.APBILL.field(name)
    return f is None or f.readonly or f.write_only


def _bill_record(ctx: WriteContext, values: dict, items: list[dict] | None, existing: dict | None) -> dict:
    company, label = ctx.company, "AP Bill"
    action = values.pop("ACTION", None) or ("Draft" if existing and existing["STATE"] == "Draft" else "Submit")
    draft = action == "Draft"
    what = could_not("update" if existing else "create", label)
    vendor = reference(ctx, "VENDOR", values.get("VENDORID"), "Vendor", what=label) \
        if values.get("VENDORID") or not draft else None
    if values.get("WHENCREATED") is None and not draft:
        raise business("Required field missing", "WHENCREATED (the transaction date) is required.",
                       "Provide the bill date as mm/dd/yyyy.", follow_up=what)
    when = values.get("WHENCREATED") or ctx.today
    closed = company.settings.closed_through
    if closed and when <= closed and not draft:
        raise business("Period closed", f"Date must be on or after {(closed + dt.timedelta(days=1)):%m/%d/%Y}; "
                       f"the period through {closed:%m/%d/%Y} is closed.",
                       "Use a date in an open period, or reopen the period.", follow_up=what)
    term = reference(ctx, "APTERM", values["TERMNAME"], "Term", what=label) if values.get("TERMNAME") else None
    due = values.get("WHENDUE")
    if due is None and term is not None and term.get("DUEDATE") is not None:
        due = when + dt.timedelta(days=int(term["DUEDATE"]))
    if due is None and not draft:
        raise business("Required field missing", "Either WHENDUE or TERMNAME is required.",
                       "Provide a due date or a payment term.", follow_up=what)
    if not items:
        raise business("Missing bill lines", "A bill must have at least one line (APBILLITEMS/APBILLITEM).",
                       "Add a line with ACCOUNTNO and TRX_AMOUNT.", follow_up=what)
    lines, entity = _lines(ctx, items, what)
    base = company.base_currency_of(entity)
    basecurr = values.get("BASECURR") or base
    currency = values.get("CURRENCY") or basecurr
    if basecurr != base:
        raise business("Invalid base currency", f"The base currency of this entity is {base}, not {basecurr}.",
                       f"Send BASECURR {base} or leave it out.", follow_up=what)
    rate = _exchange_rate(ctx, values, currency, basecurr, what)
    if vendor is not None and values.get("RECORDID") and company.settings.unique_bill_numbers:
        other = company.bill_with_number(vendor["VENDORID"], values["RECORDID"])
        if other is not None and (existing is None or other["RECORDNO"] != existing["RECORDNO"]):
            raise business("Duplicate bill number", f"Bill number '{values['RECORDID']}' already exists for "
                           f"vendor '{vendor['VENDORID']}'.", "Enter a unique bill number for this vendor.",
                           follow_up=what)
    trx_total = ZERO
    base_total = ZERO
    for line in lines:
        line["AMOUNT"] = money(line["TRX_AMOUNT"] * rate)
        line.update(CURRENCY=currency, BASECURR=basecurr, WHENMODIFIED=ctx.now)
        trx_total += line["TRX_AMOUNT"]
        base_total += line["AMOUNT"]
    paid_trx = existing["TRX_TOTALPAID"] if existing else ZERO
    paid_base = existing["TOTALPAID"] if existing else ZERO
    record: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
    recordno = existing["RECORDNO"] if existing else company.next_recordno()
    for number, line in enumerate(lines, start=1):
        line.setdefault("RECORDNO", company.next_recordno())
        line["RECORDKEY"], line["LINE_NO"] = recordno, line.get("LINE_NO") or number
    record.update(
        RECORDNO=recordno, RECORDTYPE="apbill", VENDORID=vendor["VENDORID"] if vendor else None,
        VENDORNAME=vendor.get("NAME") if vendor else None, VENDORKEY=vendor["RECORDNO"] if vendor else None,
        TERMNAME=term["NAME"] if term else None, TERMKEY=term["RECORDNO"] if term else None,
        WHENCREATED=when, WHENPOSTED=values.get("WHENPOSTED") or when, WHENDUE=due,
        PAYMENTPRIORITY=values.get("PAYMENTPRIORITY") or "normal", ONHOLD=bool(values.get("ONHOLD")),
        BASECURR=basecurr, CURRENCY=currency, EXCHANGE_RATE=rate if currency != basecurr else None,
        TRX_TOTALENTERED=trx_total, TOTALENTERED=base_total, TRX_TOTALPAID=paid_trx, TOTALPAID=paid_base,
        TRX_TOTALDUE=trx_total - paid_trx, TOTALDUE=base_total - paid_base, TRX_TOTALSELECTED=ZERO,
        TOTALSELECTED=ZERO, MODULEKEY="3.AP", PRBATCH=f"Bills({when:%m/%d/%Y})", SYSTEMGENERATED=False,
        AUWHENCREATED=existing["AUWHENCREATED"] if existing else ctx.now,
        WHENMODIFIED=modified_at(existing.get("WHENMODIFIED") if existing else None, ctx.now), CREATEDBY=1,
        MODIFIEDBY=1, WHENPAID=existing.get("WHENPAID") if existing else None, APBILLITEMS=lines,
        **ctx.entity_fields(entity))
    if trx_total - paid_trx < 0:
        raise business("Invalid amount", "The bill total is less than the amount already paid.",
                       "Keep the total at or above the payments applied.", follow_up=what)
    set_bill_state(record, draft=draft)
    return record


def set_bill_state(bill: dict, *, draft: bool = False) -> None:
    if draft:
        bill["STATE"], bill["RAWSTATE"] = "Draft", "D"
        return
    bill["RAWSTATE"] = "A"
    if bill["TRX_TOTALENTERED"] > 0 and bill["TRX_TOTALDUE"] <= 0:
        bill["STATE"] = "Paid"
    elif bill["TRX_TOTALPAID"] > 0:
        bill["STATE"] = "Partially Paid"
    else:
        bill["STATE"] = "Posted"


def _lines(ctx: WriteContext, items: list[dict], what: str) -> tuple[list[dict], str | None]:
    company = ctx.company
    entities: set[str] = set()
    out = []
    for item in items:
        line = {k: v for k, v in item.items() if v is not None}
        account = reference(ctx, "GLACCOUNT", line.get("ACCOUNTNO"), "GL account", what="AP Bill")
        if line.get("TRX_AMOUNT") is None:
            raise business("Required field missing", "TRX_AMOUNT is required on every bill line.",
                           "Give each line an amount.", follow_up=what)
        line["TRX_AMOUNT"] = money(line["TRX_AMOUNT"])
        for obj, field, label in (("DEPARTMENT", "DEPARTMENTID", "Department"), ("CLASS", "CLASSID", "Class"),
                                  ("PROJECT", "PROJECTID", "Project"), ("LOCATION", "LOCATIONID", "Location")):
            if line.get(field):
                reference(ctx, obj, line[field], label, what="AP Bill")
            elif account.get(_REQUIRES[obj]):
                raise business("Missing dimension", f"This transaction is missing the {label} dimension for the "
                               f"Account {account['ACCOUNTNO']}.", f"Give the line a {label.lower()}.",
                               follow_up=what)
        for udd in company.udds:
            if line.get(f"GLDIM{udd}"):
                reference(ctx, udd, line[f"GLDIM{udd}"], company.udds[udd], what="AP Bill")
        if company.multi_entity:
            if not line.get("LOCATIONID"):
                raise business("Required field missing", "LOCATIONID is required on every line in a multi-entity "
                               "company.", "Give each line a location of the bill's entity.", follow_up=what)
            entity = company.entity_of_location(line["LOCATIONID"])
            if ctx.entity and entity != ctx.entity:
                raise business("Invalid location", f"Location '{line['LOCATIONID']}' does not belong to entity "
                               f"'{ctx.entity}'.", "Use a location of the entity you signed in to.", follow_up=what)
            if entity:
                entities.add(entity)
        out.append(line)
    if len(entities) > 1:
        raise business("Invalid locations", f"The lines belong to more than one entity ({', '.join(sorted(entities))}).",
                       "Keep all lines of a bill in one entity.", follow_up=what)
    return out, (next(iter(entities)) if entities else ctx.entity)


def _exchange_rate(ctx: WriteContext, values: dict, currency: str, basecurr: str, what: str) -> Decimal:
    company = ctx.company
    known = set(company.rates) | {company.base_currency} | {e.currency for e in company.entities.values()}
    if currency not in known:
        raise business("Invalid currency", f"Currency '{currency}' is not enabled for this company.",
                       "Use a currency the company has set up.", follow_up=what)
    if currency == basecurr:
        return Decimal("1")
    if values.get("EXCHANGE_RATE"):
        return values["EXCHANGE_RATE"]
    if values.get("EXCH_RATE_TYPE_ID"):
        to_company = {**company.rates, company.base_currency: Decimal("1")}
        return (to_company[currency] / to_company.get(basecurr, Decimal("1"))).quantize(Decimal("0.000001"))
    raise business("Exchange rate required", f"The bill is in {currency} and the entity's base currency is "
                   f"{basecurr}; an exchange rate is required.", "Send EXCHANGE_RATE or EXCH_RATE_TYPE_ID.",
                   follow_up=what)


def _payments_of(ctx: WriteContext, bill_recordno: int) -> list[dict]:
    return [p for p in ctx.company.values("APPYMT")
            if any(d["RECORDKEY"] == bill_recordno for d in p.get("APPYMTDETAILS", []))]


# -- payments -----------------------------------------------------------------------------------------


def create_payment(ctx: WriteContext, values: dict, lines: dict[str, list[dict]]) -> dict:
    company, label = ctx.company, "AP Payment"
    what = could_not("create", label)
    for name in ("FINANCIALENTITY", "PAYMENTMETHOD", "VENDORID", "PAYMENTDATE", "CURRENCY"):
        if values.get(name) in (None, ""):
            raise business("Required field missing", f"{name} is required to create an AP payment.",
                           f"Provide {name}.", follow_up=what)
    bank = reference(ctx, "CHECKINGACCOUNT", values["FINANCIALENTITY"], "Bank account", what=label)
    vendor = reference(ctx, "VENDOR", values["VENDORID"], "Vendor", what=label)
    entity = bank.get("MEGAENTITYID")
    currency = values["CURRENCY"]
    if bank.get("CURRENCY") and bank["CURRENCY"] != currency:
        raise business("Invalid currency", f"Bank account '{bank['BANKACCOUNTID']}' is in {bank['CURRENCY']}; the "
                       f"payment is in {currency}.", "Pay from a bank account in the bills' currency.",
                       follow_up=what)
    details = lines.get("APPYMTDETAILS") or []
    if not details:
        raise business("Missing payment details", "An AP payment needs at least one APPYMTDETAIL.",
                       "Apply the payment to a bill with RECORDKEY and TRX_PAYMENTAMOUNT.", follow_up=what)
    draft = values.get("ACTION") == "Draft"
    applied: dict[int, Decimal] = {}
    bills: dict[int, dict] = {}
    for detail in details:
        bill = company.get("APBILL", detail.get("RECORDKEY"))
        if bill is None or not company.visible(bill, ctx.entity):
            raise business("Invalid bill", f"Bill record number '{detail.get('RECORDKEY')}' does not exist.",
                           "Apply the payment to an existing bill.", follow_up=what)
        amount = detail.get("TRX_PAYMENTAMOUNT")
        if amount is None or amount <= 0:
            raise business("Invalid amount", "TRX_PAYMENTAMOUNT must be greater than zero.",
                           "Give each payment detail a positive amount.", follow_up=what)
        name = bill.get("RECORDID") or bill["RECORDNO"]
        if bill["VENDORID"] != vendor["VENDORID"]:
            raise business("Invalid bill", f"Bill {name} belongs to vendor '{bill['VENDORID']}', not "
                           f"'{vendor['VENDORID']}'.", "Pay each vendor's bills in its own payment.", follow_up=what)
        if bill["STATE"] == "Draft":
            raise business("Invalid bill", f"Bill {name} is a draft and cannot be paid.", "Submit the bill first.",
                           follow_up=what)
        if bill["CURRENCY"] != currency:
            raise business("Invalid currency", f"Bill {name} is in {bill['CURRENCY']}; the payment is in {currency}.",
                           "Pay bills in their own currency.", follow_up=what)
        if entity and bill.get("MEGAENTITYID") and bill["MEGAENTITYID"] != entity:
            raise business("Invalid bank account", f"Bill {name} belongs to entity '{bill['MEGAENTITYID']}'; bank "
                           f"account '{bank['BANKACCOUNTID']}' belongs to '{entity}'.",
                           "Pay from a bank account of the bill's entity.", follow_up=what)
        total = applied.get(bill["RECORDNO"], ZERO) + money(amount)
        if bill["TRX_TOTALDUE"] <= 0:
            raise business("Bill already paid", f"Bill {name} is already paid in full; it has no amount due.",
                           "Do not pay the bill again.", follow_up=what)
        if total > bill["TRX_TOTALDUE"]:
            raise business("Payment exceeds amount due", f"The payment of {total} to bill {name} exceeds its "
                           f"amount due of {bill['TRX_TOTALDUE']}.", "Pay at most the amount due.", follow_up=what)
        applied[bill["RECORDNO"]] = total
        bills[bill["RECORDNO"]] = bill
    recordno = company.next_recordno()
    trx_total = sum(applied.values(), ZERO)
    rows = []
    for bill_no, amount in applied.items():
        rate = bills[bill_no].get("EXCHANGE_RATE") or Decimal("1")
        rows.append({"RECORDNO": company.next_recordno(), "PAYMENTKEY": recordno, "RECORDKEY": bill_no,
                     "TRX_PAYMENTAMOUNT": amount, "PAYMENTAMOUNT": money(amount * rate), "CURRENCY": currency,
                     "WHENMODIFIED": ctx.now})
    record = {
        "RECORDNO": recordno, "FINANCIALENTITY": bank["BANKACCOUNTID"], "PAYMENTMETHOD": values["PAYMENTMETHOD"],
        "VENDORID": vendor["VENDORID"], "VENDORNAME": vendor.get("NAME"), "WHENCREATED": values["PAYMENTDATE"],
        "WHENPAID": None if draft else values["PAYMENTDATE"], "CURRENCY": currency,
        "BASECURR": values.get("BASECURR") or company.base_currency_of(entity), "DOCNUMBER": values.get("DOCNUMBER"),
        "DESCRIPTION": values.get("DESCRIPTION"), "STATE": "Draft" if draft else "Complete",
        "RAWSTATE": "D" if draft else "C", "TRX_TOTALENTERED": trx_total,
        "TOTALENTERED": sum((r["PAYMENTAMOUNT"] for r in rows), ZERO), "TRX_TOTALPAID": trx_total,
        "TOTALPAID": sum((r["PAYMENTAMOUNT"] for r in rows), ZERO), "WHENMODIFIED": ctx.now, "APPYMTDETAILS": rows,
        **ctx.entity_fields(entity or ctx.entity),
    }
    stored = company.insert("APPYMT", record, ctx.now, ctx.user)
    if not draft:
        for row in rows:
            _apply(ctx, bills[row["RECORDKEY"]], row["TRX_PAYMENTAMOUNT"], row["PAYMENTAMOUNT"],
                   values["PAYMENTDATE"])
    return stored


def delete_payment(ctx: WriteContext, recordno: int) -> dict:
    payment = ctx.company.get("APPYMT", recordno)
    if payment is None or not ctx.company.visible(payment, ctx.entity):
        raise business("Invalid AP Payment", f"The AP payment with record number '{recordno}' does not exist.",
                       "Check the record number.", follow_up=could_not("delete", "AP Payment"))
    if payment["STATE"] != "Draft":
        for row in payment["APPYMTDETAILS"]:
            bill = ctx.company.get("APBILL", row["RECORDKEY"])
            if bill is not None:
                _apply(ctx, bill, -row["TRX_PAYMENTAMOUNT"], -row["PAYMENTAMOUNT"], None)
    return ctx.company.remove("APPYMT", int(payment["RECORDNO"]), ctx.now, ctx.user)


def _apply(ctx: WriteContext, bill: dict, trx: Decimal, base: Decimal, paid_on: dt.date | None) -> None:
    updated = copy.deepcopy(bill)
    updated["TRX_TOTALPAID"] += trx
    updated["TOTALPAID"] += base
    updated["TRX_TOTALDUE"] = updated["TRX_TOTALENTERED"] - updated["TRX_TOTALPAID"]
    updated["TOTALDUE"] = updated["TOTALENTERED"] - updated["TOTALPAID"]
    set_bill_state(updated)
    updated["WHENPAID"] = paid_on if updated["STATE"] == "Paid" else None
    updated["WHENMODIFIED"] = modified_at(updated.get("WHENMODIFIED"), ctx.now)
    ctx.company.replace("APBILL", updated, ctx.now, ctx.user)

