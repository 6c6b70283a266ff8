"""The Business Central sandbox on the documented wire format (raw httpx): reads, writes, ETags, posting,
vendor payments, $batch, paging, errors, limits and faults."""
from __future__ import annotations

import json
import threading
from decimal import Decimal

import httpx
import pytest

from billpay.connectors.base import codec


def _error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message"} and error["code"] == code
    return error["message"]


def _create(bc, token: str, **extra) -> dict:
    response = bc.request("POST", "purchaseInvoices", bc.invoice_body(**extra), token=token)
    assert response.status_code == 201, response.text
    return response.json()


# -- reads --------------------------------------------------------------------------------------------


def test_companies_and_reference_entities_are_strictly_typed(bc):
    token = bc.token()
    companies = bc.request("GET", f"{bc.root}/companies", token=token).json()["value"]
    assert [c["id"] for c in companies] == [bc.info["company_id"]]
    vendor = bc.request("GET", "vendors?$top=1", token=token).json()["value"][0]
    assert vendor["@odata.etag"].startswith('W/"') and len(vendor["number"]) <= 20
    assert isinstance(codec.loads(json.dumps({"b": vendor["balance"]}))["b"], (int, Decimal))
    accounts = bc.request("GET", "accounts?$filter=accountType eq 'Posting' and directPosting eq true"
                                 "&$select=id,number,category", token=token).json()["value"]
    assert accounts and all(set(a) == {"@odata.etag", "id", "number", "category"} for a in accounts)
    dims = bc.request("GET", "dimensions?$expand=dimensionValues", token=token).json()["value"]
    assert {d["code"] for d in dims} == {"DEPARTMENT", "PROJECT", "AREA"} and all(d["dimensionValues"] for d in dims)
    terms = bc.request("GET", "paymentTerms", token=token).json()["value"]
    assert {t["dueDateCalculation"] for t in terms} >= {"30D"}
    currencies = bc.request("GET", "currencies", token=token).json()["value"]
    assert [c["code"] for c in currencies] == ["EUR"]
    info = bc.request("GET", "companyInformation", token=token).json()["value"][0]
    assert info["currencyCode"] == "USD"


def test_query_options_filter_select_orderby_top_skip_count(bc):
    token = bc.token()
    everyone = bc.request("GET", "vendors?$orderby=displayName desc&$count=true", token=token).json()
    names = [v["displayName"] for v in everyone["value"]]
    assert names == sorted(names, reverse=True) and everyone["@odata.count"] == 5
    page = bc.request("GET", "vendors?$orderby=displayName&$top=2&$skip=1", token=token).json()["value"]
    assert [v["displayName"] for v in page] == sorted(names)[1:3]
    first = bc.vendor()
    encoded = bc.request("GET", f"vendors?%24filter=number+eq+%27{first['number']}%27", token=token).json()["value"]
    plain = bc.request("GET", f"vendors?$filter=number%20eq%20%27{first['number']}%27", token=token).json()["value"]
    assert [v["id"] for v in encoded] == [v["id"] for v in plain] == [first["id"]]
    assert bc.request("GET", "vendors/$count", token=token).text == "5"
    by_id = bc.request("GET", f"vendors?$filter=id eq {first['id']}", token=token).json()["value"]
    assert len(by_id) == 1
    _error(bc.request("GET", "vendors?$filter=nope eq 1", token=token), 400, "BadRequest")
    _error(bc.request("GET", "vendors?$filter=number eq", token=token), 400, "BadRequest")
    _error(bc.request("GET", "vendors?$select=nope", token=token), 400, "BadRequest")


