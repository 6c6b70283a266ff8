"""Entra ID sign-in as the Business Central sandbox answers it, and the 401/403 BC gives on API calls."""
from __future__ import annotations

import base64
import json

from billpay.sandboxes.business_central.identity import TOKEN_LIFETIME

from .business_central_support import SCOPE


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_client_credentials_as_form_fields_give_a_one_hour_jwt_for_the_tenant(bc):
    response = bc.http.post(bc.info["token_url"], data={
        "grant_type": "client_credentials", "client_id": bc.info["client_id"],
        "client_secret": bc.info["client_secret"], "scope": SCOPE})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and "refresh_token" not in body
    claims = _claims(body["access_token"])
    assert claims["tid"] == bc.info["tenant_id"] and claims["appid"] == bc.info["client_id"]
    assert claims["aud"] == "https://api.businesscentral.dynamics.com" and "API.ReadWrite.All" in claims["roles"]
    assert claims["exp"] - claims["iat"] == TOKEN_LIFETIME.total_seconds()


def test_client_credentials_by_http_basic(bc):
    response = bc.http.post(bc.info["token_url"], data={"grant_type": "client_credentials", "scope": SCOPE},
                            auth=(bc.info["client_id"], bc.info["client_secret"]))
    assert response.status_code == 200 and response.json()["access_token"]


def test_token_endpoint_refusals_carry_aadsts_numbers(bc):
    wrong_secret = bc.http.post(bc.info["token_url"], data={
        "grant_type": "client_credentials", "client_id": bc.info["client_id"], "client_secret": "nope",
        "scope": SCOPE})
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client" and wrong_secret.json()["error_codes"] == [7000215]
    assert wrong_secret.json()["error_description"].startswith("AADSTS7000215:")
    wrong_scope = bc.http.post(bc.info["token_url"], data={
        "grant_type": "client_credentials", "client_id": bc.info["client_id"],
        "client_secret": bc.info["client_secret"], "scope": "https://graph.microsoft.com/.default"})
    assert wrong_scope.status_code == 400 and wrong_scope.json()["error"] == "invalid_scope"
    unknown_tenant = bc.http.post("/00000000-1111-2222-3333-444444444444/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": bc.info["client_id"],
        "client_secret": bc.info["client_secret"], "scope": SCOPE})
    assert unknown_tenant.status_code == 400 and 90002 in unknown_tenant.json()["error_codes"]
    grant = bc.http.post(bc.info["token_url"], data={"grant_type": "password", "scope": SCOPE})
    assert grant.json()["error"] == "unsupported_grant_type"


def test_openid_configuration_lists_https_endpoints_on_the_authority_host(bc):
    tenant = bc.info["tenant_id"]
    doc = bc.http.get(f"/{tenant}/v2.0/.well-known/openid-configuration").json()
    assert doc["token_endpoint"] == f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
    assert doc["issuer"] == f"https://login.microsoftonline.com/{tenant}/v2.0"
    assert all(v.startswith("https://") for k, v in doc.items() if k.endswith("_endpoint"))
    behind_proxy = bc.http.get(f"/{tenant}/v2.0/.well-known/openid-configuration",
                               headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "login.example.org"}).json()
    assert behind_proxy["token_endpoint"] == f"https://login.example.org/{tenant}/oauth2/v2.0/token"
    assert bc.http.get("/no-such-tenant/v2.0/.well-known/openid-configuration").status_code == 400


def test_instance_discovery_names_the_tenant_discovery_endpoint(bc):
    body = bc.http.get("/common/discovery/instance", params={
        "api-version": "1.1", "authorization_endpoint": "https://login.microsoftonline.com/contoso.com/oauth2/authorize"
    }).json()
    assert body["tenant_discovery_endpoint"] == \
        "https://login.microsoftonline.com/contoso.com/v2.0/.well-known/openid-configuration"
    assert "login.microsoftonline.com" in body["metadata"][0]["aliases"]


def _api_error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and "CorrelationId:" in error["message"]
    return error["message"]


