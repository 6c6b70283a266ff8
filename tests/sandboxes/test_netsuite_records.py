"""NetSuite sandbox record service: create, read, update, upsert, delete, listing, payments, governance."""
from __future__ import annotations

import threading

from .netsuite_support import REST, bill, client, ns_error, seeded

BILLS = REST + "/record/v1/vendorBill"


def test_create_answers_204_with_location_and_reads_back_computed_fields():
    company = seeded()
    with client(company) as http:
        r = http.post(BILLS, json=bill(company, "150.25", memo="Office chairs"))
        assert r.status_code == 204 and not r.content
        location = r.headers["location"]
        assert location.startswith(REST + "/record/v1/vendorbill/")
        body = http.get(location, params={"expandSubResources": "true"}).json()
        assert body["total"] == 150.25 and body["amountRemaining"] == 150.25
        assert body["status"] == {"id": "A", "refName": "Open"}
        assert body["entity"]["refName"] and body["subsidiary"]["id"] and body["currency"]["refName"] == "USD"
        assert body["expense"]["items"][0]["amount"] == 150.25 and body["expense"]["totalResults"] == 1
        collapsed = http.get(location).json()
        assert set(collapsed["expense"]) == {"links"}
        assert set(http.get(location, params={"fields": "tranId,total"}).json()) == {"links", "id", "tranId", "total"}


def test_record_type_names_are_case_insensitive():
    company = seeded()
    with client(company) as http:
        assert http.post(REST + "/record/v1/VENDORBILL", json=bill(company)).status_code == 204
        assert http.get(REST + "/record/v1/vendorbill").json()["totalResults"] == 1
        assert ns_error(http.get(REST + "/record/v1/nosuchrecord")) == (404, "NONEXISTENT_ID")


def test_patch_merges_or_replaces_the_expense_sublist():
    company = seeded()
    expense = company.first("account", acctType="Expense")["id"]
    with client(company) as http:
        location = http.post(BILLS, json=bill(company, "100.00")).headers["location"]
        line = {"account": {"id": expense}, "amount": "20.00"}
        assert http.patch(location, json={"expense": {"items": [line]}}).status_code == 204
        assert http.get(location).json()["total"] == 120
        r = http.patch(location, params={"replace": "expense"}, json={"memo": "recoded", "expense": {"items": [line]}})
        assert r.status_code == 204 and r.headers["location"] == location
        body = http.get(location, params={"expandSubResources": "true"}).json()
        assert body["total"] == 20 and len(body["expense"]["items"]) == 1 and body["memo"] == "recoded"


def test_put_eid_upserts_one_record_per_external_id():
    company = seeded()
    with client(company) as http:
        first = http.put(BILLS + "/eid:bp-1", json=bill(company, "10.00"))
        # an upsert of an existing record updates it like PATCH: sublists are replaced only when asked
        second = http.put(BILLS + "/eid:bp-1", params={"replace": "expense"}, json=bill(company, "12.00"))
        assert first.status_code == second.status_code == 204
        assert first.headers["location"] == second.headers["location"]
        assert http.get(BILLS + "/eid:bp-1").json()["total"] == 12
        assert http.get(BILLS, params={"q": 'externalId IS "bp-1"'}).json()["totalResults"] == 1
        refused = http.put(first.headers["location"], json=bill(company))
        assert ns_error(refused) == (400, "INVALID_REQUEST")


def test_validation_errors_are_documented_nserror_bodies():
    company = seeded()
    inactive = company.first("account", isInactive=True)["id"]
    with client(company) as http:
        no_lines = bill(company)
        no_lines["expense"] = {"items": []}
        assert ns_error(http.post(BILLS, json=no_lines)) == (400, "USER_ERROR")
        bad_ref = bill(company)
        bad_ref["expense"]["items"][0]["account"] = {"id": inactive}
        r = http.post(BILLS, json=bad_ref)
        assert ns_error(r) == (400, "INVALID_KEY_OR_REF")
        assert r.json()["o:errorDetails"][0]["o:errorPath"] == "expense.items[0].account"
        strict = {"X-NetSuite-PropertyNameValidation": "error"}
        assert ns_error(http.post(BILLS, json=bill(company, colour="red"), headers=strict)) == (400, "INVALID_CONTENT")
        assert http.post(BILLS, json=bill(company, colour="red")).status_code == 204  # default: warning only
        other_sub = company.first("subsidiary", country="DE")["id"]
        assert ns_error(http.post(BILLS, json=bill(company, subsidiary={"id": other_sub}))) == \
            (400, "INVALID_KEY_OR_REF")
        assert ns_error(http.get(BILLS + "/99999")) == (404, "NONEXISTENT_ID")