def test_server_paging_with_absolute_next_links_from_the_address_the_client_used(bc):
    token = bc.token()
    bc.state.seed_open_invoices(bc.info["company_id"], 7, start=bc.state.today())
    headers = {"Prefer": "odata.maxpagesize=3", "X-Forwarded-Host": "erp.example.com", "X-Forwarded-Proto": "https"}
    seen, url, pages = [], "purchaseInvoices?$filter=status eq 'Open'&$select=id", 0
    while url:
        response = bc.request("GET", url, token=token, headers=headers)
        assert response.headers["Preference-Applied"] == "odata.maxpagesize=3"
        body = response.json()
        assert body["@odata.context"].startswith("https://erp.example.com/v2.0/")
        seen += [row["id"] for row in body["value"]]
        url = body.get("@odata.nextLink")
        pages += 1
        if url:
            assert url.startswith("https://erp.example.com/v2.0/") and "$skiptoken=" in url
            url = url.replace("https://erp.example.com", "")
    assert pages == 3 and len(seen) == len(set(seen)) == 7
    bc.state.set_faults(page_size=4)
    unasked = bc.request("GET", "purchaseInvoices", token=token).json()
    assert len(unasked["value"]) == 4 and "@odata.nextLink" in unasked


# -- purchase invoices ------------------------------------------------------------------------------------


def test_create_with_lines_by_account_id_or_number_then_post_keeps_the_id(bc):
    token = bc.token()
    dept, values = bc.dimension("DEPARTMENT")
    body = bc.invoice_body(purchaseInvoiceLines=[
        {"lineType": "Account", "accountId": bc.account("60200")["id"], "quantity": 1, "unitCost": Decimal("40.10"),
         "dimensionSetLines": [{"id": dept["id"], "valueId": values[1]["id"]}]},
        {"lineType": "Account", "lineObjectNumber": "60300", "quantity": 2, "unitCost": Decimal("29.95")}])
    response = bc.request("POST", "purchaseInvoices?$expand=purchaseInvoiceLines($expand=dimensionSetLines)",
                          body, token=token)
    assert response.status_code == 201 and response.headers["Location"].startswith("http://bc.sandbox.test/v2.0/")
    invoice = codec.loads(response.content)  # amounts are JSON numbers: read them without floats
    assert invoice["status"] == "Draft" and invoice["totalAmountIncludingTax"] == Decimal("100.00")
    assert invoice["invoiceDate"] == "2024-05-01" and invoice["dueDate"] == "2024-05-31"  # vendor's 30 days
    assert invoice["vendorInvoiceNumber"] == "INV-1"
    lines = invoice["purchaseInvoiceLines"]
    assert [ln["lineObjectNumber"] for ln in lines] == ["60200", "60300"]
    assert lines[0]["dimensionSetLines"][0]["valueCode"] == values[1]["code"]
    assert lines[1]["amountExcludingTax"] == Decimal("59.9")
    draft_number = invoice["number"]
    posted = bc.request("POST", f"purchaseInvoices({invoice['id']})/Microsoft.NAV.post", token=token)
    assert posted.status_code == 204 and posted.content == b""
    after = bc.request("GET", f"purchaseInvoices({invoice['id']})", token=token).json()
    assert after["id"] == invoice["id"] and after["status"] == "Open" and after["number"] != draft_number
    message = _error(bc.request("POST", f"purchaseInvoices({invoice['id']})/Microsoft.NAV.post", token=token), 400,
                     "Application_DialogException")
    assert "draft invoice only" in message


