"""Contract: the real PyPI client ``sageintacctsdk`` against ``billpay sandbox intacct`` running as its own
process (uvicorn on a free port), redirected as platform-clients.md shows. It signs in with
``getAPISession``, lists, creates, reads, updates and deletes AP bills and creates AP payments."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sageintacctsdk import SageIntacctSDK
from sageintacctsdk.apis.api_base import ApiBase
from sageintacctsdk.exceptions import InvalidTokenError, WrongParamsError

EXPECTED_KEYS = {"platform", "base_url", "endpoint_url", "sender_id", "sender_password", "company_id", "user_id",
                 "user_password", "entity_id"}


@pytest.fixture(scope="module")
def server():
    command = [sys.executable, "-m", "billpay.cli", "sandbox", "intacct", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            info = json.loads(process.stdout.readline())
            yield info
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def sdk(server, monkeypatch) -> SageIntacctSDK:
    original = ApiBase.__init__

    def redirected(self, *args, **kwargs):  # the SDK hard-codes api.intacct.com in every API object
        original(self, *args, **kwargs)
        self._ApiBase__api_url = server["endpoint_url"]

    monkeypatch.setattr(ApiBase, "__init__", redirected)
    return SageIntacctSDK(sender_id=server["sender_id"], sender_password=server["sender_password"],
                          user_id=server["user_id"], company_id=server["company_id"],
                          user_password=server["user_password"], entity_id=server["entity_id"])


def test_the_first_line_says_how_to_connect(server):
    assert set(server) == EXPECTED_KEYS and server["platform"] == "intacct"
    assert server["endpoint_url"] == server["base_url"] + "/ia/xml/xmlgw.phtml"
    assert not server["base_url"].endswith(":0") and server["entity_id"] == "E100"


def test_sign_in_switches_to_the_endpoint_the_sandbox_hands_out(sdk, server):
    assert sdk.api_base._ApiBase__api_url == server["endpoint_url"]
    assert sdk.api_base._ApiBase__session_id.endswith("..")


def test_reference_data_lists(sdk):
    vendors = sdk.vendors.get_all()
    assert {"V0001", "V-EU01"} <= {v["VENDORID"] for v in vendors}
    accounts = {a["ACCOUNTNO"]: a for a in sdk.accounts.get_all()}
    assert accounts["6900"]["STATUS"] == "inactive" and accounts["2000"]["TITLE"] == "Accounts Payable"
    assert {d["DEPARTMENTID"] for d in sdk.departments.get_all()} >= {"D100", "D200"}
    assert {loc["LOCATIONID"] for loc in sdk.locations.get_all()} >= {"E100", "L110"}
    assert {c["CLASSID"] for c in sdk.classes.get_all()} >= {"C10", "C20"}
    assert {p["PROJECTID"] for p in sdk.projects.get_all()} >= {"P-1000"}


def test_bills_round_trip_and_payments_close_them(sdk):
    created = sdk.bills.post({
        "WHENCREATED": "11/20/2026", "VENDORID": "V0002", "RECORDID": "SDK-1", "WHENDUE": "12/20/2026",
        "DESCRIPTION": "From the SDK", "BASECURR": "USD", "CURRENCY": "USD",
        "APBILLITEMS": {"APBILLITEM": [
            {"ACCOUNTNO": "6000", "TRX_AMOUNT": "120.50", "ENTRYDESCRIPTION": "Paper", "LOCATIONID": "L110",
             "DEPARTMENTID": "D100", "CLASSID": "C10"},
            {"ACCOUNTNO": "6100", "TRX_AMOUNT": "79.50", "LOCATIONID": "L110"}]}})
    recordno = created["data"]["apbill"]["RECORDNO"]
    listed = {b["RECORDNO"]: b for b in sdk.bills.get_all()}
    assert listed[recordno]["TOTALENTERED"] == "200.00" and listed[recordno]["STATE"] == "Posted"
    bill = sdk.bills.get(field="RECORDNO", value=recordno)["apbill"]
    assert (bill["RECORDID"], bill["TOTALDUE"], bill["DESCRIPTION"]) == ("SDK-1", "200.00", "From the SDK")

    updated = sdk.bills.update({"RECORDNO": recordno, "WHENDUE": "01/15/2027", "DESCRIPTION": "Changed"})
    assert updated["status"] == "success"
    assert sdk.bills.get(field="RECORDNO", value=recordno)["apbill"]["WHENDUE"] == "01/15/2027"

    payment = sdk.ap_payments.post({
        "FINANCIALENTITY": "BOA-USD", "PAYMENTMETHOD": "Cash", "VENDORID": "V0002", "PAYMENTDATE": "11/25/2026",
        "CURRENCY": "USD", "BASECURR": "USD", "DESCRIPTION": "Paid by the SDK",
        "APPYMTDETAILS": {"APPYMTDETAIL": [{"RECORDKEY": recordno, "TRX_PAYMENTAMOUNT": "200.00"}]}})
    assert payment["data"]["appymt"]["RECORDNO"]
    paid = sdk.bills.get(field="RECORDNO", value=recordno)["apbill"]
    assert (paid["STATE"], paid["TOTALDUE"], paid["TOTALPAID"]) == ("Paid", "0.00", "200.00")
    found = sdk.bills.get_by_query(and_filter=[("equalto", "STATE", "Paid"), ("equalto", "RECORDID", "SDK-1")])
    assert [b["RECORDNO"] for b in found] == [recordno]
    with pytest.raises(WrongParamsError) as refused:
        sdk.bills.delete(recordno)  # paid: Intacct refuses
    assert "payments have been applied" in json.dumps(refused.value.response)


def test_delete_an_unpaid_bill_and_errors_parse(sdk):
    created = sdk.bills.post({"WHENCREATED": "11/20/2026", "VENDORID": "V0003", "RECORDID": "SDK-DEL",
                              "WHENDUE": "12/20/2026",
                              "APBILLITEMS": {"APBILLITEM": {"ACCOUNTNO": "6200", "TRX_AMOUNT": "10",
                                                             "LOCATIONID": "L120"}}})
    recordno = created["data"]["apbill"]["RECORDNO"]
    assert sdk.bills.delete(recordno)["status"] == "success"
    assert sdk.bills.get(field="RECORDNO", value=recordno)["@count"] == "0"
    with pytest.raises(WrongParamsError) as refused:
        sdk.bills.post({"WHENCREATED": "11/20/2026", "VENDORID": "NOPE", "WHENDUE": "12/20/2026",
                        "APBILLITEMS": {"APBILLITEM": {"ACCOUNTNO": "6200", "TRX_AMOUNT": "1", "LOCATIONID": "L110"}}})
    error = refused.value.response["error"][0]
    assert error["errorno"] == "BL01001973" and "'NOPE' specified is not valid" in error["description2"]


def test_a_wrong_password_is_an_invalid_token_error(server, monkeypatch):
    original = ApiBase.__init__

    def redirected(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._ApiBase__api_url = server["endpoint_url"]

    monkeypatch.setattr(ApiBase, "__init__", redirected)
    with pytest.raises(InvalidTokenError):
        SageIntacctSDK(sender_id=server["sender_id"], sender_password=server["sender_password"],
                       user_id=server["user_id"], company_id=server["company_id"], user_password="wrong")
