"""QuickBooksConnector against a scripted endpoint: wire details, batching, retries, pulls."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from billpay.sync.ports import BillLinePayload, BillPayload, BillPaymentPayload, ConnectorError, RemoteRef

from .qbo_script import (
    NOW,
    TIME,
    Script,
    bill_row,
    body_of,
    fault,
    fresh_tokens,
    make_rig,
    query_answer,
    query_of,
    respond,
    token_answer,
)


def payload(n: int = 1, **overrides) -> BillPayload:
    values = dict(bill_id=f"bill_{n}", vendor_external_id="56", invoice_number=f"INV-{n}",
                  invoice_date=dt.date(2024, 4, 1), due_date=dt.date(2024, 5, 1), currency="USD",
                  amount=Decimal("200.00"), lines=(BillLinePayload(Decimal("200.00"), "Ads", account_id="7"),))
    values.update(overrides)
    return BillPayload(**values)


def batch_echo(request: httpx.Request) -> httpx.Response:
    """Answer a batch like QuickBooks: one item per bId, ids counting up."""
    items = body_of(request)["BatchItemRequest"]
    answers = []
    for item in items:
        entity = "Bill" if "Bill" in item else "BillPayment"
        record = dict(item[entity], Id=f"{100 + int(item['bId'])}", SyncToken="0")
        answers.append({"bId": item["bId"], entity: record})
    return respond({"BatchItemResponse": answers, "time": TIME})


# -- wire conventions -----------------------------------------------------------------


def test_every_request_carries_minorversion_and_json_accept():
    rig = make_rig(Script().on("GET", "/query", query_answer("Vendor", [])))
    rig.connector.fetch_reference_data("vendors")
    (request,) = rig.script.api_requests()
    assert request.url.params["minorversion"] == "75"
    assert request.headers["Accept"] == "application/json"
    assert request.url.path == "/v3/company/9130/query"
    assert query_of(request) == "SELECT * FROM Vendor WHERE Active IN (true, false) ORDERBY Id STARTPOSITION 1 MAXRESULTS 1000"


def test_reference_data_pages_until_a_short_page_and_marks_inactive():
    page1 = [{"Id": str(i), "DisplayName": f"V{i}", "Active": i % 2 == 0} for i in range(1000)]
    page2 = [{"Id": "1000", "DisplayName": "Last", "Active": False}]
    script = Script().on("GET", "/query", query_answer("Vendor", page1), query_answer("Vendor", page2, 1001))
    rig = make_rig(script)
    items = rig.connector.fetch_reference_data("vendors")
    assert len(items) == 1001 and items[-1].active is False and items[0].active is True
    assert [query_of(r).split("STARTPOSITION")[1] for r in rig.script.api_requests()] == [
        " 1 MAXRESULTS 1000", " 1001 MAXRESULTS 1000"]


def test_locations_are_empty_because_quickbooks_departments_carry_them():
    rig = make_rig()
    assert rig.connector.fetch_reference_data("locations") == []
    assert rig.script.requests == []


# -- push bills -------------------------------------------------------------------------


def test_thousand_bills_take_at_most_forty_calls():
    rig = make_rig(Script().on("POST", "/batch", batch_echo))
    items = [(f"bill_{n}:create#0", payload(n)) for n in range(1000)]
    results = rig.connector.push_bills(items)
    assert all(r.ref is not None for r in results) and [r.key for r in results] == [k for k, _ in items]
    batches = rig.script.calls("POST", "/batch")
    assert len(batches) == 34 and all(len(body_of(b)["BatchItemRequest"]) <= 30 for b in batches)
    assert len(rig.script.requests) <= 40
    request_ids = {b.url.params["requestid"] for b in batches}
    assert len(request_ids) == 34 and all(len(r) <= 36 for r in request_ids)


def test_per_item_faults_become_per_item_errors():
    def batch(request):
        items = body_of(request)["BatchItemRequest"]
        return respond({"BatchItemResponse": [
            {"bId": items[0]["bId"], "Bill": dict(items[0]["Bill"], Id="7", SyncToken="0")},
            {"bId": items[1]["bId"], "Fault": {"type": "ValidationFault", "Error": [{
                "Message": "Account Period Closed, Cannot Update Through Services API", "code": "6210",
                "Detail": "The account period has closed and the account books cannot be updated."}]}},
        ], "time": TIME})

    rig = make_rig(Script().on("POST", "/batch", batch))
    ok, closed, invalid = rig.connector.push_bills([
        ("a", payload(1)), ("b", payload(2)), ("c", payload(3, amount=Decimal("1")))])
    assert ok.ref == RemoteRef("7", "0")
    assert closed.error.code == "platform_period_closed"
    assert invalid.error.code == "payload_invalid"  # never sent
    assert len(body_of(rig.script.calls("POST", "/batch")[0])["BatchItemRequest"]) == 2


def test_timeout_is_retried_with_the_same_requestid():
    answers = [httpx.ReadTimeout("lost"), None]

    def batch(request):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return batch_echo(request)

    rig = make_rig(Script().on("POST", "/batch", batch))
    (result,) = rig.connector.push_bills([("k", payload())])
    assert result.ref is not None
    ids = [r.url.params["requestid"] for r in rig.script.calls("POST", "/batch")]
    assert len(ids) == 2 and ids[0] == ids[1]
    assert len(rig.sleeps) == 1


def test_timeouts_that_never_end_leave_the_outcome_unknown():
    def batch(request):
        raise httpx.ReadTimeout("lost")

    rig = make_rig(Script().on("POST", "/batch", batch), max_retries=2)
    (result,) = rig.connector.push_bills([("k", payload())])
    assert result.error.code == "platform_timeout" and result.error.outcome_unknown
    assert len(rig.script.calls("POST", "/batch")) == 3


def test_connection_refused_is_safe_to_retry_and_not_unknown():
    def batch(request):
        raise httpx.ConnectError("refused")

    rig = make_rig(Script().on("POST", "/batch", batch), max_retries=1)
    (result,) = rig.connector.push_bills([("k", payload())])
    assert result.error.code == "platform_connection_failed" and not result.error.outcome_unknown


def test_rate_limit_honours_retry_after_without_real_waiting():
    throttled = respond({"Fault": {"Error": [{"code": "3001", "Message": "ThrottleExceeded"}], "type": "SERVICE"}},
                        429, {"Retry-After": "9"})
    rig = make_rig(Script().on("POST", "/batch", throttled, batch_echo))
    (result,) = rig.connector.push_bills([("k", payload())])
    assert result.ref is not None and rig.sleeps == [9.0]


def test_auth_failure_stops_later_batches():
    script = Script().on("POST", "/batch", fault("3100", "ApplicationAuthorizationFailed", status=403))
    rig = make_rig(script)
    results = rig.connector.push_bills([(f"k{n}", payload(n)) for n in range(45)])
    assert {r.error.code for r in results} == {"platform_forbidden"}
    assert len(rig.script.calls("POST", "/batch")) == 1
    assert results[-1].error.raw["not_sent"] is True


def test_an_outage_stops_later_batches_which_are_certainly_not_written():
    def batch(request):
        raise httpx.ReadTimeout("lost")

    rig = make_rig(Script().on("POST", "/batch", batch), max_retries=1)
    results = rig.connector.push_bills([(f"k{n}", payload(n)) for n in range(45)])
    assert len(rig.script.calls("POST", "/batch")) == 2  # first batch and its one retry
    assert all(r.error.outcome_unknown for r in results[:30])
    assert not any(r.error.outcome_unknown for r in results[30:])


def test_duplicate_number_of_our_own_lost_create_is_answered_with_that_bill():
    dup = {"BatchItemResponse": [{"bId": "0", "Fault": {"type": "ValidationFault", "Error": [{
        "Message": "Duplicate Document Number Error", "code": "6140",
        "Detail": "DocNumber=INV-1 is assigned to TxnType=Bill with TxnId=42"}]}}], "time": TIME}
    script = Script().on("POST", "/batch", respond(dup))
    script.on("GET", "/query", query_answer("Bill", [bill_row("42", doc="INV-1", note="billpay:bill_1",
                                                               sync_token="3")]))
    rig = make_rig(script)
    (result,) = rig.connector.push_bills([("k", payload(1))])
    assert result.ref == RemoteRef("42", "3")
    assert "DocNumber = 'INV-1'" in query_of(rig.script.calls("GET", "/query")[0])


# -- update, void, read, find ----------------------------------------------------------


def test_update_of_a_bill_changed_in_quickbooks_since_is_a_conflict_and_overwrites_nothing():
    script = Script().on("POST", "/bill", fault("5010", "Stale Object Error"))
    script.on("GET", "/bill/151", respond({"Bill": bill_row("151", sync_token="4"), "time": TIME}))
    rig = make_rig(script)
    with pytest.raises(Exception) as caught:
        rig.connector.update_bill(RemoteRef("151", "2"), payload(), "bill_1:update#0")
    assert caught.value.code == "platform_stale_version" and caught.value.kind == "conflict"
    (sent,) = rig.script.calls("POST", "/bill")  # no second write with a fresh SyncToken over a person's edit
    assert body_of(sent)["SyncToken"] == "2" and body_of(sent)["sparse"] is True


def test_update_without_a_known_synctoken_reads_the_current_one():
    script = Script().on("GET", "/bill/151", respond({"Bill": bill_row("151", sync_token="4"), "time": TIME}))
    script.on("POST", "/bill", respond({"Bill": bill_row("151", sync_token="5"), "time": TIME}))
    rig = make_rig(script)
    assert rig.connector.update_bill(RemoteRef("151", None), payload(), "k") == RemoteRef("151", "5")
    assert body_of(rig.script.calls("POST", "/bill")[0])["SyncToken"] == "4"


def test_void_deletes_with_the_current_synctoken():
    script = Script().on("GET", "/bill/151", respond({"Bill": bill_row("151", sync_token="3"), "time": TIME}))
    script.on("POST", "/bill", respond({"Bill": {"status": "Deleted", "domain": "QBO", "Id": "151"}, "time": TIME}))
    rig = make_rig(script)
    rig.connector.void_bill(RemoteRef("151", "1"), "bill_1:void#0")
    (delete,) = rig.script.calls("POST", "/bill")
    assert delete.url.params["operation"] == "delete" and body_of(delete) == {"Id": "151", "SyncToken": "3"}


def test_void_of_a_bill_already_gone_is_success():
    script = Script().on("GET", "/bill/151", fault("610", "Object Not Found",
                                                   "Object Not Found : Another user has deleted this transaction."))
    rig = make_rig(script)
    rig.connector.void_bill(RemoteRef("151", "1"), "k")
    assert rig.script.calls("POST", "/bill") == []


def test_void_of_a_bill_with_payments_is_refused_clearly():
    row = bill_row("151", balance="0", linked=[{"TxnId": "118", "TxnType": "BillPaymentCheck"}])
    rig = make_rig(Script().on("GET", "/bill/151", respond({"Bill": row, "time": TIME})))
    with pytest.raises(Exception) as caught:
        rig.connector.void_bill(RemoteRef("151", "1"), "k")
    assert caught.value.code == "platform_bill_has_payments" and "payments" in caught.value.message


def test_read_bill_returns_none_when_deleted():
    rig = make_rig(Script().on("GET", "/bill/9", respond({}, 404)))
    assert rig.connector.read_bill(RemoteRef("9")) is None


def test_find_bill_matches_the_billpay_marker_not_just_the_number():
    someone_elses = bill_row("40", doc="INV-1", note="typed by hand")
    ours = bill_row("41", doc="INV-1", note="Memo\nbillpay:bill_1")
    rig = make_rig(Script().on("GET", "/query", query_answer("Bill", [someone_elses, ours])))
    assert rig.connector.find_bill("bill_1:create#0", payload(1)) == RemoteRef("41", "0")
    assert "VendorRef = '56' AND DocNumber = 'INV-1'" in query_of(rig.script.api_requests()[0])


def test_find_bill_asks_once_by_number_and_vendor_never_by_date():
    script = Script().on("GET", "/query", query_answer("Bill", []))
    rig = make_rig(script)
    assert rig.connector.find_bill("bill_1:create#0", payload(1, invoice_number="O'Brien 1")) is None
    (only,) = (query_of(r) for r in rig.script.api_requests())  # no vendor + date search of every bill that day
    assert "VendorRef = '56' AND DocNumber = 'O\\'Brien 1'" in only and "TxnDate" not in only


def test_find_bill_whose_mark_was_edited_away_fails_safe():
    """The vendor's bill with that number carries no billpay mark (a person edited the memo): it may be billpay's
    own create. billpay says so instead of answering "not there" and creating the bill twice."""
    rig = make_rig(Script().on("GET", "/query", query_answer("Bill", [bill_row("40", doc="INV-1",
                                                                                note="edited by hand")])))
    with pytest.raises(ConnectorError) as caught:
        rig.connector.find_bill("bill_1:create#0", payload(1))
    assert caught.value.code == "platform_bill_unconfirmed" and "INV-1" in caught.value.message
    another_billpay_bill = bill_row("41", doc="INV-1", note="billpay:bill_9")
    rig = make_rig(Script().on("GET", "/query", query_answer("Bill", [another_billpay_bill])))
    assert rig.connector.find_bill("bill_1:create#0", payload(1)) is None  # someone else's, and says whose


def test_find_bill_without_an_invoice_number_fails_safe_without_searching():
    rig = make_rig(Script())
    with pytest.raises(ConnectorError) as caught:
        rig.connector.find_bill("bill_1:create#0", payload(1, invoice_number=""))
    assert caught.value.code == "platform_bill_unconfirmed"
    assert rig.script.api_requests() == []


# -- pull -------------------------------------------------------------------------------------


def test_full_pull_pages_and_bookmarks_the_first_server_time_minus_overlap():
    rows = [bill_row(str(i)) for i in range(1000)]
    script = Script().on("GET", "/query", query_answer("Bill", rows),
                         respond({"QueryResponse": {}, "time": "2024-05-01T05:09:00-07:00"}))
    rig = make_rig(script)
    result = rig.connector.pull_bills(None, dt.date(2024, 1, 1))
    assert result.full and len(result.bills) == 1000 and result.deleted_ids == []
    assert result.bookmark == "2024-05-01T04:58:00-07:00"
    assert "WHERE TxnDate >= '2024-01-01'" in query_of(rig.script.api_requests()[0])


def test_incremental_pull_uses_cdc_and_reports_deletions():
    cdc = {"CDCResponse": [{"QueryResponse": [{"Bill": [
        bill_row("5", txn_date="2024-04-02"), bill_row("6", txn_date="2023-12-31"),
        {"status": "Deleted", "domain": "QBO", "Id": "7", "MetaData": {"LastUpdatedTime": "2024-05-01T04:00:00-07:00"}},
    ], "startPosition": 1, "maxResults": 3}]}], "time": "2024-05-01T05:00:00-07:00"}
    rig = make_rig(Script().on("GET", "/cdc", respond(cdc)))
    result = rig.connector.pull_bills("2024-04-30T05:00:00-07:00", dt.date(2024, 1, 1))
    assert not result.full and [b.external_id for b in result.bills] == ["5"]
    assert result.deleted_ids == ["7"]
    (request,) = rig.script.api_requests()
    assert request.url.params["entities"] == "Bill"
    assert request.url.params["changedSince"] == "2024-04-30T05:00:00-07:00"
    assert result.bookmark == "2024-05-01T04:58:00-07:00"


def test_utc_bookmarks_are_url_encoded_so_plus_is_not_a_space():
    empty = {"CDCResponse": [{"QueryResponse": [{}]}], "time": TIME}
    rig = make_rig(Script().on("GET", "/cdc", respond(empty)))
    rig.connector.pull_bills("2024-05-01T10:00:00+00:00", dt.date(2024, 1, 1))
    (request,) = rig.script.api_requests()
    assert "changedSince=2024-05-01T10%3A00%3A00%2B00%3A00" in str(request.url)
    assert request.url.params["changedSince"] == "2024-05-01T10:00:00+00:00"


def test_nothing_changed_is_one_call():
    empty = {"CDCResponse": [{"QueryResponse": [{"startPosition": 1, "maxResults": 0}]}], "time": TIME}
    rig = make_rig(Script().on("GET", "/cdc", respond(empty)))
    result = rig.connector.pull_bills("2024-05-01T04:00:00-07:00", dt.date(2024, 1, 1))
    assert result.bills == [] and result.deleted_ids == [] and len(rig.script.requests) == 1


def test_bookmark_older_than_the_cdc_window_triggers_a_full_scan():
    rig = make_rig(Script().on("GET", "/query", query_answer("Bill", [bill_row("1")])))
    old = (NOW - dt.timedelta(days=31)).isoformat()
    result = rig.connector.pull_bills(old, dt.date(2024, 1, 1))
    assert result.full and rig.script.calls("GET", "/cdc") == []


def test_expired_access_token_mid_pull_is_refreshed_and_rotation_saved():
    script = Script()
    script.on("GET", "/query", respond({}, 401), match=lambda r: r.headers["Authorization"] == "Bearer access-0")
    script.on("GET", "/query", query_answer("Bill", []), match=lambda r: r.headers["Authorization"] == "Bearer access-1")
    script.on("POST", "/tokens/bearer", token_answer("access-1", "refresh-1"))
    rig = make_rig(script, tokens=fresh_tokens())
    rig.connector.pull_bills(None, dt.date(2024, 1, 1))
    assert rig.store.load().refresh_token == "refresh-1" and rig.store.saves == 1


# -- payments ---------------------------------------------------------------------------------


def pay(n: int = 1, **overrides) -> BillPaymentPayload:
    values = dict(payment_id=f"pay_{n}", bill_external_id=f"{n}", vendor_external_id="56",
                  amount=Decimal("200.00"), currency="USD", pay_date=dt.date(2024, 5, 2), method="ach")
    values.update(overrides)
    return BillPaymentPayload(**values)


def accounts_and_bills(request: httpx.Request) -> httpx.Response:
    text = query_of(request)
    if "FROM Account" in text:
        return query_answer("Account", [
            {"Id": "90", "Name": "Old bank", "AccountType": "Bank", "Active": False},
            {"Id": "35", "Name": "Checking", "AccountType": "Bank", "Active": True},
        ])
    if "FROM Bill " in text:
        return query_answer("Bill", [
            bill_row("1"), bill_row("2", balance="0", linked=[{"TxnId": "300", "TxnType": "BillPaymentCheck"}]),
            bill_row("4", balance="0", linked=[{"TxnId": "301", "TxnType": "BillPaymentCheck"}]),
        ])
    if "FROM BillPayment" in text:
        return query_answer("BillPayment", [
            {"Id": "300", "SyncToken": "0", "PrivateNote": "paid by hand"},
            {"Id": "301", "SyncToken": "0", "PrivateNote": "billpay:pay_4"}])
    return respond({}, 400)


def test_payments_link_bills_from_the_bank_chosen_for_their_currency_and_guard_double_payment():
    rig = make_rig(Script().on("GET", "/query", accounts_and_bills).on("POST", "/batch", batch_echo),
                   bank_accounts={"USD": "35"})
    fresh, paid_elsewhere, deleted, ours_already = rig.connector.push_bill_payments(
        [("p1", pay(1)), ("p2", pay(2)), ("p3", pay(3)), ("p4", pay(4))])
    assert fresh.ref is not None
    assert paid_elsewhere.error.code == "platform_bill_already_paid"
    assert deleted.error.code == "platform_bill_deleted" and deleted.error.kind == "not_found"
    assert ours_already.ref == RemoteRef("301", "0")
    (batch,) = rig.script.calls("POST", "/batch")
    (item,) = body_of(batch)["BatchItemRequest"]
    assert item["operation"] == "create"
    assert item["BillPayment"]["CheckPayment"]["BankAccountRef"] == {"value": "35"}
    assert item["BillPayment"]["Line"][0]["LinkedTxn"] == [{"TxnId": "1", "TxnType": "Bill"}]


def test_the_bank_account_the_payment_names_wins_and_none_chosen_is_refused_naming_the_choices():
    rig = make_rig(Script().on("GET", "/query", accounts_and_bills).on("POST", "/batch", batch_echo),
                   bank_accounts={"USD": "35"})
    (named,) = rig.connector.push_bill_payments([("p1", pay(1, bank_account_id="37"))])
    assert named.ref is not None
    (batch,) = rig.script.calls("POST", "/batch")
    assert body_of(batch)["BatchItemRequest"][0]["BillPayment"]["CheckPayment"]["BankAccountRef"] == {"value": "37"}
    rig = make_rig(Script().on("GET", "/query", accounts_and_bills).on("POST", "/batch", batch_echo))
    (refused,) = rig.connector.push_bill_payments([("p1", pay(1))])
    assert refused.error.code == "platform_bank_account_missing" and refused.error.kind == "config"
    assert "Checking (id 35)" in refused.error.message and "Old bank" not in refused.error.message
    assert rig.script.calls("POST", "/batch") == []  # never "the first bank account found"


def test_revoke_sends_the_refresh_token_to_intuits_revoke_endpoint():
    revoke = "https://developer.api.intuit.test/v2/oauth2/tokens/revoke"
    rig = make_rig(Script().on("POST", "/v2/oauth2/tokens/revoke", respond({})), revoke_url=revoke)
    rig.connector.revoke()
    (call,) = rig.script.calls("POST", "/v2/oauth2/tokens/revoke")
    assert str(call.url) == revoke and body_of(call) == {"token": "refresh-0"}
    assert call.headers["authorization"].startswith("Basic ") and call.headers["accept"] == "application/json"
    gone = make_rig(Script().on("POST", "/v2/oauth2/tokens/revoke", respond({"error": "invalid_token"}, 400)),
                    revoke_url=revoke)
    gone.connector.revoke()  # already revoked: success


def test_find_bill_payment_through_the_bills_linked_payments():
    script = Script().on("GET", "/bill/4", respond({"Bill": bill_row("4", balance="0", linked=[
        {"TxnId": "301", "TxnType": "BillPaymentCheck"}]), "time": TIME}))
    script.on("GET", "/query", accounts_and_bills)
    rig = make_rig(script)
    assert rig.connector.find_bill_payment("pay_4", pay(4)) == RemoteRef("301", "0")
    assert len(rig.script.api_requests()) == 2


def test_a_key_given_twice_is_written_once():
    rig = make_rig(Script().on("POST", "/batch", batch_echo))
    first, second = rig.connector.push_bills([("k", payload(1)), ("k", payload(1))])
    assert first == second and first.ref is not None
    assert len(body_of(rig.script.calls("POST", "/batch")[0])["BatchItemRequest"]) == 1


def test_cdc_refusing_the_bookmark_falls_back_to_a_full_scan():
    script = Script().on("GET", "/cdc", fault("4001", "Invalid query",
                                              "QueryValidationError: changedSince must be within the last 30 days"))
    script.on("GET", "/query", query_answer("Bill", [bill_row("1")]))
    rig = make_rig(script)
    result = rig.connector.pull_bills("2024-04-20T00:00:00+00:00", dt.date(2024, 1, 1))
    assert result.full and [b.external_id for b in result.bills] == ["1"]