def test_documented_validation_errors(bc):
    token = bc.token()
    no_vendor = bc.invoice_body()
    del no_vendor["vendorId"]
    assert '"vendorNumber" or a "vendorID"' in _error(bc.request("POST", "purchaseInvoices", no_vendor, token=token),
                                                       400, "Application_DialogException")
    text_amount = bc.invoice_body()
    text_amount["purchaseInvoiceLines"][0]["unitCost"] = "100.00"
    _error(bc.request("POST", "purchaseInvoices", text_amount, token=token), 400, "BadRequest")
    _error(bc.request("POST", "purchaseInvoices", bc.invoice_body(number="X" * 36), token=token), 400,
           "Application_StringExceededLength")
    _error(bc.request("POST", "purchaseInvoices", bc.invoice_body(invoiceDate="05/01/2024"), token=token), 400,
           "BadRequest")
    blocked_line = bc.invoice_body()
    blocked_line["purchaseInvoiceLines"][0]["lineObjectNumber"] = "60900"
    assert "Blocked must be equal to 'No'" in _error(bc.request("POST", "purchaseInvoices", blocked_line, token=token),
                                                     400, "Application_FieldValidationException")
    bc.state.block_vendor(bc.info["company_id"], bc.vendor()["id"], "All")
    assert "is blocked with type All" in _error(bc.request("POST", "purchaseInvoices", bc.invoice_body(), token=token),
                                                400, "Application_DialogException")
    _error(bc.request("GET", "purchaseInvoices(5d115c9c-44e3-ea11-bb43-000d3a2feca1)", token=token), 404,
           "Internal_RecordNotFound")
    _error(bc.request("GET", "noSuchThing", token=token), 404, "BadRequest_NotFound")
    _error(bc.request("GET", f"{bc.root}/companies(5d115c9c-44e3-ea11-bb43-000d3a2feca1)/vendors", token=token), 404,
           "Internal_CompanyNotFound")
    assert "Document Id" in _error(bc.request("GET", "purchaseInvoiceLines", token=token), 400,
                                   "Application_DialogException")


def test_patch_needs_if_match_and_a_stale_etag_is_a_conflict(bc):
    token = bc.token()
    invoice = _create(bc, token)
    path = f"purchaseInvoices({invoice['id']})"
    _error(bc.request("PATCH", path, {"dueDate": "2024-07-01"}, token=token), 400, "BadRequest_InvalidToken")
    changed = bc.request("PATCH", path, {"dueDate": "2024-07-01"}, token=token, headers={"If-Match": invoice["@odata.etag"]})
    assert changed.status_code == 200 and changed.json()["dueDate"] == "2024-07-01"
    assert changed.json()["@odata.etag"] != invoice["@odata.etag"]
    _error(bc.request("PATCH", path, {"dueDate": "2024-08-01"}, token=token, headers={"If-Match": invoice["@odata.etag"]}),
           409, "Request_EntityChanged")
    assert bc.request("PATCH", path, {"dueDate": "2024-08-01"}, token=token, headers={"If-Match": "*"}).status_code == 200
    bc.http.post("/_sandbox/faults", json={"stale_next": 1})
    current = bc.request("GET", path, token=token).json()["@odata.etag"]
    _error(bc.request("PATCH", path, {"dueDate": "2024-09-01"}, token=token, headers={"If-Match": current}), 409,
           "Request_EntityChanged")
    assert bc.request("POST", f"{path}/Microsoft.NAV.post", token=token).status_code == 204
    assert "can no longer be modified" in _error(
        bc.request("PATCH", path, {"dueDate": "2024-10-01"}, token=token, headers={"If-Match": "*"}), 400,
        "Application_DialogException")


def test_dimension_set_lines_live_under_their_parent(bc):
    token = bc.token()
    invoice = _create(bc, token)
    dept, values = bc.dimension("DEPARTMENT")
    path = f"purchaseInvoices({invoice['id']})/dimensionSetLines"
    made = bc.request("POST", path, {"code": "DEPARTMENT", "valueCode": values[0]["code"]}, token=token)
    assert made.status_code == 201 and made.json()["id"] == dept["id"] and made.json()["parentType"] == "Purchase Invoice"
    assert "already exists" in _error(bc.request("POST", path, {"id": dept["id"], "valueId": values[1]["id"]},
                                                  token=token), 400, "Application_DialogException")
    changed = bc.request("PATCH", f"{path}({dept['id']})", {"valueId": values[1]["id"]}, token=token,
                         headers={"If-Match": "*"})
    assert changed.status_code == 200 and changed.json()["valueCode"] == values[1]["code"]
    assert "parent first" in _error(bc.request("POST", "dimensionSetLines", {"code": "DEPARTMENT"}, token=token), 400,
                                    "Application_DialogException")
    assert bc.request("DELETE", f"{path}({dept['id']})", token=token).status_code == 204