def test_every_api_call_needs_a_valid_token_for_the_tenant(bc):
    assert bc.request("GET", "vendors").status_code == 200
    missing = bc.http.get(f"{bc.company}/vendors")
    _api_error(missing, 401, "Authentication_InvalidCredentials")
    assert 'error="invalid_token"' in missing.headers["WWW-Authenticate"]
    _api_error(bc.request("GET", "vendors", token="not.a.jwt"), 401, "Authentication_InvalidCredentials")
    token = bc.token()
    bc.state.advance_clock(TOKEN_LIFETIME.total_seconds() + 1)
    assert "expired" in _api_error(bc.request("GET", "vendors", token=token), 401, "Authentication_InvalidCredentials")
    other = bc.state.seed("http://bc.sandbox.test")  # another tenant with its own app
    foreign = bc.http.post(other["token_url"], data={"grant_type": "client_credentials", "scope": SCOPE,
                                                     "client_id": other["client_id"],
                                                     "client_secret": other["client_secret"]}).json()["access_token"]
    message = _api_error(bc.request("GET", "vendors", token=foreign), 401, "Authentication_InvalidCredentials")
    assert "another tenant" in message


def test_expire_tokens_fault_makes_issued_tokens_fail(bc):
    token = bc.token()
    assert bc.request("GET", "vendors", token=token).status_code == 200
    assert bc.http.post("/_sandbox/faults", json={"expire_tokens": True}).status_code == 200
    bc.state.advance_clock(1)
    _api_error(bc.request("GET", "vendors", token=token), 401, "Authentication_InvalidCredentials")
    assert bc.request("GET", "vendors").status_code == 200  # a new token works


def test_the_app_must_be_consented_and_enabled_in_business_central(bc):
    tenant, env = bc.info["tenant_id"], bc.info["environment"]
    app = bc.http.post(f"/_sandbox/tenants/{tenant}/apps", json={"display_name": "late"}).json()
    def token_of(a):
        return bc.http.post(bc.info["token_url"], data={"grant_type": "client_credentials", "scope": SCOPE,
                                                        "client_id": a["client_id"],
                                                        "client_secret": a["client_secret"]}).json()["access_token"]
    message = _api_error(bc.request("GET", "vendors", token=token_of(app)), 401, "Authentication_InvalidCredentials")
    assert "API.ReadWrite.All" in message
    assert bc.http.post(f"/_sandbox/apps/{app['client_id']}/consent", json={}).status_code == 200
    message = _api_error(bc.request("GET", "vendors", token=token_of(app)), 401, "Authentication_InvalidCredentials")
    assert "Microsoft Entra Applications" in message
    card = f"/_sandbox/tenants/{tenant}/environments/{env}/entra-applications/{app['client_id']}"
    assert bc.http.put(card, json={"permission_sets": ["SUPER"]}).status_code == 400
    assert bc.http.put(card, json={"permission_sets": ["D365 READ"]}).status_code == 200
    reader = token_of(app)
    assert bc.request("GET", "vendors", token=reader).status_code == 200
    _api_error(bc.request("POST", "purchaseInvoices", bc.invoice_body(), token=reader), 403,
               "Authorization_InsufficientPermissions")
    assert bc.http.put(card, json={"state": "Disabled", "permission_sets": ["D365 AUTOMATION"]}).status_code == 200
    _api_error(bc.request("GET", "vendors", token=reader), 401, "Authentication_InvalidCredentials")


def test_delegated_refresh_token_grant_for_clients_that_use_it(bc):
    refresh = bc.http.post("/_sandbox/refresh-tokens", json={"client_id": bc.info["client_id"],
                                                             "tenant_id": bc.info["tenant_id"]}).json()["refresh_token"]
    response = bc.http.post("/organizations/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh, "client_id": bc.info["client_id"],
        "client_secret": bc.info["client_secret"]})
    assert response.status_code == 200 and response.json()["refresh_token"] == refresh
    assert bc.request("GET", "vendors", token=response.json()["access_token"]).status_code == 200
    bad = bc.http.post("/organizations/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "refresh_token": "0.nope", "client_id": bc.info["client_id"],
        "client_secret": bc.info["client_secret"]})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