def test_vendor_payment_closes_the_bill_and_a_paid_bill_cannot_be_deleted():
    company = seeded()
    bank = company.first("account", acctType="Bank", currency=company.first("currency", symbol="USD")["id"])["id"]
    with client(company) as http:
        location = http.post(BILLS, json=bill(company, "80.00")).headers["location"]
        bill_id = location.rsplit("/", 1)[1]
        vendor = http.get(location).json()["entity"]["id"]
        payment = {"entity": {"id": vendor}, "account": {"id": bank},
                   "apply": {"items": [{"doc": {"id": bill_id}, "apply": True, "amount": "30.00"}]}}
        r = http.post(REST + "/record/v1/vendorPayment", json=payment)
        assert r.status_code == 204, r.text
        assert http.get(location).json()["amountRemaining"] == 50
        payment["apply"]["items"][0]["amount"] = "60.00"
        assert ns_error(http.post(REST + "/record/v1/vendorPayment", json=payment)) == (400, "USER_ERROR")
        payment["apply"]["items"][0]["amount"] = "50.00"
        second = http.post(REST + "/record/v1/vendorPayment", json=payment).headers["location"]
        assert http.get(location).json()["status"] == {"id": "B", "refName": "Paid In Full"}
        assert ns_error(http.delete(location)) == (400, "USER_ERROR")
        assert http.delete(second).status_code == 204
        assert http.get(location).json()["status"]["id"] == "A"
        assert http.get(second).status_code == 404


def test_listing_pages_with_absolute_links():
    company = seeded(vendors=8)
    with client(company) as http:
        page = http.get(REST + "/record/v1/vendor", params={"limit": 3, "offset": 3}).json()
        assert page["count"] == 3 and page["totalResults"] == 8 and page["hasMore"] is True
        nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
        assert nxt == REST + "/record/v1/vendor?limit=3&offset=6"
        assert http.get(nxt).json()["count"] == 2
        assert ns_error(http.get(REST + "/record/v1/vendor", params={"limit": 3, "offset": 2})) == \
            (400, "INVALID_REQUEST")
        found = http.get(REST + "/record/v1/vendor", params={"q": 'companyName START_WITH "Acme"'}).json()
        assert found["totalResults"] == 1


def test_more_than_five_requests_in_flight_get_429_concurrency_limit_exceeded():
    company = seeded()
    company.state.set_faults(latency_ms=300)
    results: list = []
    with client(company) as http:
        def call():
            results.append(http.get(REST + "/record/v1/subsidiary"))
        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(200) == 5 and statuses.count(429) == 3
    refused = next(r for r in results if r.status_code == 429)
    assert ns_error(refused) == (429, "CONCURRENCY_LIMIT_EXCEEDED")
    assert refused.json()["o:errorCode"] == "USER_ERROR" and refused.json()["title"] == "Bad Request"


def test_injected_faults_and_timeout_after_commit():
    company = seeded()
    with client(company) as http:
        company.state.set_faults(fail_next={"count": 1, "status": 503})
        assert ns_error(http.get(REST + "/record/v1/vendor")) == (503, "UNEXPECTED_ERROR")
        company.state.set_faults(throttle_next=1)
        assert ns_error(http.get(REST + "/record/v1/vendor")) == (429, "CONCURRENCY_LIMIT_EXCEEDED")
        company.state.set_faults(timeout_after_commit=1)
        try:
            http.put(BILLS + "/eid:lost", json=bill(company))
        except Exception as exc:  # noqa: BLE001 - the in-process transport raises httpx.ReadTimeout
            assert type(exc).__name__ == "ReadTimeout"
        else:
            raise AssertionError("the response should have been withheld")
        assert http.get(BILLS + "/eid:lost").status_code == 200
    assert company.state.request_stats()["upserts_of_existing"] == 0
