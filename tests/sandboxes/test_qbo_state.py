"""QuickBooksState without HTTP: entities, concurrency tokens, balances, idempotency, CDC, batch."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from billpay.sandboxes.quickbooks import QBOFault, QuickBooksState, timefmt

from .conftest import Company, bill_payload, seeded


def make_bill(qbo: Company, amount: str = "100.00", **extra: object) -> dict:
    vendor = qbo.first("Vendor")
    account = qbo.account("Expense")
    return qbo.state.create(qbo.realm, "Bill", bill_payload(vendor["Id"], account["Id"], amount, **extra))


def pay(qbo: Company, bill: dict, amount: str, pay_type: str = "Check") -> dict:
    data: dict = {
        "VendorRef": bill["VendorRef"],
        "PayType": pay_type,
        "TotalAmt": Decimal(amount),
        "Line": [{"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
    }
    if pay_type == "Check":
        data["CheckPayment"] = {"BankAccountRef": {"value": qbo.account("Bank")["Id"]}}
    else:
        data["CreditCardPayment"] = {"CCAccountRef": {"value": qbo.account("Credit Card")["Id"]}}
    return qbo.state.create(qbo.realm, "BillPayment", data)


def fault_code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.code


# --- seed ------------------------------------------------------------------------


def test_seed_company_has_the_reference_data_a_bill_pay_needs(qbo: Company):
    accounts = qbo.state.query(qbo.realm, "select * from Account maxresults 1000")["Account"]
    types = {a["AccountType"] for a in accounts}
    assert {"Expense", "Accounts Payable", "Bank", "Credit Card"} <= types
    assert any(a["AccountSubType"] == "Checking" for a in accounts)
    terms = {t["Name"] for t in qbo.state.query(qbo.realm, "select * from Term")["Term"]}
    assert {"Net 30", "Net 15", "Due on receipt"} <= terms
    assert qbo.state.query(qbo.realm, "select count(*) from Vendor") == {"totalCount": 5}
    assert qbo.state.query(qbo.realm, "select count(*) from Class")["totalCount"] >= 2
    assert qbo.state.query(qbo.realm, "select count(*) from Department")["totalCount"] >= 2
    vendor = qbo.first("Vendor")
    assert vendor["PrimaryEmailAddr"]["Address"].startswith("billing@")


# --- bills -----------------------------------------------------------------------


def test_bill_totals_defaults_and_metadata(qbo: Company):
    bill = make_bill(qbo, "250.00", DocNumber="INV-1", TxnDate="2030-03-01")
    assert bill["TotalAmt"] == Decimal("250.00") and bill["Balance"] == Decimal("250.00")
    assert bill["SyncToken"] == "0" and bill["domain"] == "QBO" and bill["sparse"] is False
    vendor = qbo.state.read(qbo.realm, "Vendor", bill["VendorRef"]["value"])
    assert bill["VendorRef"]["name"] == vendor["DisplayName"]
    assert bill["DueDate"] == "2030-03-31"  # vendor terms Net 30
    assert bill["APAccountRef"]["name"] == "Accounts Payable (A/P)"
    line = bill["Line"][0]
    assert line["Id"] == "1" and line["LineNum"] == 1
    assert line["AccountBasedExpenseLineDetail"]["BillableStatus"] == "NotBillable"
    assert bill["MetaData"]["CreateTime"] == bill["MetaData"]["LastUpdatedTime"]
    assert isinstance(bill["TotalAmt"], Decimal)


def test_sync_token_increments_and_stale_token_is_5010(qbo: Company):
    bill = make_bill(qbo)
    first = qbo.state.update(
        qbo.realm, "Bill", {"Id": bill["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "a"}
    )
    second = qbo.state.update(
        qbo.realm, "Bill", {"Id": bill["Id"], "SyncToken": "1", "sparse": True, "PrivateNote": "b"}
    )
    assert (first["SyncToken"], second["SyncToken"]) == ("1", "2")
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.update(
            qbo.realm, "Bill", {"Id": bill["Id"], "SyncToken": "1", "sparse": True, "PrivateNote": "c"}
        )
    fault = excinfo.value
    assert (fault.code, fault.message, fault.status) == ("5010", "Stale Object Error", 400)
    assert fault.detail.startswith("Stale Object Error : You and root were working on this at the same time.")


def test_full_update_nulls_omitted_fields_and_sparse_keeps_them(qbo: Company):
    bill = make_bill(qbo, PrivateNote="keep me", DocNumber="D-1")
    sparse = qbo.state.update(
        qbo.realm, "Bill", {"Id": bill["Id"], "SyncToken": "0", "sparse": True, "DocNumber": "D-2"}
    )
    assert sparse["PrivateNote"] == "keep me" and sparse["DocNumber"] == "D-2"
    full = dict(sparse)
    full.pop("PrivateNote")
    updated = qbo.state.update(qbo.realm, "Bill", full)
    assert "PrivateNote" not in updated
    assert updated["Line"][0]["Id"] == "1"  # line ids survive when sent back


def test_lines_keep_ids_and_new_lines_get_new_ids(qbo: Company):
    bill = make_bill(qbo, "10.00")
    lines = bill["Line"] + [dict(bill["Line"][0], Id=None, Amount=Decimal("5.25"))]
    updated = qbo.state.update(
        qbo.realm, "Bill", {"Id": bill["Id"], "SyncToken": "0", "sparse": True, "Line": lines}
    )
    assert [line["Id"] for line in updated["Line"]] == ["1", "2"]
    assert updated["TotalAmt"] == Decimal("15.25")


@pytest.mark.parametrize(
    "change, code",
    [
        (lambda p: p.pop("VendorRef"), "2020"),
        (lambda p: p.update(VendorRef={"value": "999"}), "2500"),
        (lambda p: p.update(Line=[]), "6000"),
        (lambda p: p["Line"][0]["AccountBasedExpenseLineDetail"].update(AccountRef={"value": "999"}), "2500"),
        (lambda p: p["Line"][0]["AccountBasedExpenseLineDetail"].pop("AccountRef"), "2020"),
        (lambda p: p.update(DocNumber="X" * 22), "2050"),
        (lambda p: p.update(TxnDate="2030-13-45"), "2010"),
        (lambda p: p.update(CurrencyRef={"value": "EUR"}), "6000"),
    ],
)
def test_bill_validation_faults(qbo: Company, change, code):
    payload = bill_payload(qbo.first("Vendor")["Id"], qbo.account("Expense")["Id"])
    change(payload)
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.create(qbo.realm, "Bill", payload)
    assert excinfo.value.code == code


def test_inactive_vendor_and_account_are_610(qbo: Company):
    vendor = qbo.first("Vendor")
    qbo.state.deactivate_vendor(qbo.realm, vendor["Id"])
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.create(qbo.realm, "Bill", bill_payload(vendor["Id"], qbo.account("Expense")["Id"]))
    assert excinfo.value.code == "610"
    inactive = qbo.state.query(qbo.realm, "select * from Account where Active = false")["Account"][0]
    other = qbo.state.query(qbo.realm, "select * from Vendor")["Vendor"][0]
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.create(qbo.realm, "Bill", bill_payload(other["Id"], inactive["Id"]))
    assert excinfo.value.code == "610"


def test_duplicate_bill_number_for_the_same_vendor(qbo: Company):
    first = make_bill(qbo, DocNumber="INV-7")
    with pytest.raises(QBOFault) as excinfo:
        make_bill(qbo, DocNumber="INV-7")
    assert excinfo.value.code == "6140"
    assert f"DocNumber=INV-7 is assigned to TxnType=Bill with TxnId={first['Id']}" in excinfo.value.detail
    other_vendor = qbo.state.query(qbo.realm, "select * from Vendor where Id = '2'")["Vendor"][0]
    qbo.state.create(
        qbo.realm, "Bill", bill_payload(other_vendor["Id"], qbo.account("Expense")["Id"], DocNumber="INV-7")
    )
    duplicate = qbo.state.save(
        qbo.realm,
        "Bill",
        bill_payload(first["VendorRef"]["value"], qbo.account("Expense")["Id"], DocNumber="INV-7"),
        include="allowduplicatedocnum",
    )
    assert duplicate["DocNumber"] == "INV-7"
    qbo.state.set_company_settings(qbo.realm, duplicate_doc_number_check=False)
    make_bill(qbo, DocNumber="INV-7")


def test_closed_books_refuse_writes_on_or_before_the_close_date(qbo: Company):
    old = make_bill(qbo, TxnDate="2024-06-30")
    qbo.state.set_company_settings(qbo.realm, book_close_date="2024-12-31")
    assert qbo.state.preferences(qbo.realm)["AccountingInfoPrefs"]["BookCloseDate"] == "2024-12-31"
    for action in (
        lambda: make_bill(qbo, TxnDate="2024-12-31"),
        lambda: qbo.state.update(
            qbo.realm, "Bill", {"Id": old["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "x"}
        ),
        lambda: qbo.state.delete(qbo.realm, "Bill", old["Id"], "0"),
    ):
        with pytest.raises(QBOFault) as excinfo:
            action()
        assert excinfo.value.code == "6210"
    assert make_bill(qbo, TxnDate="2025-01-01")["TxnDate"] == "2025-01-01"


# --- payments ----------------------------------------------------------------------


def test_check_payment_reduces_balance_and_links_the_bill(qbo: Company):
    bill = make_bill(qbo, "100.00")
    payment = pay(qbo, bill, "40.00")
    assert payment["CheckPayment"]["PrintStatus"] == "NeedToPrint"
    after = qbo.state.read(qbo.realm, "Bill", bill["Id"])
    assert after["Balance"] == Decimal("60.00")
    assert after["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "BillPaymentCheck"}]
    assert after["SyncToken"] == "1"
    pay(qbo, bill, "60.00", "CreditCard")
    paid = qbo.state.read(qbo.realm, "Bill", bill["Id"])
    assert paid["Balance"] == 0
    assert [link["TxnType"] for link in paid["LinkedTxn"]] == ["BillPaymentCheck", "BillPaymentCreditCard"]
    vendor = qbo.state.read(qbo.realm, "Vendor", bill["VendorRef"]["value"])
    assert vendor["Balance"] == Decimal("0.00")


def test_paying_more_than_the_balance_is_refused(qbo: Company):
    bill = make_bill(qbo, "100.00")
    with pytest.raises(QBOFault) as excinfo:
        pay(qbo, bill, "100.01")
    assert excinfo.value.code == "6000"
    assert "open balance" in excinfo.value.detail
    assert qbo.state.read(qbo.realm, "Bill", bill["Id"])["Balance"] == Decimal("100.00")


def test_void_and_delete_restore_the_balance(qbo: Company):
    bill = make_bill(qbo, "100.00")
    payment = pay(qbo, bill, "100.00")
    voided = qbo.state.void(qbo.realm, "BillPayment", payment["Id"], payment["SyncToken"])
    assert voided["TotalAmt"] == 0 and voided["Line"] == [] and voided["PrivateNote"].startswith("Voided")
    assert voided["SyncToken"] == "1"
    reopened = qbo.state.read(qbo.realm, "Bill", bill["Id"])
    assert reopened["Balance"] == Decimal("100.00") and "LinkedTxn" not in reopened
    second = pay(qbo, bill, "30.00")
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.delete(
            qbo.realm, "Bill", bill["Id"], qbo.state.read(qbo.realm, "Bill", bill["Id"])["SyncToken"]
        )
    assert excinfo.value.code == "6000"  # linked payments must be removed first
    deleted = qbo.state.delete(qbo.realm, "BillPayment", second["Id"], "0")
    assert deleted == {"status": "Deleted", "domain": "QBO", "Id": second["Id"]}
    assert qbo.state.read(qbo.realm, "Bill", bill["Id"])["Balance"] == Decimal("100.00")
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.read(qbo.realm, "BillPayment", second["Id"])
    assert excinfo.value.code == "610"


def test_bills_cannot_be_voided_only_deleted(qbo: Company):
    bill = make_bill(qbo)
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.void(qbo.realm, "Bill", bill["Id"], "0")
    assert excinfo.value.code == "500"
    qbo.state.delete(qbo.realm, "Bill", bill["Id"], "0")
    assert qbo.state.get_entity(qbo.realm, "Bill", bill["Id"]) is None


def test_ui_helpers_change_data_like_a_person_in_quickbooks(qbo: Company):
    bill = make_bill(qbo, "80.00")
    payment = qbo.state.pay_bill_elsewhere(qbo.realm, bill["Id"])
    assert payment["TotalAmt"] == Decimal("80.00")
    assert qbo.state.read(qbo.realm, "Bill", bill["Id"])["Balance"] == 0
    other = make_bill(qbo, "5.00")
    assert qbo.state.set_bill_memo(qbo.realm, other["Id"], "paid by phone")["PrivateNote"] == "paid by phone"
    assert qbo.state.touch(qbo.realm, "Bill", other["Id"])["SyncToken"] == "2"
    qbo.state.delete_bill(qbo.realm, other["Id"])
    assert qbo.state.get_entity(qbo.realm, "Bill", other["Id"]) is None


# --- vendors ----------------------------------------------------------------------


def test_vendor_names_are_unique_and_inactive_names_are_marked_deleted(qbo: Company):
    vendor = qbo.first("Vendor")
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.create(qbo.realm, "Vendor", {"DisplayName": vendor["DisplayName"].upper()})
    assert excinfo.value.code == "6240"
    inactive = qbo.state.deactivate_vendor(qbo.realm, vendor["Id"])
    assert inactive["DisplayName"] == vendor["DisplayName"] + " (deleted)" and inactive["Active"] is False
    again = qbo.state.create(qbo.realm, "Vendor", {"DisplayName": vendor["DisplayName"]})
    assert again["Id"] != vendor["Id"]
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.create(qbo.realm, "Vendor", {"Title": ""})
    assert excinfo.value.code == "6080"
    derived = qbo.state.create(qbo.realm, "Vendor", {"GivenName": "Ada", "FamilyName": "Lovelace"})
    assert derived["DisplayName"] == "Ada Lovelace"


def test_tax_ids_are_masked_on_read_and_survive_a_full_update(qbo: Company):
    vendor = qbo.state.create(
        qbo.realm, "Vendor", {"DisplayName": "Masked LLC", "TaxIdentifier": "123456789"}
    )
    assert vendor["TaxIdentifier"] == "XXXXX6789"
    qbo.state.update(qbo.realm, "Vendor", {**vendor, "AcctNum": "7"})
    stored = qbo.state.company(qbo.realm).get("Vendor", vendor["Id"])
    assert stored["TaxIdentifier"] == "123456789"


def test_vendors_cannot_be_deleted(qbo: Company):
    vendor = qbo.first("Vendor")
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.delete(qbo.realm, "Vendor", vendor["Id"], vendor["SyncToken"])
    assert excinfo.value.code == "500"


# --- idempotency ----------------------------------------------------------------------


def test_requestid_replays_the_first_response_without_writing_again(qbo: Company):
    payload = bill_payload(qbo.first("Vendor")["Id"], qbo.account("Expense")["Id"], DocNumber="R-1")

    def create() -> dict:
        return {"Bill": qbo.state.create(qbo.realm, "Bill", payload)}

    first = qbo.state.idempotent(qbo.realm, "req-1", create)
    second = qbo.state.idempotent(qbo.realm, "req-1", create)
    assert first[0] == second[0] == 200
    assert second[2] is True and second[1] == first[1]
    assert qbo.state.query(qbo.realm, "select count(*) from Bill where DocNumber = 'R-1'") == {
        "totalCount": 1
    }
    fault = qbo.state.idempotent(qbo.realm, "req-2", create)  # duplicate number: a 400 fault ...
    assert fault[0] == 400 and fault[1]["Fault"]["Error"][0]["code"] == "6140"
    assert (
        qbo.state.idempotent(qbo.realm, "req-2", lambda: {"never": "called"})[1] == fault[1]
    )  # ... is remembered too
    too_long = qbo.state.idempotent(qbo.realm, "x" * 51, create)
    assert too_long[0] == 400 and too_long[1]["Fault"]["Error"][0]["code"] == "6000"


def test_stale_fault_makes_the_next_update_lose_a_race(qbo: Company):
    bill = make_bill(qbo)
    qbo.state.set_faults(stale_next=1)
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.update(
            qbo.realm, "Bill", {"Id": bill["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "x"}
        )
    assert excinfo.value.code == "5010"
    current = qbo.state.read(qbo.realm, "Bill", bill["Id"])
    assert qbo.state.update(qbo.realm, "Bill", {**current, "PrivateNote": "x"})["SyncToken"] == "2"


# --- CDC ---------------------------------------------------------------------------


def test_cdc_reports_changes_and_deletions(qbo: Company):
    qbo.state.advance_clock(2)  # the seed's changes fall before the bookmark
    since = timefmt.entity_time(qbo.state.now(), qbo.state.company(qbo.realm).tz)
    kept = make_bill(qbo)
    gone = make_bill(qbo, "5.00")
    qbo.state.delete(qbo.realm, "Bill", gone["Id"], "0")
    payment = pay(qbo, kept, "10.00")
    body = qbo.state.cdc(qbo.realm, "Bill,BillPayment,Vendor", since)
    bills, payments, vendors = body["CDCResponse"][0]["QueryResponse"]
    assert [b.get("status") for b in bills["Bill"]] == [None, "Deleted"]
    assert bills["Bill"][0]["Id"] == kept["Id"] and bills["Bill"][0]["Balance"] == Decimal("90.00")
    assert bills["Bill"][1]["Id"] == gone["Id"] and set(bills["Bill"][1]) == {
        "Id",
        "status",
        "domain",
        "MetaData",
    }
    assert payments["BillPayment"][0]["Id"] == payment["Id"]
    assert vendors == {}


@pytest.mark.parametrize("utc_now", [
    datetime(2026, 3, 10, 2, 30, tzinfo=timezone.utc),  # 19:30 the day before in the company's Pacific time
    datetime(2026, 3, 10, 20, 0, tzinfo=timezone.utc),  # the same day in UTC and Pacific time
])
def test_cdc_lookback_limit_and_object_cap(utc_now: datetime, monkeypatch):
    state = QuickBooksState()
    state.clock.freeze(utc_now)
    qbo = seeded(state)
    too_old = (qbo.state.now() - timedelta(days=31)).date().isoformat()
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.cdc(qbo.realm, "Bill", too_old)
    assert excinfo.value.code == "4001"
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.cdc(qbo.realm, "Bill,Nonsense", "2030-01-01")
    assert excinfo.value.code == "2010"
    from billpay.sandboxes.quickbooks import cdc

    monkeypatch.setattr(cdc, "MAX_OBJECTS", 3)
    # a bare date is read in the company's time zone: "today" there includes the seed's changes
    since = timefmt.local_date(qbo.state.now(), qbo.state.company(qbo.realm).tz).isoformat()
    body = qbo.state.cdc(qbo.realm, "Account", since)
    assert len(body["CDCResponse"][0]["QueryResponse"][0]["Account"]) == 3


# --- batch --------------------------------------------------------------------------


def test_batch_items_succeed_or_fault_independently(qbo: Company):
    vendor = qbo.first("Vendor")
    items = [
        {
            "bId": "ok",
            "operation": "create",
            "Bill": bill_payload(vendor["Id"], qbo.account("Expense")["Id"]),
        },
        {"bId": "bad", "operation": "create", "Bill": bill_payload("999", qbo.account("Expense")["Id"])},
        {"bId": "q", "Query": "select * from Vendor where Id = '1'"},
        {
            "bId": "upd",
            "operation": "update",
            "Vendor": {"Id": vendor["Id"], "SyncToken": "0", "sparse": True, "AcctNum": "9"},
        },
    ]
    result = qbo.state.batch(qbo.realm, {"BatchItemRequest": items})["BatchItemResponse"]
    by_id = {item["bId"]: item for item in result}
    assert by_id["ok"]["Bill"]["Id"]
    assert by_id["bad"]["Fault"]["Error"][0]["code"] == "2500"
    assert by_id["bad"]["Fault"]["type"] == "ValidationFault"
    assert by_id["q"]["QueryResponse"]["Vendor"][0]["Id"] == "1"
    assert by_id["upd"]["Vendor"]["AcctNum"] == "9"


def test_batch_refuses_more_than_30_items(qbo: Company):
    items = [{"bId": str(i), "Query": "select * from Term"} for i in range(31)]
    with pytest.raises(QBOFault) as excinfo:
        qbo.state.batch(qbo.realm, {"BatchItemRequest": items})
    assert excinfo.value.code == "6000" and "maximum is 30" in excinfo.value.detail
    assert len(qbo.state.batch(qbo.realm, {"BatchItemRequest": items[:30]})["BatchItemResponse"]) == 30


# --- OAuth ----------------------------------------------------------------------------


def test_access_tokens_expire_after_an_hour(qbo: Company):
    from billpay.sandboxes.quickbooks import AuthFault

    tokens = qbo.state.issue_tokens(qbo.client_id, qbo.realm)
    assert tokens["expires_in"] == 3600 and tokens["x_refresh_token_expires_in"] == 8726400
    qbo.state.authenticate(tokens["access_token"], qbo.realm)
    qbo.state.advance_clock(3601)
    with pytest.raises(AuthFault) as excinfo:
        qbo.state.authenticate(tokens["access_token"], qbo.realm)
    assert excinfo.value.status == 401 and excinfo.value.detail.startswith("Token expired: ")


def test_rotated_out_refresh_token_is_refused_at_once(qbo: Company):
    """Intuit documents no grace period: the refresh token a refresh replaced answers invalid_grant right away."""
    from billpay.sandboxes.quickbooks.oauth import OAuthError

    grant = lambda token: qbo.state.token_grant(  # noqa: E731
        qbo.client_id, qbo.client_secret, {"grant_type": "refresh_token", "refresh_token": token}
    )
    first = grant(qbo.refresh_token)
    assert first["refresh_token"] != qbo.refresh_token
    with pytest.raises(OAuthError) as excinfo:
        grant(qbo.refresh_token)  # no clock advance: refused at once
    assert excinfo.value.error == "invalid_grant" and excinfo.value.status == 400
    assert grant(first["refresh_token"])["refresh_token"] not in (first["refresh_token"], qbo.refresh_token)
    with pytest.raises(OAuthError):
        qbo.state.token_grant(qbo.client_id, "wrong", {"grant_type": "refresh_token", "refresh_token": "x"})


def test_expire_tokens_fault_and_revocation(qbo: Company):
    from billpay.sandboxes.quickbooks import AuthFault

    tokens = qbo.state.issue_tokens(qbo.client_id, qbo.realm)
    qbo.state.set_faults(expire_tokens=True)
    with pytest.raises(AuthFault):
        qbo.state.authenticate(tokens["access_token"], qbo.realm)
    fresh = qbo.state.token_grant(
        qbo.client_id,
        qbo.client_secret,
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    qbo.state.authenticate(fresh["access_token"], qbo.realm)
    qbo.state.revoke_token(qbo.client_id, qbo.client_secret, fresh["refresh_token"])
    with pytest.raises(AuthFault):
        qbo.state.authenticate(fresh["access_token"], qbo.realm)


# --- persistence --------------------------------------------------------------------


def test_state_survives_a_restart(tmp_path):
    path = tmp_path / "qbo.json"
    state = QuickBooksState(persist_path=path)
    qbo = seeded(state)
    bill = make_bill(qbo, "12.34")
    restarted = QuickBooksState(persist_path=path)
    again = restarted.read(qbo.realm, "Bill", bill["Id"])
    assert again["TotalAmt"] == Decimal("12.34") and again["MetaData"] == bill["MetaData"]
    refreshed = restarted.token_grant(
        qbo.client_id, qbo.client_secret, {"grant_type": "refresh_token", "refresh_token": qbo.refresh_token}
    )
    assert refreshed["access_token"]
    restarted.reset()
    assert QuickBooksState(persist_path=path).realm_ids() == []