def test_duplicate_vendor_invoice_number_and_closed_period_are_refused_on_posting(bc):
    token = bc.token()
    first = _create(bc, token, number="DUP-1")
    assert bc.request("POST", f"purchaseInvoices({first['id']})/Microsoft.NAV.post", token=token).status_code == 204
    second = _create(bc, token, number="dup-1")
    assert "already exists for this vendor" in _error(
        bc.request("POST", f"purchaseInvoices({second['id']})/Microsoft.NAV.post", token=token), 400,
        "Application_DialogException")
    bc.http.post(f"/_sandbox/companies/{bc.info['company_id']}/posting-range", json={"from": "2025-01-01"})
    third = _create(bc, token, number="LATE-1")
    assert "allowed posting dates" in _error(
        bc.request("POST", f"purchaseInvoices({third['id']})/Microsoft.NAV.post", token=token), 400,
        "Application_DialogException")


# -- vendor payments ----------------------------------------------------------------------------------------


def test_vendor_payment_posted_through_its_journal_marks_the_invoice_paid(bc):
    token = bc.token()
    invoice = _create(bc, token, amount="250.00")
    bc.request("POST", f"purchaseInvoices({invoice['id']})/Microsoft.NAV.post", token=token)
    journal = bc.request("GET", "vendorPaymentJournals?$filter=code eq 'CHECKING'", token=token).json()["value"][0]
    assert journal["balancingAccountNumber"] == "10100"
    assert "journal batch ID" in _error(bc.request("GET", "vendorPayments", token=token), 400,
                                        "Application_DialogException")
    lines = f"vendorPaymentJournals({journal['id']})/vendorPayments"
    draft = _create(bc, token, number="NOT-POSTED")
    assert "Open, Paid, Corrective, or Canceled" in _error(
        bc.request("POST", lines, {"appliesToInvoiceId": draft["id"], "amount": Decimal("1")}, token=token), 400,
        "Application_DialogException")
    made = bc.request("POST", lines, {"appliesToInvoiceId": invoice["id"], "amount": Decimal("250.00"),
                                      "externalDocumentNumber": "pay_1", "documentNumber": "BP1"}, token=token)
    assert made.status_code == 201
    line = made.json()
    assert line["vendorId"] == invoice["vendorId"] and line["appliesToInvoiceNumber"] == \
        bc.request("GET", f"purchaseInvoices({invoice['id']})", token=token).json()["number"]
    assert line["externalDocumentNumber"] == "PAY_1"
    found = bc.request("GET", f"{lines}?$filter=externalDocumentNumber eq 'PAY_1'", token=token).json()["value"]
    assert [f["id"] for f in found] == [line["id"]]
    _error(bc.request("POST", f"vendorPaymentJournals({journal['id']})/Microsoft.NAV.post", token=token), 404,
           "BadRequest_NotFound")
    assert bc.request("POST", f"journals({journal['id']})/Microsoft.NAV.post", token=token).status_code == 204
    after = bc.request("GET", f"purchaseInvoices({invoice['id']})", token=token).json()
    assert after["status"] == "Paid" and after["lastModifiedDateTime"] > invoice["lastModifiedDateTime"]
    assert bc.request("GET", lines, token=token).json()["value"] == []
    entries = bc.request("GET", "generalLedgerEntries?$filter=documentNumber eq 'BP1'", token=token).json()["value"]
    assert sorted((e["accountNumber"], e["debitAmount"], e["creditAmount"]) for e in entries) == [
        ("10100", 0, 250), ("20100", 250, 0)]
    assert "nothing to post" in _error(bc.request("POST", f"journals({journal['id']})/Microsoft.NAV.post",
                                                  token=token), 400, "Application_DialogException")


