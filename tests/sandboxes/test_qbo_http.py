"""The QuickBooks sandbox over HTTP, in-process: wire shapes, auth, faults, limits, control plane."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from billpay.sandboxes.quickbooks import create_app, in_process_transport

from .conftest import Company, bill_payload


def api(qbo: Company, path: str) -> str:
    return f"/v3/company/{qbo.realm}/{path}"


def create_bill(http: httpx.Client, qbo: Company, **params: str) -> httpx.Response:
    body = bill_payload(qbo.first("Vendor")["Id"], qbo.account("Expense")["Id"], "100.00")
    body["Line"][0]["Amount"] = "100.00"
    return http.post(api(qbo, "bill"), params={"minorversion": "75", **params}, json=body)


def test_create_read_and_wire_format(http: httpx.Client, qbo: Company):
    response = create_bill(http, qbo)
    assert response.status_code == 200
    assert response.headers["intuit_tid"]
    assert response.headers["content-type"].startswith("application/json")
    bill = response.json()["Bill"]
    assert bill["TotalAmt"] == 100.0 and '"TotalAmt":100.0' in response.text
    assert set(response.json()) == {"Bill", "time"}
    again = http.get(api(qbo, f"bill/{bill['Id']}"), params={"minorversion": "75"})
    assert again.json()["Bill"]["Id"] == bill["Id"]
    missing = http.get(api(qbo, "bill/99999"))
    assert missing.status_code == 400
    assert missing.json()["Fault"]["Error"][0]["code"] == "610"
    assert missing.json()["Fault"]["type"] == "ValidationFault" and "time" in missing.json()


def test_query_by_post_text_and_get(http: httpx.Client, qbo: Company):
    post = http.post(
        api(qbo, "query"),
        content="select * from Vendor maxresults 2",
        headers={"Content-Type": "application/text"},
    )
    assert post.json()["QueryResponse"]["maxResults"] == 2
    get = http.get(api(qbo, "query"), params={"query": "select * from Bill", "minorversion": "75"})
    assert get.status_code == 200
    assert set(get.json()) == {"QueryResponse", "time"} and get.json()["QueryResponse"] == {}
    bad = http.get(api(qbo, "query"), params={"query": "select * frm Bill"})
    assert bad.status_code == 400 and bad.json()["Fault"]["Error"][0]["code"] == "4000"


def test_minor_version(http: httpx.Client, qbo: Company):
    assert (
        http.get(api(qbo, "query"), params={"query": "select * from Term", "minorversion": "4"}).status_code
        == 200
    )
    assert (
        http.get(api(qbo, "query"), params={"query": "select * from Term", "minorversion": "999"}).status_code
        == 200
    )
    bad = http.get(api(qbo, "query"), params={"query": "select * from Term", "minorversion": "abc"})
    assert bad.status_code == 400 and bad.json()["Fault"]["Error"][0]["code"] == "2010"


def test_unauthenticated_calls_get_the_lowercase_401(http: httpx.Client, qbo: Company):
    response = http.get(api(qbo, "bill/1"), headers={"Authorization": "Bearer nope-not-a-token-at-all-x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
    body = response.json()
    assert "Fault" not in body
    error = body["fault"]["error"][0]
    assert error["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert error["code"] == "3200" and body["fault"]["type"] == "AUTHENTICATION"
    assert isinstance(body["time"], int)


def test_expired_token_and_other_company(http: httpx.Client, qbo: Company):
    qbo.state.advance_clock(3601)
    expired = http.get(api(qbo, "bill/1"))
    assert expired.status_code == 401
    assert expired.json()["fault"]["error"][0]["detail"].startswith("Token expired: ")
    other = qbo.state.seed_company(vendors=1)
    fresh = qbo.state.issue_tokens(qbo.client_id, qbo.realm)["access_token"]
    forbidden = http.get(f"/v3/company/{other}/vendor/1", headers={"Authorization": f"Bearer {fresh}"})
    assert forbidden.status_code == 403 and forbidden.json()["fault"]["error"][0]["code"] == "3100"


def test_requestid_replay_over_http(http: httpx.Client, qbo: Company):
    first = create_bill(http, qbo, requestid="abc-1")
    second = create_bill(http, qbo, requestid="abc-1")
    assert first.json() == second.json()
    assert qbo.state.query(qbo.realm, "select count(*) from Bill") == {"totalCount": 1}
    assert qbo.state.request_stats()["replayed"] == 1


def test_timeout_after_commit_in_process(http: httpx.Client, qbo: Company):
    qbo.state.set_faults(timeout_after_commit=1)
    with pytest.raises(httpx.ReadTimeout):
        create_bill(http, qbo, requestid="t-1")
    assert qbo.state.query(qbo.realm, "select count(*) from Bill") == {"totalCount": 1}  # committed
    retry = create_bill(http, qbo, requestid="t-1")
    assert retry.status_code == 200
    assert qbo.state.query(qbo.realm, "select count(*) from Bill") == {"totalCount": 1}


def test_throttle_and_injected_failures(http: httpx.Client, qbo: Company):
    qbo.state.set_faults(throttle_next=1, fail_next={"count": 1, "status": 503})
    throttled = http.get(api(qbo, "vendor/1"))
    assert throttled.status_code == 429
    assert throttled.json()["Fault"] == {
        "Error": [
            {
                "Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                "Detail": "The request limit was reached.  Try again later",
                "code": "3001",
                "element": "",
            }
        ],
        "type": "SERVICE",
    }
    failed = http.get(api(qbo, "vendor/1"))
    assert failed.status_code == 503 and failed.json()["Fault"]["type"] == "SystemFault"
    assert http.get(api(qbo, "vendor/1")).status_code == 200


def test_rate_limit_per_minute(http: httpx.Client, qbo: Company):
    qbo.state.set_limits(per_minute=3)
    statuses = [http.get(api(qbo, "vendor/1")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    qbo.state.advance_clock(61)
    assert http.get(api(qbo, "vendor/1")).status_code == 200
    assert qbo.state.request_stats()["by_status"] == {"200": 4, "429": 2}


def test_concurrency_limit(app: FastAPI, http: httpx.Client, qbo: Company):
    qbo.state.set_limits(concurrent=2)
    qbo.state.set_faults(latency_ms=300)
    statuses: list[int] = []
    headers = dict(http.headers)

    def call() -> None:
        with httpx.Client(
            transport=in_process_transport(app), base_url="http://qbo", headers=headers
        ) as client:
            statuses.append(client.get(api(qbo, "vendor/1")).status_code)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses).count(200) >= 2 and 429 in statuses


def test_batch_over_http(http: httpx.Client, qbo: Company):
    vendor, account = qbo.first("Vendor")["Id"], qbo.account("Expense")["Id"]
    items = [
        {"bId": f"b{i}", "operation": "create", "Bill": bill_payload(vendor, account, "1.00")}
        for i in range(3)
    ]
    for item in items:
        item["Bill"]["Line"][0]["Amount"] = "1.00"
    response = http.post(api(qbo, "batch"), json={"BatchItemRequest": items})
    assert response.status_code == 200
    assert [item["bId"] for item in response.json()["BatchItemResponse"]] == ["b0", "b1", "b2"]
    too_many = http.post(
        api(qbo, "batch"),
        json={"BatchItemRequest": [{"bId": str(i), "Query": "select * from Term"} for i in range(31)]},
    )
    assert too_many.status_code == 400 and too_many.json()["Fault"]["Error"][0]["code"] == "6000"
    assert qbo.state.request_stats()["by_kind"]["POST /batch"] == 2


def test_cdc_over_http(http: httpx.Client, qbo: Company):
    since = qbo.state.now().isoformat()
    bill = create_bill(http, qbo).json()["Bill"]
    response = http.get(api(qbo, "cdc"), params={"entities": "Bill", "changedSince": since})
    groups = response.json()["CDCResponse"][0]["QueryResponse"]
    assert groups[0]["Bill"][0]["Id"] == bill["Id"]


def test_delete_over_http(http: httpx.Client, qbo: Company):
    bill = create_bill(http, qbo).json()["Bill"]
    deleted = http.post(
        api(qbo, "bill"), params={"operation": "delete"}, json={"Id": bill["Id"], "SyncToken": "0"}
    )
    assert deleted.json()["Bill"] == {"status": "Deleted", "domain": "QBO", "Id": bill["Id"]}
    stats = qbo.state.request_stats()["by_kind"]
    assert stats["POST /bill?operation=delete"] == 1


def test_control_plane(app: FastAPI, qbo: Company):
    with httpx.Client(transport=in_process_transport(app), base_url="http://sandbox") as control:
        seeded = control.post("/_sandbox/seed", json={"vendors": 2}).json()
        assert seeded["platform"] == "quickbooks" and seeded["base_url"] == "http://sandbox"
        assert seeded["token_url"] == "http://sandbox/oauth2/v1/tokens/bearer"
        realm = seeded["realm_id"]
        assert control.post("/_sandbox/faults", json={"latency_ms": 5}).json()["latency_ms"] == 5
        assert control.post("/_sandbox/faults", json={"bogus": 1}).status_code == 400
        assert control.delete("/_sandbox/faults").json()["latency_ms"] == 0
        assert control.post("/_sandbox/clock", json={"advance_seconds": 60}).json()["offset_seconds"] == 60
        assert control.post("/_sandbox/limits", json={"per_minute": 10}).json()["per_minute"] == 10
        assert control.get("/_sandbox/requests").json()["total_api_calls"] == 0
        bill = qbo.state.create(
            realm,
            "Bill",
            bill_payload(
                "1",
                qbo.state.query(realm, "select * from Account where AccountType = 'Expense'")["Account"][0][
                    "Id"
                ],
            ),
        )
        paid = control.post(f"/_sandbox/companies/{realm}/bills/{bill['Id']}/pay", json={}).json()
        assert paid["BillPayment"]["TotalAmt"] == 100.0
        assert control.get(f"/_sandbox/companies/{realm}/bill/{bill['Id']}").json()["entity"]["Balance"] == 0
        memo = control.post(f"/_sandbox/companies/{realm}/vendor/1/edit", json={"Active": False}).json()
        assert memo["entity"]["Active"] is False
        closed = control.post(f"/_sandbox/companies/{realm}/settings", json={"book_close_date": "2020-12-31"})
        assert closed.json()["Preferences"]["AccountingInfoPrefs"]["BookCloseDate"] == "2020-12-31"
        assert control.get("/_sandbox/companies/nope/bill/1").status_code == 404
        assert control.post("/_sandbox/reset").json()["ok"] is True
        assert qbo.state.realm_ids() == []


def test_oauth_endpoints_in_process(app: FastAPI, qbo: Company):
    with httpx.Client(transport=in_process_transport(app), base_url="http://sandbox") as client:
        discovery = client.get("/.well-known/openid_configuration").json()
        assert discovery["token_endpoint"] == "http://sandbox/oauth2/v1/tokens/bearer"
        assert discovery["revocation_endpoint"] == "http://sandbox/v2/oauth2/tokens/revoke"
        auth = (qbo.client_id, qbo.client_secret)
        tokens = client.post(
            discovery["token_endpoint"],
            auth=auth,
            data={"grant_type": "refresh_token", "refresh_token": qbo.refresh_token},
        )
        assert tokens.status_code == 200 and tokens.headers["cache-control"] == "no-store"
        assert set(tokens.json()) == {
            "token_type",
            "access_token",
            "refresh_token",
            "expires_in",
            "x_refresh_token_expires_in",
        }
        bad = client.post(
            discovery["token_endpoint"],
            auth=(qbo.client_id, "wrong"),
            data={"grant_type": "refresh_token", "refresh_token": qbo.refresh_token},
        )
        assert (bad.status_code, bad.json()) == (401, {"error": "invalid_client"})
        info = client.get(
            "/v1/openid_connect/userinfo",
            headers={"Authorization": f"Bearer {tokens.json()['access_token']}"},
        )
        assert info.json()["realmid"] == qbo.realm
        revoked = client.post(
            discovery["revocation_endpoint"],
            auth=auth,
            content=json.dumps({"token": tokens.json()["refresh_token"]}),
            headers={"Content-Type": "application/json"},
        )
        assert revoked.status_code == 200
        again = client.post(
            discovery["token_endpoint"],
            auth=auth,
            data={"grant_type": "refresh_token", "refresh_token": tokens.json()["refresh_token"]},
        )
        assert again.json() == {
            "error": "invalid_grant",
            "error_description": "Incorrect or invalid refresh token",
        }


def test_mounted_under_a_prefix(qbo: Company):
    main = FastAPI()
    main.mount("/sandbox/quickbooks", create_app(qbo.state))
    transport = in_process_transport(main)
    with httpx.Client(transport=transport, base_url="http://billpay.local") as client:
        discovery = client.get("/sandbox/quickbooks/.well-known/openid_configuration").json()
        assert (
            discovery["token_endpoint"] == "http://billpay.local/sandbox/quickbooks/oauth2/v1/tokens/bearer"
        )
        token = qbo.state.issue_tokens(qbo.client_id, qbo.realm)["access_token"]
        vendor = client.get(
            f"/sandbox/quickbooks/v3/company/{qbo.realm}/vendor/1",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert vendor.status_code == 200 and vendor.json()["Vendor"]["Id"] == "1"
        seeded = client.post("/sandbox/quickbooks/_sandbox/seed", json={"vendors": 1}).json()
        assert seeded["base_url"] == "http://billpay.local/sandbox/quickbooks"
    # The sandbox app alone, reached through a base URL that carries the prefix.
    alone = in_process_transport(create_app(qbo.state), root_path="/sandbox/quickbooks")
    with httpx.Client(transport=alone, base_url="http://billpay.local/sandbox/quickbooks") as client:
        discovery = client.get("/.well-known/openid_configuration").json()
        assert discovery["issuer"] == "http://billpay.local/sandbox/quickbooks/op/v1"


def test_money_arrives_as_decimal_never_float(http: httpx.Client, qbo: Company):
    body = bill_payload(qbo.first("Vendor")["Id"], qbo.account("Expense")["Id"])
    raw = json.dumps({**body, "Line": [{**body["Line"][0], "Amount": 0.1}]}, default=str)
    raw = raw.replace('"Amount": 0.1', '"Amount": 0.10')
    bill = http.post(api(qbo, "bill"), content=raw, headers={"Content-Type": "application/json"}).json()[
        "Bill"
    ]
    stored = qbo.state.company(qbo.realm).get("Bill", bill["Id"])
    assert stored["TotalAmt"] == Decimal("0.10") and isinstance(stored["TotalAmt"], Decimal)


def json_bill(vendor: str, account: str, amount: str, **extra: str) -> dict:
    """``bill_payload`` as the JSON a client sends (amounts as strings)."""
    return json.loads(json.dumps(bill_payload(vendor, account, amount, **extra), default=str))


def test_multicurrency_rates_vendor_currency_and_home_amounts(http: httpx.Client, qbo: Company):
    qbo.state.set_company_settings(qbo.realm, multicurrency=True)
    prefs = http.get(api(qbo, "preferences")).json()["Preferences"]
    assert prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] is True
    qbo.state.set_exchange_rate(qbo.realm, "EUR", "1.0850")
    qbo.state.set_exchange_rate(qbo.realm, "EUR", "1.1000", as_of="2030-06-01")
    rate = http.get(api(qbo, "exchangerate"), params={"sourcecurrencycode": "EUR", "asofdate": "2030-06-02"})
    assert rate.status_code == 200 and rate.json()["ExchangeRate"]["Rate"] == 1.1
    assert rate.json()["ExchangeRate"]["TargetCurrencyCode"] == "USD"
    assert http.get(api(qbo, "exchangerate"), params={"sourcecurrencycode": "EUR", "asofdate": "2030-05-31"}
                    ).json()["ExchangeRate"]["Rate"] == 1.085
    eur = qbo.state.create(qbo.realm, "Vendor", {"DisplayName": "Rhône Fournitures", "CurrencyRef": {"value": "EUR"}})
    account = qbo.account("Expense")["Id"]    # a bill is in its vendor's currency
    usd_vendor_in_eur = http.post(api(qbo, "bill"), json={**json_bill(qbo.first("Vendor")["Id"], account, "10.00"),
                                                          "CurrencyRef": {"value": "EUR"}})
    assert usd_vendor_in_eur.status_code == 400 and "vendor's currency" in usd_vendor_in_eur.text
    body = {**json_bill(eur["Id"], account, "200.00", TxnDate="2030-06-03"), "CurrencyRef": {"value": "EUR"}}
    bill = http.post(api(qbo, "bill"), json=body).json()["Bill"]
    assert bill["ExchangeRate"] == 1.1 and bill["HomeTotalAmt"] == 220.0 and bill["HomeBalance"] == 220.0
    stated = http.post(api(qbo, "bill"), json={**body, "DocNumber": "EU-7", "ExchangeRate": "1.07"}).json()["Bill"]
    assert stated["ExchangeRate"] == 1.07 and stated["HomeTotalAmt"] == 214.0
    # paid in euros from the dollar account at the pay date's rate: the bill closes, in both currencies
    payment = {"VendorRef": {"value": eur["Id"]}, "PayType": "Check", "TotalAmt": "200.00", "TxnDate": "2030-06-03",
               "CurrencyRef": {"value": "EUR"}, "CheckPayment": {"BankAccountRef": {"value": qbo.account("Bank")["Id"]}},
               "Line": [{"Amount": "200.00", "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]}
    paid = http.post(api(qbo, "billpayment"), json=payment)
    assert paid.status_code == 200, paid.text
    after = http.get(api(qbo, f"bill/{bill['Id']}")).json()["Bill"]
    assert after["Balance"] == 0 and after["HomeBalance"] == 0
    # a home-currency bill carries no rate
    home = http.post(api(qbo, "bill"), json=json_bill(qbo.first("Vendor")["Id"], account, "5.00")).json()["Bill"]
    assert "ExchangeRate" not in home and home["CurrencyRef"]["value"] == "USD"
