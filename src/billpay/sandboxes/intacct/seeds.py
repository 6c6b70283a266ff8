"""A seeded multi-entity company: what ``billpay sandbox intacct`` and the built-in sandbox start with.

Two entities (``E100`` US Operations in USD, ``E200`` EU Operations in EUR)
with locations under each; shared G/L accounts (A/P, two checking accounts,
expense accounts, one inactive), departments, classes, projects, AP terms, a
user-defined dimension ``FUND``, a checking account per entity, USD and EUR
(``Intacct Daily Rate`` EUR -> USD 1.08), and vendors. Bills, when asked for,
are open bills of the US entity.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from .bills import create_bill
from .catalog import object_def
from .company import Company, Entity, User
from .records import WriteContext, create_simple
from .schema import STANDARD, ObjectDef

US_ENTITY, EU_ENTITY = "E100", "E200"
AP_ACCOUNT, US_BANK_GL, EU_BANK_GL = "2000", "1010", "1020"
US_BANK, EU_BANK = "BOA-USD", "DB-EUR"
EXPENSE_ACCOUNTS = (("6000", "Office Supplies Expense"), ("6100", "Software Subscriptions Expense"),
                    ("6200", "Travel Expense"), ("6300", "Professional Fees Expense"))
INACTIVE_ACCOUNT = ("6900", "Legacy Expense (closed)")
VENDOR_NAMES = ("Acme Office Supply", "Northwind Traders", "Globex Consulting", "Initech Software",
                "Umbrella Facilities", "Stark Logistics", "Wayne Catering", "Hooli Cloud", "Vandelay Imports",
                "Soylent Foods", "Tyrell Systems", "Cyberdyne Hardware")
_NAMES = ("Summit Ridge Holdings", "Blue Harbor Group", "Granite Peak Partners", "Cedar Lane Industries",
          "Silver Birch Ventures", "Red Rock Enterprises")


def company_name(company_id: str) -> str:
    digest = int(hashlib.sha256(company_id.encode()).hexdigest(), 16)
    return _NAMES[digest % len(_NAMES)]


def user(user_id: str, password: str, entity: str | None = None) -> User:
    return User(user_id, password, entity)


def seed(company: Company, now: dt.datetime, *, vendors: int = 5, bills: int = 0) -> None:
    company.base_currency = "USD"
    company.rates = {"EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "CAD": Decimal("0.73")}
    company.udds = {"FUND": "Fund"}
    top = WriteContext(company, now, "", None)

    def add(obj: str, entity: str | None = None, **values: object) -> None:
        create_simple(WriteContext(company, now, "", entity) if entity else top, STANDARD.get(obj) or _udd(company,
                      obj), dict(values))

    for entity_id, name, currency in ((US_ENTITY, "US Operations", "USD"), (EU_ENTITY, "EU Operations", "EUR")):
        add("LOCATION", LOCATIONID=entity_id, NAME=name, CURRENCY=currency)
        record = company.by_key("LOCATION", entity_id)
        assert record is not None
        record.update(ENTITY=entity_id, MEGAENTITYID=None)
        company.entities[entity_id] = Entity(entity_id, name, currency, int(record["RECORDNO"]))
    for location_id, name, parent in (("L110", "New York", US_ENTITY), ("L120", "Austin", US_ENTITY),
                                      ("L210", "Berlin", EU_ENTITY)):
        add("LOCATION", LOCATIONID=location_id, NAME=name, PARENTID=parent)
    add("GLACCOUNT", ACCOUNTNO=AP_ACCOUNT, TITLE="Accounts Payable", ACCOUNTTYPE="balancesheet",
        NORMALBALANCE="credit", CATEGORY="Accounts Payable", CLOSINGTYPE="non-closing account")
    for number, title in ((US_BANK_GL, "Checking - Bank of America"), (EU_BANK_GL, "Checking - Deutsche Bank")):
        add("GLACCOUNT", ACCOUNTNO=number, TITLE=title, ACCOUNTTYPE="balancesheet", NORMALBALANCE="debit",
            CATEGORY="Cash and Cash Equivalents", CLOSINGTYPE="non-closing account")
    for number, title in (*EXPENSE_ACCOUNTS, INACTIVE_ACCOUNT):
        add("GLACCOUNT", ACCOUNTNO=number, TITLE=title, ACCOUNTTYPE="incomestatement", NORMALBALANCE="debit",
            CATEGORY="Operating Expense", CLOSINGTYPE="closing account")
    _deactivate(company, "GLACCOUNT", INACTIVE_ACCOUNT[0])
    for dept_id, title in (("D100", "Finance"), ("D200", "Engineering"), ("D300", "Sales"), ("D900", "Legacy")):
        add("DEPARTMENT", DEPARTMENTID=dept_id, TITLE=title)
    _deactivate(company, "DEPARTMENT", "D900")
    for class_id, name in (("C10", "Recurring"), ("C20", "One-time"), ("C30", "Capital")):
        add("CLASS", CLASSID=class_id, NAME=name)
    add("PROJECT", PROJECTID="P-1000", NAME="Website relaunch", PROJECTCATEGORY="Internal Non-billable")
    add("PROJECT", US_ENTITY, PROJECTID="P-2000", NAME="Austin office move", LOCATIONID="L120",
        PROJECTCATEGORY="Capitalized")
    for term, days in (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60)):
        add("APTERM", NAME=term, DESCRIPTION=term, DUEDATE=days, DUEFROM="from invoice/bill date")
    add("CHECKINGACCOUNT", US_ENTITY, BANKACCOUNTID=US_BANK, BANKACCOUNTNO="000123456789",
        GLACCOUNTNO=US_BANK_GL, BANKNAME="Bank of America", ROUTINGNO="026009593", LOCATIONID=US_ENTITY,
        CURRENCY="USD")
    add("CHECKINGACCOUNT", EU_ENTITY, BANKACCOUNTID=EU_BANK, BANKACCOUNTNO="DE89370400440532013000",
        GLACCOUNTNO=EU_BANK_GL, BANKNAME="Deutsche Bank", LOCATIONID=EU_ENTITY, CURRENCY="EUR")
    for fund_id, name in (("GEN", "General fund"), ("GRANT", "Grant fund")):
        add("FUND", ID=fund_id, NAME=name)
    for index in range(vendors):
        name = VENDOR_NAMES[index % len(VENDOR_NAMES)] + ("" if index < len(VENDOR_NAMES) else f" {index}")
        add("VENDOR", VENDORID=f"V{index + 1:04d}", NAME=name, TERMNAME="Net 30", CURRENCY="USD",
            **{"DISPLAYCONTACT.PRINTAS": name, "DISPLAYCONTACT.EMAIL1": f"ap@vendor{index + 1}.example"})
    if vendors:
        add("VENDOR", VENDORID="V-EU01", NAME="Berliner Werkstatt GmbH", TERMNAME="Net 30", CURRENCY="EUR")
    if bills and vendors:
        seed_bills(company, now, bills, vendors=vendors)


def seed_bills(company: Company, now: dt.datetime, count: int, *, vendors: int) -> None:
    """``count`` open two-line USD bills of the US entity, dated in the last 30 days."""
    ctx = WriteContext(company, now, "", None)
    today = company.local(now).date()
    for n in range(count):
        when = today - dt.timedelta(days=n % 30)
        create_bill(ctx, {"VENDORID": f"V{n % vendors + 1:04d}", "WHENCREATED": when, "RECORDID": f"SEED-{n + 1}",
                          "WHENDUE": when + dt.timedelta(days=30), "DESCRIPTION": f"Seeded bill {n + 1}"},
                    {"APBILLITEMS": [
                        {"ACCOUNTNO": EXPENSE_ACCOUNTS[n % 4][0], "TRX_AMOUNT": Decimal(100 + n % 900),
                         "ENTRYDESCRIPTION": "Services", "LOCATIONID": "L110", "DEPARTMENTID": "D100"},
                        {"ACCOUNTNO": EXPENSE_ACCOUNTS[(n + 1) % 4][0], "TRX_AMOUNT": Decimal("25.50"),
                         "ENTRYDESCRIPTION": "Materials", "LOCATIONID": "L110"}]})


def _udd(company: Company, name: str) -> ObjectDef:
    found = object_def(company, name)
    assert found is not None, name
    return found


def _deactivate(company: Company, obj: str, key: str) -> None:
    record = company.by_key(obj, key)
    assert record is not None
    record["STATUS"] = "inactive"