# -- $batch -------------------------------------------------------------------------------------------------


def test_batch_runs_operations_in_order_with_company_header_or_query_and_dollar_references(bc):
    token = bc.token()
    company = bc.info["company_id"]
    requests = [
        {"id": "1", "method": "POST", "url": "purchaseInvoices", "headers": {"Content-Type": "application/json"},
         "body": {"vendorId": bc.vendor()["id"], "vendorInvoiceNumber": "B-1"}},
        {"id": "2", "method": "POST", "url": "$1/purchaseInvoiceLines", "dependsOn": ["1"],
         "headers": {"Content-Type": "application/json", "If-Match": "*"},
         "body": {"lineType": "Account", "lineObjectNumber": "60100", "quantity": 1, "unitCost": 10}},
        {"method": "GET", "url": f"companies({company})/vendors?$top=1"},
        {"id": "4", "method": "GET", "url": "purchaseInvoices?$filter=vendorInvoiceNumber eq 'NONE'",
         "headers": {"CompanyId": company}},
    ]
    response = bc.request("POST", f"{bc.root}/$batch?company={company}", {"requests": requests}, token=token)
    assert response.status_code == 200
    answers = response.json()["responses"]
    assert [a["status"] for a in answers] == [201, 201, 200, 200] and answers[2]["id"] is None
    assert answers[1]["body"]["documentId"] == answers[0]["body"]["id"]
    assert answers[3]["body"]["value"] == []
    assert bc.state.request_stats()["by_kind"]["POST /$batch"] == 1


def test_snapshot_isolation_rolls_the_whole_batch_back(bc):
    token = bc.token()
    before = len(bc.state.invoices(bc.info["company_id"]))
    requests = [{"id": str(i), "method": "POST", "url": "purchaseInvoices", "body": {"vendorId": bc.vendor()["id"]}}
                for i in range(3)]
    requests[1]["body"] = {"vendorNumber": "NOPE"}
    response = bc.request("POST", f"{bc.root}/$batch?company={bc.info['company_id']}", {"requests": requests},
                          token=token, headers={"Isolation": "snapshot"})
    statuses = [a["status"] for a in response.json()["responses"]]
    assert statuses == [424, 404, 424]
    assert len(bc.state.invoices(bc.info["company_id"])) == before
    loose = bc.request("POST", f"{bc.root}/$batch?company={bc.info['company_id']}", {"requests": requests}, token=token)
    assert [a["status"] for a in loose.json()["responses"]] == [201, 404, 201]
    assert len(bc.state.invoices(bc.info["company_id"])) == before + 2


def test_batch_holds_at_most_100_operations(bc):
    token = bc.token()
    requests = [{"method": "GET", "url": "vendors"} for _ in range(101)]
    _error(bc.request("POST", f"{bc.root}/$batch?company={bc.info['company_id']}", {"requests": requests},
                      token=token), 400, "BadRequest")


# -- limits and faults -----------------------------------------------------------------------------------------


