"""A seeded company, shaped like a small US company set up in Business Central.

Local currency USD with EUR as a foreign currency; a chart of accounts with G/L expense accounts
(posting, direct posting), a heading, a blocked account, bank G/L accounts and Accounts Payable;
bank accounts; the dimensions DEPARTMENT, PROJECT and AREA with values; payment terms; vendor
payment journals ``CHECKING`` and ``EUR-BANK`` (each with a balancing bank G/L account, meant for
billpay) and ``MANUAL`` (for people in BC); and vendors.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from .company import Company

VENDOR_NAMES = (
    "Fabrikam Office Supply", "Contoso Cloud Services", "Northwind Logistics", "Adatum Consulting",
    "Litware Facilities", "Tailspin Travel", "Wide World Importers", "Proseware Legal", "Alpine Ski House",
    "Coho Utilities", "Lucerne Publishing", "Woodgrove Insurance",
)

ACCOUNTS = (
    # number, name, category, subCategory, type, direct posting, blocked
    ("10100", "Checking Account", "Assets", "Cash", "Posting", True, False),
    ("10200", "Savings Account", "Assets", "Cash", "Posting", True, False),
    ("10300", "EUR Bank Account", "Assets", "Cash", "Posting", True, False),
    ("20100", "Accounts Payable", "Liabilities", "Current Liabilities", "Posting", False, False),
    ("60000", "Operating Expenses", "Expense", "", "Heading", False, False),
    ("60100", "Office Supplies", "Expense", "Operating Expenses", "Posting", True, False),
    ("60200", "Rent Expense", "Expense", "Operating Expenses", "Posting", True, False),
    ("60300", "Software Subscriptions", "Expense", "Operating Expenses", "Posting", True, False),
    ("60400", "Professional Services", "Expense", "Operating Expenses", "Posting", True, False),
    ("60500", "Travel Expense", "Expense", "Operating Expenses", "Posting", True, False),
    ("60600", "Utilities", "Expense", "Operating Expenses", "Posting", True, False),
    ("60900", "Old Marketing Expense (blocked)", "Expense", "Operating Expenses", "Posting", True, True),
)

DIMENSIONS = {
    "DEPARTMENT": ("Department", (("ADM", "Administration"), ("SALES", "Sales"), ("PROD", "Production"),
                                  ("IT", "Information Technology"))),
    "PROJECT": ("Project", (("ALPHA", "Project Alpha"), ("BETA", "Project Beta"), ("GAMMA", "Project Gamma"))),
    "AREA": ("Area", (("EAST", "East Coast"), ("WEST", "West Coast"), ("CENTRAL", "Central"))),
}

PAYMENT_TERMS = (("COD", "Due on receipt", "0D"), ("15 DAYS", "Net 15", "15D"), ("30 DAYS", "Net 30", "30D"),
                 ("60 DAYS", "Net 60", "60D"))

JOURNALS = (
    # code, display name, template, balancing account
    ("CHECKING", "Payments from checking (billpay)", "PAYMENT", "10100"),
    ("EUR-BANK", "Payments from the EUR bank (billpay)", "PAYMENT", "10300"),
    ("MANUAL", "Payments entered in Business Central", "PAYMENT", "10100"),
    ("GENERAL", "General journal", "GENERAL", ""),
)


def seed(c: Company, now: datetime, *, vendors: int = 5) -> None:
    today = now.date()
    c.info = {"_key": c.id, "_v": 1, "_seq": 1, "id": c.id, "displayName": c.name,
              "addressLine1": "100 Main Street", "city": "Seattle", "state": "WA", "country": "US",
              "postalCode": "98101", "phoneNumber": "+1 206 555 0100", "email": "ap@example.com",
              "website": "www.example.com", "taxRegistrationNumber": "", "currencyCode": "USD",
              "currentFiscalYearStartDate": date(today.year, 1, 1), "industry": "Services",
              "lastModifiedDateTime": now}
    c.insert("currencies", {"code": "EUR", "displayName": "Euro", "symbol": "€", "amountDecimalPlaces": "2:2",
                            "amountRoundingPrecision": Decimal("0.01")}, now)
    for number, name, category, sub, kind, direct, blocked in ACCOUNTS:
        c.insert("accounts", {"number": number, "displayName": name, "category": category, "subCategory": sub,
                              "accountType": kind, "directPosting": direct, "blocked": blocked,
                              "netChange": Decimal("0")}, now)
    eur = c.find("currencies", code="EUR")
    c.insert("bankAccounts", {"number": "CHECKING", "displayName": "Checking account", "bankAccountNumber":
                              "000123456789", "blocked": False, "currencyCode": "", "currencyId": None,
                              "iban": "", "intercompanyEnabled": False}, now)
    c.insert("bankAccounts", {"number": "EUR-BANK", "displayName": "EUR account", "bankAccountNumber":
                              "DE89370400440532013000", "blocked": False, "currencyCode": "EUR",
                              "currencyId": eur["id"], "iban": "DE89370400440532013000",
                              "intercompanyEnabled": False}, now)
    for code, (name, values) in DIMENSIONS.items():
        dim = c.insert("dimensions", {"code": code, "displayName": name}, now)
        for value_code, value_name in values:
            c.insert("dimensionValues", {"code": value_code, "dimensionId": dim["id"], "displayName": value_name,
                                         "consolidationCode": ""}, now)
    for code, name, formula in PAYMENT_TERMS:
        c.insert("paymentTerms", {"code": code, "displayName": name, "dueDateCalculation": formula,
                                  "discountDateCalculation": "", "discountPercent": Decimal("0"),
                                  "calculateDiscountOnCreditMemos": False}, now)
    for code, name, template, balancing in JOURNALS:
        account = c.find("accounts", number=balancing) if balancing else None
        c.insert("journals", {"code": code, "displayName": name, "_template": template,
                              "templateDisplayName": template, "balancingAccountId": account["id"] if account else None,
                              "balancingAccountNumber": balancing}, now)
    for n in range(vendors):
        add_vendor(c, now, n)


def add_vendor(c: Company, now: datetime, n: int, *, currency: str = "") -> dict:
    terms = c.find("paymentTerms", code="30 DAYS")
    name = VENDOR_NAMES[n % len(VENDOR_NAMES)] + (f" {n // len(VENDOR_NAMES) + 1}" if n >= len(VENDOR_NAMES) else "")
    number = f"V{c.next_number('vendor', 10000) * 10:06d}"
    slug = "".join(ch for ch in name.lower() if ch.isalnum())[:20]
    return c.insert("vendors", {
        "number": number, "displayName": name, "addressLine1": f"{100 + n} Commerce Way", "addressLine2": "",
        "city": "Redmond", "state": "WA", "country": "US", "postalCode": "98052", "phoneNumber": "+1 425 555 0100",
        "email": f"billing@{slug}.example", "website": "", "taxRegistrationNumber": "", "currencyCode": currency,
        "irs1099Code": "", "paymentTermsId": terms["id"] if terms else None, "taxLiable": False, "blocked": " ",
        "balance": Decimal("0.00")}, now)
