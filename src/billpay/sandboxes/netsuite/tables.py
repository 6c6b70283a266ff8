"""The SuiteQL view of one account: the tables and columns queries can read.

Column names follow NetSuite's Records Catalog as integrations use them:
``transaction`` (``type`` ``'VendBill'``/``'VendPymt'``, single-letter ``status``,
``foreigntotal``, ``foreignamountunpaid``, ``lastmodifieddate`` …),
``transactionline`` (``mainline`` ``'T'`` for the header line, ``expenseaccount``,
``foreignamount``: the A/P credit negative on the main line, expense debits
positive), ``nexttransactionlinelink`` (payment → bill applications) and
``deletedrecord``. Check boxes are ``'T'``/``'F'``; dates and times are UTC (the
integration user's time zone is GMT, as the integration guide asks).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Callable

from .account import Account
from .records import BILL_STATUS

_TF = {True: "T", False: "F"}
_TYPE = {"vendorBill": ("VendBill", "vendorbill"), "vendorPayment": ("VendPymt", "vendorpayment")}


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _entity(rec: dict, extra: dict[str, Any]) -> dict[str, Any]:
    return {"id": rec["id"], "externalid": rec.get("externalId"), "isinactive": _TF[bool(rec.get("isInactive"))],
            "lastmodifieddate": rec.get("lastModifiedDate"), **extra}


def _vendors(acct: Account) -> list[dict]:
    return [_entity(v, {"entityid": v.get("entityId"), "companyname": v.get("companyName"),
                        "email": v.get("email"), "subsidiary": v.get("subsidiary"), "currency": v.get("currency"),
                        "terms": v.get("terms"), "datecreated": v.get("createdDate")})
            for v in acct.values("vendor")]


def _accounts(acct: Account) -> list[dict]:
    out = []
    for a in acct.values("account"):
        full = " ".join(p for p in (a.get("acctNumber"), a.get("acctName")) if p)
        out.append(_entity(a, {"acctnumber": a.get("acctNumber"), "acctname": a.get("acctName"),
                               "fullname": full, "accountsearchdisplayname": full, "accttype": a.get("acctType"),
                               "currency": a.get("currency"), "subsidiary": a.get("subsidiary"),
                               "description": a.get("description")}))
    return out


def _segments(acct: Account, rtype: str) -> Callable[[], list[dict]]:
    def rows() -> list[dict]:
        return [_entity(r, {"name": r.get("name"), "fullname": r.get("name"), "subsidiary": r.get("subsidiary")})
                for r in acct.values(rtype)]
    return rows


def _transactions(acct: Account) -> list[dict]:
    out = []
    for rtype in ("vendorBill", "vendorPayment"):
        kind, recordtype = _TYPE[rtype]
        for t in acct.values(rtype):
            remaining = t.get("amountRemaining") if rtype == "vendorBill" else None
            out.append({
                "id": t["id"], "type": kind, "recordtype": recordtype, "tranid": t.get("tranId"),
                "transactionnumber": t["id"], "trandate": _d(t.get("tranDate")), "duedate": _d(t.get("dueDate")),
                "entity": t.get("entity"), "status": t.get("status") or ("Z" if rtype == "vendorPayment" else None),
                "approvalstatus": t.get("approvalStatus"), "currency": t.get("currency"),
                "exchangerate": t.get("exchangeRate"), "foreigntotal": t.get("total"),
                "foreignamountunpaid": remaining, "foreignamountpaid": t.get("amountPaid"),
                "externalid": t.get("externalId"), "memo": t.get("memo"), "terms": t.get("terms"),
                "createddate": t.get("createdDate"), "lastmodifieddate": t.get("lastModifiedDate"),
                "posting": "T",
            })
    return out


def _lines(acct: Account) -> list[dict]:
    out = []
    for rtype in ("vendorBill", "vendorPayment"):
        for t in acct.values(rtype):
            head_account = t.get("account")
            out.append({"id": "0", "uniquekey": f"{t['id']}-0", "transaction": t["id"], "mainline": "T",
                        "linesequencenumber": "0", "expenseaccount": head_account, "account": head_account,
                        "foreignamount": -(t.get("total") or Decimal(0)), "memo": t.get("memo"),
                        "department": t.get("department"), "class": t.get("class"), "location": t.get("location"),
                        "subsidiary": t.get("subsidiary"), "entity": t.get("entity")})
            if rtype != "vendorBill":
                continue
            for line in t.get("expense") or []:
                n = str(line["line"])
                out.append({"id": n, "uniquekey": f"{t['id']}-{n}", "transaction": t["id"], "mainline": "F",
                            "linesequencenumber": n, "expenseaccount": line.get("account"),
                            "account": line.get("account"), "foreignamount": line.get("amount"),
                            "netamount": line.get("amount"), "memo": line.get("memo"),
                            "department": line.get("department"), "class": line.get("class"),
                            "location": line.get("location"), "subsidiary": t.get("subsidiary"),
                            "entity": t.get("entity"), "isbillable": _TF[bool(line.get("isBillable"))],
                            "accountinglinetype": "EXPENSE"})
    return out


def _links(acct: Account) -> list[dict]:
    return [{"previousdoc": line["doc"], "nextdoc": p["id"], "previoustype": "VendBill", "nexttype": "VendPymt",
             "linktype": "Payment", "foreignamount": line.get("amount")}
            for p in acct.values("vendorPayment") for line in p.get("apply") or []]


def tables(acct: Account) -> Callable[[str], list[dict] | None]:
    builders: dict[str, Callable[[], list[dict]]] = {
        "vendor": lambda: _vendors(acct),
        "account": lambda: _accounts(acct),
        "department": _segments(acct, "department"),
        "classification": _segments(acct, "classification"),
        "location": _segments(acct, "location"),
        "subsidiary": lambda: [_entity(s, {"name": s.get("name"), "currency": s.get("currency"),
                                           "country": s.get("country"), "iselimination": "F"})
                               for s in acct.values("subsidiary")],
        "term": lambda: [_entity(t, {"name": t.get("name"), "daysuntilnetdue": t.get("daysUntilNetDue")})
                         for t in acct.values("term")],
        "currency": lambda: [_entity(c, {"name": c.get("name"), "symbol": c.get("symbol"),
                                         "exchangerate": c.get("exchangeRate"),
                                         "isbasecurrency": _TF[bool(c.get("isBaseCurrency"))]})
                             for c in acct.values("currency")],
        "transaction": lambda: _transactions(acct),
        "transactionline": lambda: _lines(acct),
        "nexttransactionlinelink": lambda: _links(acct),
        "deletedrecord": lambda: [dict(row) for row in acct.deleted],
    }

    def get(name: str) -> list[dict] | None:
        builder = builders.get(name.lower())
        return None if builder is None else builder()

    return get


_DISPLAY_TYPES = {"entity": "vendor", "currency": "currency", "subsidiary": "subsidiary", "terms": "term",
                  "department": "department", "class": "classification", "location": "location",
                  "account": "account", "expenseaccount": "account"}


def display(acct: Account) -> Callable[[str, str, Any], Any]:
    """``BUILTIN.DF(column)``: the display text of a reference or status."""
    def df(table: str, column: str, value: Any) -> Any:
        if value is None:
            return None
        if column == "status" and table == "transaction":
            return f"Bill : {BILL_STATUS.get(value, value)}"
        rtype = _DISPLAY_TYPES.get(column)
        if rtype is None:
            return value
        return acct.name_of(rtype, str(value)) or value
    return df