def test_more_than_five_requests_in_flight_per_user_get_429_with_retry_after(bc):
    token = bc.token()
    bc.state.set_faults(latency_ms=400)
    barrier = threading.Barrier(9)
    statuses: list[tuple[int, str | None]] = []

    def call() -> None:
        barrier.wait()
        response = bc.request("GET", "vendors?$top=1", token=token)
        statuses.append((response.status_code, response.headers.get("Retry-After")))

    threads = [threading.Thread(target=call) for _ in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    ok = [s for s in statuses if s[0] == 200]
    refused = [s for s in statuses if s[0] == 429]
    assert len(ok) == 5 and len(refused) == 4 and all(int(r[1]) >= 1 for r in refused)


def test_request_window_of_the_user_and_injected_throttle(bc):
    token = bc.token()
    bc.http.post("/_sandbox/limits", json={"per_minute": 2})
    assert bc.request("GET", "vendors", token=token).status_code == 200
    assert bc.request("GET", "vendors", token=token).status_code == 200
    refused = bc.request("GET", "vendors", token=token)
    _error(refused, 429, "Application_TooManyRequests")
    assert 1 <= int(refused.headers["Retry-After"]) <= 300
    bc.http.post("/_sandbox/limits", json={"per_minute": 0})
    bc.http.post("/_sandbox/faults", json={"throttle_next": 1})
    injected = bc.request("GET", "vendors", token=token)
    _error(injected, 429, "Application_TooManyRequests")
    assert int(injected.headers["Retry-After"]) >= 1
    bc.http.post("/_sandbox/faults", json={"fail_next": {"count": 1, "status": 503}})
    assert bc.request("GET", "vendors", token=token).status_code == 503
    assert bc.request("GET", "vendors", token=token).status_code == 200


def test_timeout_after_commit_withholds_the_answer_of_a_committed_write(bc):
    token = bc.token()
    before = len(bc.state.invoices(bc.info["company_id"]))
    bc.http.post("/_sandbox/faults", json={"timeout_after_commit": 1})
    assert bc.request("GET", "vendors", token=token).status_code == 200  # reads do not consume it
    with pytest.raises(httpx.ReadTimeout):
        bc.request("POST", "purchaseInvoices", bc.invoice_body(), token=token)
    assert len(bc.state.invoices(bc.info["company_id"])) == before + 1


def test_control_plane_clock_stats_and_reset(bc):
    token = bc.token()
    bc.request("GET", "vendors", token=token)
    stats = bc.http.get("/_sandbox/requests").json()
    assert stats["total_api_calls"] == 1 and stats["by_kind"]["GET /vendors"] == 1
    assert stats["total_other_calls"] >= 1  # the token request
    moved = bc.http.post("/_sandbox/clock", json={"advance_seconds": 7200}).json()
    assert moved["offset_seconds"] == 7200
    _error(bc.request("GET", "vendors", token=token), 401, "Authentication_InvalidCredentials")
    assert bc.http.post("/_sandbox/reset").json() == {"ok": True, "platform": "business_central"}
    assert bc.state.tenants == {}
    seeded = bc.http.post("/_sandbox/seed", json={"vendors": 2}).json()
    assert set(seeded) == {"platform", "base_url", "tenant_id", "environment", "company_id", "client_id",
                           "client_secret", "token_url", "authority_host"}


def test_key_lookups_follow_changes_and_agree_with_a_full_scan(bc):
    token = bc.token()
    invoice = _create(bc, token, number="KEY-1")
    by_key = "purchaseInvoices?$filter=vendorInvoiceNumber eq '{}'&$select=id"
    assert [r["id"] for r in bc.request("GET", by_key.format("KEY-1"), token=token).json()["value"]] == [invoice["id"]]
    bc.request("PATCH", f"purchaseInvoices({invoice['id']})", {"vendorInvoiceNumber": "KEY-2"}, token=token,
               headers={"If-Match": "*"})
    assert bc.request("GET", by_key.format("KEY-1"), token=token).json()["value"] == []
    assert len(bc.request("GET", by_key.format("key-2"), token=token).json()["value"]) == 1  # Code: any case
    # an indexed term and a scanned one together: the index only narrows, the whole filter decides
    both = bc.request("GET", "purchaseInvoices?$filter=vendorInvoiceNumber eq 'KEY-2' and status eq 'Open'",
                      token=token).json()["value"]
    assert both == []
    prefix = bc.request("GET", "purchaseInvoices?$filter=startswith(vendorInvoiceNumber,'key')", token=token)
    assert [r["id"] for r in prefix.json()["value"]] == [invoice["id"]]
