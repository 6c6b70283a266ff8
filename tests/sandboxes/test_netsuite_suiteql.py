"""NetSuite sandbox SuiteQL: paging with absolute links, lower-case columns, joins, bound parameters."""
from __future__ import annotations

from .netsuite_support import BASE, REST, bill, client, ns_error, seeded

SUITEQL = REST + "/query/v1/suiteql"
TRANSIENT = {"Prefer": "transient"}


def test_paging_answers_every_documented_key_and_absolute_next_links():
    company = seeded(vendors=8)
    with client(company) as http:
        r = http.post(SUITEQL, params={"limit": 3}, json={"q": "SELECT id, CompanyName AS Name FROM vendor ORDER BY id"},
                      headers=TRANSIENT)
        page = r.json()
        assert r.status_code == 200 and set(page) == {"links", "count", "hasMore", "items", "offset", "totalResults"}
        assert page["totalResults"] == 8 and page["count"] == 3 and page["hasMore"] is True
        assert set(page["items"][0]) == {"links", "id", "name"}  # keys lower-cased, aliases too
        seen = [item["id"] for item in page["items"]]
        nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
        assert nxt.startswith(BASE + "/services/rest/query/v1/suiteql?")
        while nxt:
            page = http.post(nxt, json={"q": "SELECT id, CompanyName AS Name FROM vendor ORDER BY id"},
                             headers=TRANSIENT).json()
            seen += [item["id"] for item in page["items"]]
            nxt = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        assert len(seen) == len(set(seen)) == 8
        default = http.post(SUITEQL, json={"q": "SELECT id FROM vendor"}, headers=TRANSIENT).json()
        assert default["count"] == 8 and default["hasMore"] is False


def test_requires_prefer_transient_and_offset_multiple_of_limit_and_known_tables():
    company = seeded()
    with client(company) as http:
        assert ns_error(http.post(SUITEQL, json={"q": "SELECT id FROM vendor"})) == (400, "INVALID_REQUEST")
        assert ns_error(http.post(SUITEQL, params={"limit": 10, "offset": 5}, json={"q": "SELECT id FROM vendor"},
                                  headers=TRANSIENT)) == (400, "INVALID_REQUEST")
        assert http.post(SUITEQL, json={"q": "SELECT id FROM nothing"}, headers=TRANSIENT).status_code == 400


def test_bills_with_lines_status_and_bound_parameters():
    company = seeded()
    with client(company) as http:
        http.post(REST + "/record/v1/vendorBill", json=bill(company, "40.00", tranId="Q-1"))
        http.post(REST + "/record/v1/vendorBill", json=bill(company, "60.00", tranId="Q-2"))
        q = ("SELECT t.id, t.tranid, TO_CHAR(t.trandate, 'YYYY-MM-DD') AS trandate, t.status, t.foreigntotal, "
             "t.foreignamountunpaid, BUILTIN.DF(t.entity) AS vendor, tl.expenseaccount, tl.foreignamount, c.symbol "
             "FROM transaction t INNER JOIN transactionline tl ON tl.transaction = t.id "
             "INNER JOIN currency c ON c.id = t.currency "
             "WHERE t.type = 'VendBill' AND tl.mainline = 'F' AND t.status IN ('A', 'B') AND t.tranid = ? "
             "AND t.trandate >= TO_DATE('2024-01-01', 'YYYY-MM-DD') ORDER BY t.id")
        items = http.post(SUITEQL, json={"q": q, "params": ["Q-2"]}, headers=TRANSIENT).json()["items"]
        assert len(items) == 1
        row = items[0]
        assert row["tranid"] == "Q-2" and row["trandate"] == "2024-05-01" and row["status"] == "A"
        assert row["foreigntotal"] == "60" and row["foreignamountunpaid"] == "60" and row["symbol"] == "USD"
        assert row["vendor"] == company.first("vendor")["companyName"]


def test_deleted_bills_are_listed_in_deletedrecord():
    company = seeded()
    with client(company) as http:
        location = http.post(REST + "/record/v1/vendorBill", json=bill(company)).headers["location"]
        http.delete(location)
        rows = http.post(SUITEQL, json={"q": "SELECT recordid, TO_CHAR(deleteddate, 'YYYY-MM-DD HH24:MI:SS') AS at "
                                        "FROM deletedrecord WHERE type = 'vendorbill'"}, headers=TRANSIENT).json()
        assert [r["recordid"] for r in rows["items"]] == [location.rsplit("/", 1)[1]]
