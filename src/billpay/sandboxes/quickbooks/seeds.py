"""The seeded company: chart of accounts, classes, locations, terms and vendors.

Entities are created through the same operations the API uses, so a seeded
company is exactly what a client could have built itself.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from . import operations
from .company import Company
from .entities import WriteContext

COMPANY_NAMES = (
    "Bayview Landscaping Co.",
    "Northwind Outfitters LLC",
    "Maple & Main Bakery",
    "Cedar Ridge Dental Group",
    "Harbor Point Logistics",
)

# (Name, AccountType, AccountSubType, AcctNum)
ACCOUNTS = (
    ("Checking", "Bank", "Checking", "1000"),
    ("Savings", "Bank", "Savings", "1010"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "2000"),
    ("Mastercard", "Credit Card", "CreditCard", "2100"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity", "3000"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome", "4000"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "5000"),
    ("Advertising", "Expense", "AdvertisingPromotional", "6000"),
    ("Bank Charges", "Expense", "BankCharges", "6010"),
    ("Dues & Subscriptions", "Expense", "DuesSubscriptions", "6020"),
    ("Insurance", "Expense", "Insurance", "6030"),
    ("Legal & Professional Fees", "Expense", "LegalProfessionalFees", "6040"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", "6050"),
    ("Rent or Lease", "Expense", "RentOrLeaseOfBuildings", "6060"),
    ("Repairs and Maintenance", "Expense", "RepairMaintenance", "6070"),
    ("Travel", "Expense", "Travel", "6080"),
    ("Utilities", "Expense", "Utilities", "6090"),
    ("Software", "Expense", "OtherMiscellaneousServiceCost", "6100"),
    ("Shipping and Delivery", "Other Expense", "OtherMiscellaneousExpense", "7000"),
)
INACTIVE_ACCOUNTS = (("Postage", "Expense", "OfficeGeneralAdministrativeExpenses", "6110"),)

CLASSES = ("Operations", "Marketing", "Sales", "Research & Development")
DEPARTMENTS = ("Headquarters", "East Coast", "West Coast")
TERMS = (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60))

# (DisplayName, email domain, phone, street, city, state, zip, terms)
VENDORS = (
    (
        "Acme Office Supply",
        "acmeoffice.com",
        "(415) 555-0142",
        "200 Market St",
        "San Francisco",
        "CA",
        "94105",
        "Net 30",
    ),
    (
        "Brightline Electric",
        "brightline-electric.com",
        "(650) 555-0187",
        "18 Industrial Way",
        "San Mateo",
        "CA",
        "94401",
        "Net 15",
    ),
    (
        "Cloudnine Software Inc.",
        "cloudnine.io",
        "(206) 555-0110",
        "1200 Westlake Ave N",
        "Seattle",
        "WA",
        "98109",
        "Due on receipt",
    ),
    (
        "Delgado Legal Partners",
        "delgadolegal.com",
        "(312) 555-0166",
        "77 W Wacker Dr",
        "Chicago",
        "IL",
        "60601",
        "Net 30",
    ),
    (
        "Evergreen Property Management",
        "evergreenpm.com",
        "(503) 555-0129",
        "410 SW Oak St",
        "Portland",
        "OR",
        "97204",
        "Due on receipt",
    ),
    (
        "Fleetway Couriers",
        "fleetway.co",
        "(214) 555-0193",
        "9 Commerce St",
        "Dallas",
        "TX",
        "75202",
        "Net 15",
    ),
    (
        "Granite State Insurance",
        "granitestateins.com",
        "(603) 555-0171",
        "1 Capitol Plaza",
        "Concord",
        "NH",
        "03301",
        "Net 30",
    ),
    (
        "Harborview Marketing Group",
        "harborviewmg.com",
        "(617) 555-0154",
        "55 Seaport Blvd",
        "Boston",
        "MA",
        "02210",
        "Net 60",
    ),
    (
        "Ironclad IT Services",
        "ironclad-it.com",
        "(512) 555-0148",
        "600 Congress Ave",
        "Austin",
        "TX",
        "78701",
        "Net 30",
    ),
    (
        "Juniper Travel Agency",
        "junipertravel.com",
        "(303) 555-0135",
        "1700 Lincoln St",
        "Denver",
        "CO",
        "80203",
        "Due on receipt",
    ),
    (
        "Keystone Facilities Repair",
        "keystonerepair.com",
        "(215) 555-0122",
        "1500 Market St",
        "Philadelphia",
        "PA",
        "19102",
        "Net 15",
    ),
    (
        "Lumen Utilities",
        "lumenutilities.com",
        "(602) 555-0108",
        "400 E Van Buren St",
        "Phoenix",
        "AZ",
        "85004",
        "Net 30",
    ),
)
EXPENSE_FOR_VENDOR = (
    "Office Expenses",
    "Utilities",
    "Software",
    "Legal & Professional Fees",
    "Rent or Lease",
    "Shipping and Delivery",
    "Insurance",
    "Advertising",
    "Software",
    "Travel",
    "Repairs and Maintenance",
    "Utilities",
)


def seed(ctx: WriteContext, *, vendors: int = 5, bills: int = 0, rng: random.Random | None = None) -> None:
    """Fill an empty company with reference data, ``vendors`` vendors and ``bills`` open bills."""
    rng = rng or random.Random(ctx.company.realm_id)
    create = lambda entity, data: operations.create(ctx, entity, data)  # noqa: E731
    accounts = {}
    for name, account_type, subtype, number in ACCOUNTS:
        accounts[name] = create(
            "Account",
            {"Name": name, "AccountType": account_type, "AccountSubType": subtype, "AcctNum": number},
        )
    for name, account_type, subtype, number in INACTIVE_ACCOUNTS:
        create(
            "Account",
            {
                "Name": name,
                "AccountType": account_type,
                "AccountSubType": subtype,
                "AcctNum": number,
                "Active": False,
            },
        )
    classes = [create("Class", {"Name": name}) for name in CLASSES]
    for name in DEPARTMENTS:
        create("Department", {"Name": name})
    terms = {name: create("Term", {"Name": name, "DueDays": days}) for name, days in TERMS}

    created = []
    for index in range(vendors):
        if index < len(VENDORS):
            name, domain, phone, street, city, state, postal, term = VENDORS[index]
        else:
            name, domain, phone = (
                f"Supplier {index + 1:03d}",
                f"supplier{index + 1:03d}.example.com",
                "(555) 555-0100",
            )
            street, city, state, postal, term = f"{index + 1} Main St", "Springfield", "IL", "62701", "Net 30"
        created.append(
            create(
                "Vendor",
                {
                    "DisplayName": name,
                    "CompanyName": name,
                    "PrimaryEmailAddr": {"Address": f"billing@{domain}"},
                    "PrimaryPhone": {"FreeFormNumber": phone},
                    "BillAddr": {
                        "Line1": street,
                        "City": city,
                        "CountrySubDivisionCode": state,
                        "PostalCode": postal,
                    },
                    "TermRef": {"value": terms[term]["Id"]},
                    "AcctNum": f"{1000 + index}",
                },
            )
        )

    today = ctx.today
    for index in range(bills if created else 0):
        vendor = created[index % len(created)]
        account = accounts[EXPENSE_FOR_VENDOR[(index % len(created)) % len(EXPENSE_FOR_VENDOR)]]
        amount = Decimal(rng.randrange(2500, 480000)) / 100
        create(
            "Bill",
            {
                "VendorRef": {"value": vendor["Id"]},
                "TxnDate": (today - timedelta(days=rng.randrange(1, 25))).isoformat(),
                "DocNumber": f"INV-{rng.randrange(10000, 99999)}",
                "Line": [
                    {
                        "DetailType": "AccountBasedExpenseLineDetail",
                        "Amount": amount,
                        "Description": f"{account['Name']} - services",
                        "AccountBasedExpenseLineDetail": {
                            "AccountRef": {"value": account["Id"]},
                            "ClassRef": {"value": classes[index % len(classes)]["Id"]},
                        },
                    }
                ],
            },
        )


def company_info(company: Company) -> dict:
    return {
        "LegalName": company.name,
        "CompanyAddr": {
            "Line1": "2500 Garcia Ave",
            "City": "Mountain View",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "94043",
        },
        "Country": "US",
        "Email": {"Address": "accounting@example.com"},
    }


def pick_company_name(realm_id: str) -> str:
    return random.Random(realm_id).choice(COMPANY_NAMES)
