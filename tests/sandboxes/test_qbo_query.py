"""The QuickBooks query language: parsing, filtering, ordering, paging and its faults."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billpay.sandboxes.quickbooks import QBOFault, QuickBooksState
from billpay.sandboxes.quickbooks.query import parse

from .conftest import Company, bill_payload, seeded


@pytest.fixture
def books() -> Company:
    qbo = seeded(QuickBooksState(), vendors=12)
    account = qbo.account("Expense")["Id"]
    for index in range(1, 8):
        vendor = str(1 + index % 3)
        qbo.state.create(
            qbo.realm,
            "Bill",
            bill_payload(
                vendor, account, f"{index * 10}.00", DocNumber=f"B-{index}", TxnDate=f"2030-01-{index:02d}"
            ),
        )
    return qbo


def ids(response: dict, entity: str = "Bill") -> list[str]:
    return [item["Id"] for item in response.get(entity, [])]


def q(qbo: Company, text: str) -> dict:
    return qbo.state.query(qbo.realm, text)


def test_paging_is_one_based_and_reports_the_page(books: Company):
    page1 = q(books, "SELECT * FROM Vendor STARTPOSITION 1 MAXRESULTS 5")
    page3 = q(books, "select * from Vendor startposition 11 maxresults 5")
    assert (page1["startPosition"], page1["maxResults"], len(page1["Vendor"])) == (1, 5, 5)
    assert (page3["startPosition"], page3["maxResults"]) == (11, 2)
    assert ids(page1, "Vendor") == ["1", "2", "3", "4", "5"]


def test_empty_page_has_no_entity_key_and_no_counts(books: Company):
    assert q(books, "select * from Vendor startposition 100 maxresults 10") == {}
    assert q(books, "select * from Bill where DocNumber = 'nope'") == {}


def test_count_and_default_and_capped_page_size(books: Company):
    assert q(books, "select count(*) from Bill") == {"totalCount": 7}
    assert q(books, "SELECT COUNT(*) FROM Bill WHERE Balance > '30'") == {"totalCount": 4}
    assert q(books, "select * from Account")["maxResults"] == 19  # default page is 100
    assert q(books, "select * from Account maxresults 5000")["maxResults"] == 19  # capped at 1000


def test_operators(books: Company):
    assert ids(q(books, "select * from Bill where TxnDate >= '2030-01-06'")) == ids(
        q(books, "select * from Bill where TxnDate > '2030-01-05'")
    )
    assert len(ids(q(books, "select * from Bill where TotalAmt <= '30.00'"))) == 3
    assert len(ids(q(books, "select * from Bill where VendorRef IN ('2', '3')"))) == 5
    assert len(ids(q(books, "select * from Bill where DocNumber like 'b-%'"))) == 7
    assert len(ids(q(books, "select * from Vendor where DisplayName LIKE '%electric%'"), "Vendor")) == 1
    both = q(books, "select * from Bill where VendorRef = '2' and Balance > '0' and TxnDate >= '2030-01-01'")
    assert all(b["VendorRef"]["value"] == "2" for b in both["Bill"])


def test_python_quickbooks_style_literals(books: Company):
    assert len(ids(q(books, "SELECT * FROM Vendor WHERE Active = True"), "Vendor")) == 12
    assert ids(q(books, "SELECT * FROM Bill WHERE Id = 101")) == ["101"]
    assert q(books, "select * from Bill where Balance > 65")["Bill"][0]["TotalAmt"] == Decimal("70.00")
    books.state.edit_as_user(books.realm, "Vendor", "1", {"DisplayName": "Peet's Supply"})
    escaped = q(books, "SELECT * FROM Vendor WHERE DisplayName = 'Peet\\'s Supply'")
    assert ids(escaped, "Vendor") == ["1"]


def test_order_by(books: Company):
    desc = ids(q(books, "select * from Bill orderby TotalAmt desc"))
    asc = ids(q(books, "select * from Bill ORDER BY TotalAmt ASC"))
    assert desc == list(reversed(asc))
    by_vendor = q(books, "select * from Bill orderby VendorRef, TxnDate desc")["Bill"]
    keys = [(b["VendorRef"]["value"], b["TxnDate"]) for b in by_vendor]
    assert keys == sorted(keys, key=lambda k: (k[0], [-ord(c) for c in k[1]]))


def test_metadata_last_updated_time(books: Company):
    books.state.advance_clock(5)
    marker = books.state.now().isoformat()
    books.state.set_bill_memo(books.realm, "101", "changed")
    changed = q(books, f"select * from Bill where MetaData.LastUpdatedTime >= '{marker}'")
    assert ids(changed) == ["101"]


def test_inactive_names_hidden_unless_asked_for(books: Company):
    books.state.deactivate_vendor(books.realm, "1")
    assert "1" not in ids(q(books, "select * from Vendor"), "Vendor")
    assert "1" in ids(q(books, "select * from Vendor where Active IN (true, false)"), "Vendor")
    assert ids(q(books, "select * from Vendor where Active = false"), "Vendor") == ["1"]
    assert books.state.read(books.realm, "Vendor", "1")["Active"] is False


def test_company_info_and_preferences(books: Company):
    info = q(books, "select * from CompanyInfo")["CompanyInfo"][0]
    assert info["CompanyName"] == books.state.company(books.realm).name
    prefs = q(books, "select * from Preferences")["Preferences"][0]
    assert prefs["CurrencyPrefs"]["HomeCurrency"]["value"] == "USD"


@pytest.mark.parametrize(
    "text, detail",
    [
        (
            "select * from Bill where Balance > '0' or TxnDate > '2030-01-01'",
            'Encountered " "or" "or "" at line 1, column 40.',
        ),
        ("select * from", 'Encountered "<EOF>" at line 1, column 14.'),
        ("select * Bill", 'Encountered " <IDENTIFIER> "Bill "" at line 1, column 10.'),
        ("select * from Bill where DocNumber != 'x'", 'Encountered " "!=" "!= "" at line 1, column 36.'),
        ("", 'Encountered "<EOF>" at line 1, column 1.'),
    ],
)
def test_parse_errors_are_4000(text, detail):
    with pytest.raises(QBOFault) as excinfo:
        parse(text)
    fault = excinfo.value
    assert (fault.code, fault.message) == ("4000", "Error parsing query")
    assert fault.detail == "QueryParserError: " + detail


@pytest.mark.parametrize(
    "text, detail",
    [
        ("select * from Bill where NoSuchField = 'x'", "Property NoSuchField not found for Entity Bill"),
        ("select * from Bill where PrivateNote = 'x'", "property 'PrivateNote' is not queryable"),
        ("select * from Invoice", "Entity Invoice is not supported"),
        ("select * from Bill where TxnDate > 'yesterday'", "Invalid value yesterday for property TxnDate"),
    ],
)
def test_validation_errors_are_4001(books: Company, text, detail):
    with pytest.raises(QBOFault) as excinfo:
        q(books, text)
    assert (excinfo.value.code, excinfo.value.detail) == ("4001", "QueryValidationError: " + detail)
