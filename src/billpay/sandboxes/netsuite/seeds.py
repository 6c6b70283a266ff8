"""A seeded OneWorld company: two subsidiaries (US in USD, Germany in EUR), A/P, bank and expense
accounts, departments, classes, locations, terms, USD and EUR, and a few vendors."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .account import Account
from .records import Body
from .transactions import save

US_VENDORS = ["Acme Paper Co.", "Blue Ridge Consulting", "Cascade Software LLC", "Delta Office Supply",
              "Evergreen Facilities", "Fulton Freight", "Granite Legal LLP", "Harbor Telecom"]
EU_VENDORS = ["Rheinland Logistik GmbH", "Schwarzwald Druck AG"]


def _add(acct: Account, rtype: str, now: datetime, **fields: Any) -> str:
    return save(acct, rtype, None, Body(fields, []), set(), now, now.date())["id"]


def seed(acct: Account, now: datetime, *, vendors: int = 5) -> dict[str, str]:
    """Fill an empty account; returns a few ids by role (for tests and the demo)."""
    ids: dict[str, str] = {}
    usd = ids["usd"] = _add(acct, "currency", now, name="US Dollar", symbol="USD", isBaseCurrency=True,
                            exchangeRate=Decimal("1.0"))
    eur = ids["eur"] = _add(acct, "currency", now, name="Euro", symbol="EUR", isBaseCurrency=False,
                            exchangeRate=Decimal("1.08"))
    us = ids["subsidiary_us"] = _add(acct, "subsidiary", now, name="Honeycomb Holdings Inc.", currency=usd,
                                     country="US")
    de = ids["subsidiary_de"] = _add(acct, "subsidiary", now, name="Honeycomb Europe GmbH", currency=eur,
                                     country="DE")
    ids["ap"] = _add(acct, "account", now, acctNumber="2000", acctName="Accounts Payable", acctType="AcctPay")
    ids["bank_usd"] = _add(acct, "account", now, acctNumber="1000", acctName="Operating Checking",
                           acctType="Bank", currency=usd, subsidiary=us)
    ids["bank_eur"] = _add(acct, "account", now, acctNumber="1010", acctName="Geschäftskonto EUR",
                           acctType="Bank", currency=eur, subsidiary=de)
    for number, name in (("6000", "Advertising"), ("6100", "Office Supplies"), ("6200", "Professional Fees"),
                         ("6300", "Software Subscriptions"), ("6400", "Travel"), ("6500", "Utilities")):
        ids.setdefault("expense", _add(acct, "account", now, acctNumber=number, acctName=name, acctType="Expense"))
    ids["expense_inactive"] = _add(acct, "account", now, acctNumber="6900", acctName="Old Expenses",
                                   acctType="Expense", isInactive=True)
    for name in ("Engineering", "Finance", "Sales"):
        ids.setdefault("department", _add(acct, "department", now, name=name))
    ids["department_de"] = _add(acct, "department", now, name="Operations Europe", subsidiary=de)
    for name in ("Product", "Services", "Internal"):
        ids.setdefault("class", _add(acct, "classification", now, name=name))
    for name, sub in (("San Francisco", us), ("New York", us), ("Berlin", de)):
        ids.setdefault(f"location_{sub}", _add(acct, "location", now, name=name, subsidiary=sub))
    for name, days in (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60)):
        term = _add(acct, "term", now, name=name, daysUntilNetDue=days)
        if days == 30:
            ids["net30"] = term
    eu = 1 if vendors >= 3 else 0
    for index in range(vendors - eu):
        name = US_VENDORS[index] if index < len(US_VENDORS) else f"Vendor {index + 1:04d}"
        vid = _add(acct, "vendor", now, companyName=name, email=f"ap@{_slug(name)}.example", subsidiary=us,
                   currency=usd, terms=ids["net30"])
        ids.setdefault("vendor", vid)
    for index in range(eu):
        ids["vendor_de"] = _add(acct, "vendor", now, companyName=EU_VENDORS[index],
                                email=f"ap@{_slug(EU_VENDORS[index])}.example", subsidiary=de, currency=eur)
    return ids


def bill_body(acct: Account, vendor_id: str, amount: Decimal, tran_date: date, number: str,
              account_id: str) -> Body:
    return Body({"entity": vendor_id, "tranId": number, "tranDate": tran_date.isoformat(),
                 "expense": [{"account": account_id, "amount": amount}]}, [])


def _slug(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum())[:20] or "vendor"
