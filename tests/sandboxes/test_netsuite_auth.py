"""NetSuite sandbox sign-in: TBA (OAuth 1.0a, HMAC-SHA256) and OAuth 2.0 client credentials."""
from __future__ import annotations

import json

import httpx
import oauthlib.oauth1
import pytest

from billpay.sandboxes.netsuite import auth
from billpay.sandboxes.netsuite.errors import INVALID_LOGIN_DETAIL

from .netsuite_support import BASE, REST, assertion, client, ns_error, seeded, tba

SUITEQL = {"q": "SELECT id FROM subsidiary"}
TRANSIENT = {"Prefer": "transient"}


def test_oracle_signature_test_vector():
    base = auth.signature_base_string("GET", "https://123456.suitetalk.api.netsuite.com/services/rest/record/v1/employee/40", [
        ("oauth_consumer_key", "ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4"),
        ("oauth_nonce", "fjaLirsIcCGVZWzBX0pg"), ("oauth_signature_method", "HMAC-SHA256"),
        ("oauth_timestamp", "1508242306"),
        ("oauth_token", "2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc"), ("oauth_version", "1.0")])
    signature = auth.sign(base, "d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5",
                          "c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295")
    assert signature == "B5OIWznZ2YP0OB7VrJrGkYsTh+8H+5T9Hag+o92q0zY="


def test_signed_requests_pass_with_any_realm_spelling_and_body_hash():
    company = seeded()
    for realm in (company.account_id, company.account_id.lower().replace("_", "-")):
        with client(company, tba(company.info, realm=realm)) as http:
            r = http.post(REST + "/query/v1/suiteql", json=SUITEQL, headers=TRANSIENT)
            assert r.status_code == 200, r.text
            assert "oauth_body_hash" in r.request.headers["authorization"]


def test_body_without_hash_is_accepted_but_a_wrong_hash_is_not():
    company = seeded()
    signer = oauthlib.oauth1.Client(company.info["consumer_key"], company.info["consumer_secret"],
                                    company.info["token_id"], company.info["token_secret"],
                                    signature_method=oauthlib.oauth1.SIGNATURE_HMAC_SHA256,
                                    realm=company.account_id)
    content = json.dumps(SUITEQL).encode()
    _, headers, _ = signer.sign(REST + "/query/v1/suiteql", "POST")  # signed without the body: no hash
    with client(company, auth=httpx.Auth()) as http:
        r = http.post(REST + "/query/v1/suiteql", content=content, headers={**headers, **TRANSIENT})
        assert r.status_code == 200, r.text
        assert "oauth_body_hash" not in r.request.headers["authorization"]
    signed = httpx.Request("POST", REST + "/query/v1/suiteql", json=SUITEQL, headers=TRANSIENT)
    signed = next(tba(company.info).auth_flow(signed))
    tampered = httpx.Request("POST", signed.url, headers=signed.headers, content=b'{"q": "SELECT id FROM vendor"}')
    with client(company, auth=httpx.Auth()) as http:
        r = http.send(tampered)
    assert ns_error(r) == (401, "INVALID_LOGIN") and r.json()["o:errorDetails"][0]["detail"] == INVALID_LOGIN_DETAIL
    assert "body_hash" in r.headers["x-sandbox-login-audit"]


def _replayable(company, **overrides) -> httpx.Request:
    request = httpx.Request("GET", REST + "/record/v1/subsidiary", params={"limit": "5"})
    return next(tba(company.info, **overrides).auth_flow(request))


def test_nonce_reuse_stale_timestamp_bad_signature_and_revoked_token_get_401():
    company = seeded()
    with client(company, auth=httpx.Auth()) as http:
        signed = _replayable(company)
        assert http.send(signed).status_code == 200
        again = http.send(signed)
        assert ns_error(again) == (401, "INVALID_LOGIN") and "nonce" in again.headers["x-sandbox-login-audit"]

        company.state.advance_clock(600)
        stale = http.send(_replayable(company))
        assert ns_error(stale) == (401, "INVALID_LOGIN") and "timestamp" in stale.headers["x-sandbox-login-audit"]
        company.state.advance_clock(-600)

        forged = http.send(_replayable(company, client_secret="not-the-secret"))
        assert ns_error(forged) == (401, "INVALID_LOGIN") and "signature" in forged.headers["x-sandbox-login-audit"]

        company.state.revoke_tokens(company.account_id)
        revoked = http.send(_replayable(company))
        assert ns_error(revoked) == (401, "INVALID_LOGIN")
        assert any(word in revoked.headers["x-sandbox-login-audit"] for word in ("revoked", "disabled"))


def test_signature_base_url_is_the_address_the_client_used_behind_a_proxy():
    company = seeded()
    public = "https://erp.example.com"
    request = next(tba(company.info).auth_flow(httpx.Request("GET", public + "/services/rest/record/v1/vendor")))
    with client(company, auth=httpx.Auth(), base="http://10.0.0.5:8080") as http:
        internal = httpx.Request("GET", "http://10.0.0.5:8080/services/rest/record/v1/vendor",
                                 headers={**request.headers, "X-Forwarded-Host": "erp.example.com",
                                          "X-Forwarded-Proto": "https", "host": "10.0.0.5:8080"})
        r = http.send(internal)
        assert r.status_code == 200, r.text
        assert r.json()["items"][0]["links"][0]["href"].startswith(public + "/services/rest/record/v1/vendor/")
        unproxied = httpx.Request("GET", "http://10.0.0.5:8080/services/rest/record/v1/vendor",
                                  headers={k: v for k, v in request.headers.items() if k != "host"})
        assert ns_error(http.send(unproxied)) == (401, "INVALID_LOGIN")


def _token(http: httpx.Client, info: dict, **kw) -> httpx.Response:
    return http.post(info["token_url"], data={
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion(info, **kw)})


def test_oauth2_client_credentials_give_a_60_minute_bearer_token():
    company = seeded()
    now = company.state.now().timestamp()
    with client(company, auth=httpx.Auth()) as http:
        r = _token(http, company.info, now=now)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["expires_in"] == 3600 and body["token_type"] == "bearer" and "refresh_token" not in body
        bearer = {"Authorization": f"Bearer {body['access_token']}", **TRANSIENT}
        assert http.post(REST + "/query/v1/suiteql", json=SUITEQL, headers=bearer).status_code == 200
        company.state.advance_clock(3601)
        assert ns_error(http.post(REST + "/query/v1/suiteql", json=SUITEQL, headers=bearer)) == (401, "INVALID_LOGIN")


@pytest.mark.parametrize("case, expected", [
    ({"aud": BASE + "/elsewhere"}, "invalid_grant"),
    ({"lifetime": 7200}, "invalid_grant"),
    ({"kid": "unknown-certificate"}, "invalid_client"),
])
def test_bad_client_assertions_are_refused(case, expected):
    company = seeded()
    with client(company, auth=httpx.Auth()) as http:
        r = _token(http, company.info, now=company.state.now().timestamp(), **case)
    assert r.status_code in (400, 401) and r.json()["error"] == expected


def test_an_assertion_is_single_use():
    company = seeded()
    now = company.state.now().timestamp()
    with client(company, auth=httpx.Auth()) as http:
        assert _token(http, company.info, now=now).status_code == 200
        assert _token(http, company.info, now=now).json()["error"] == "invalid_grant"


def test_no_credentials_at_all():
    company = seeded()
    with client(company, auth=httpx.Auth()) as http:
        assert ns_error(http.get(REST + "/record/v1/vendor")) == (401, "INVALID_LOGIN")
