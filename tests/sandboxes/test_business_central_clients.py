"""Third-party clients against a real Business Central sandbox server: ``msal`` for Entra ID tokens and
the ``ms-dynamics-business-central-sdk`` (1.7.0) client, both redirected as platform-clients.md shows."""
from __future__ import annotations

import msal
import pytest
import requests
from dynamics.core.client import Dynamics
from dynamics.exceptions.dynamics_exceptions import WrongParamsError

from billpay.sandboxes.business_central import BusinessCentralState, create_app
from billpay.sandboxes.core import BackgroundServer

SCOPE = "https://api.businesscentral.dynamics.com/.default"


@pytest.fixture(scope="module")
def server():
    state = BusinessCentralState()
    with BackgroundServer(create_app(state)) as srv:
        yield state, srv.base_url, state.seed(srv.base_url)


def _msal_app(base_url: str, info: dict) -> msal.ConfidentialClientApplication:
    class Rewrite(requests.Session):
        def request(self, method, url, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
            return super().request(method, url.replace("https://login.microsoftonline.com", base_url), *a, **k)

    return msal.ConfidentialClientApplication(info["client_id"], client_credential=info["client_secret"],
                                              authority=f"https://login.microsoftonline.com/{info['tenant_id']}",
                                              http_client=Rewrite())


@pytest.fixture(scope="module")
def dynamics(server):
    state, base_url, info = server
    token = _msal_app(base_url, info).acquire_token_for_client(scopes=[SCOPE])
    assert "access_token" in token, token

    class Redirected(Dynamics):
        TOKEN_URL = f"{base_url}/organizations/oauth2/v2.0/token?resource=https://api.businesscentral.dynamics.com"
        BASE_URL = f"{base_url}/v2.0/{{environment}}/api/v2.0"
        API_URL = base_url

    # the client's constructor signs in with a delegated refresh token; the app token from msal replaces it
    refresh = state.issue_refresh_token(info["client_id"], info["tenant_id"])
    client = Redirected(client_id=info["client_id"], client_secret=info["client_secret"], refresh_token=refresh,
                        environment=info["environment"], company_id=info["company_id"])
    client.update_access_token(token["access_token"])
    return client


def test_msal_acquires_a_token_through_discovery_and_caches_it(server):
    state, base_url, info = server
    app = _msal_app(base_url, info)
    first = app.acquire_token_for_client(scopes=[SCOPE])
    again = app.acquire_token_for_client(scopes=[SCOPE])
    assert first["token_type"] == "Bearer" and first["expires_in"] > 3000
    assert again["access_token"] == first["access_token"] and again.get("token_source") == "cache"
    wrong = msal.ConfidentialClientApplication(
        info["client_id"], client_credential="not-the-secret",
        authority=f"https://login.microsoftonline.com/{info['tenant_id']}", http_client=app.http_client)
    refused = wrong.acquire_token_for_client(scopes=[SCOPE])
    assert refused["error"] == "invalid_client" and 7000215 in refused["error_codes"]


def test_sdk_lists_vendors_accounts_and_dimensions(dynamics, server):
    state, _, info = server
    vendors = dynamics.vendors.get_all()
    assert {v["id"] for v in vendors} == {v["id"] for v in state.company(info["company_id"]).rows("vendors")}
    assert dynamics.vendors.count() == len(vendors)  # $count as plain text
    assert any(a["number"] == "60100" for a in dynamics.accounts.get_all())
    dims = dynamics.dimensions.get_all_dimensions()
    assert {d["code"] for d in dims} == {"DEPARTMENT", "PROJECT", "AREA"} and dynamics.dimensions.count() == 3
    department = next(d for d in dims if d["code"] == "DEPARTMENT")
    values = dynamics.dimensions.get_all_dimension_values(department["id"])
    assert {v["code"] for v in values} >= {"SALES", "ADM"}
    assert dynamics.dimensions.count_dimension_values(department["id"]) == len(values)
    filtered = dynamics.purchase_invoices.get_all(**{"$filter": "status eq 'Open' and lastModifiedDateTime gt "
                                                                "2020-01-01T00:00:00Z"})
    assert filtered == []


def test_sdk_creates_a_purchase_invoice_with_lines_by_batch_and_dimensions_then_deletes_it(dynamics, server):
    state, _, info = server
    vendor = dynamics.vendors.get_all()[0]
    invoice = dynamics.purchase_invoices.post({"vendorNumber": vendor["number"], "invoiceDate": "2024-05-01",
                                               "postingDate": "2024-05-01", "vendorInvoiceNumber": "SDK-1"})
    assert invoice["status"] == "Draft"
    lines = [{"lineType": "Account", "lineObjectNumber": "60100", "quantity": 1, "unitCost": 75.5,
              "description": "Cloud hosting", "description2": "May"},
             {"lineType": "Account", "lineObjectNumber": "60300", "quantity": 2, "unitCost": 10,
              "description": "Seats"}]
    batch = dynamics.purchase_invoice_line_items.bulk_post(invoice["id"], lines, info["company_id"])
    assert [r["status"] for r in batch["responses"]] == [201, 201]
    department = next(d for d in dynamics.dimensions.get_all_dimensions() if d["code"] == "DEPARTMENT")
    line_id = batch["responses"][0]["body"]["id"]
    dim = dynamics.purchase_invoice_line_items.post_purchase_invoice_dimensions(
        line_id, {"id": department["id"], "code": "DEPARTMENT", "valueCode": "SALES"})
    assert dim["valueCode"] == "SALES" and dim["parentType"] == "Purchase Invoice Line"
    read = dynamics.purchase_invoice_line_items.get_all(invoice["id"])
    assert [ln["description"] for ln in read] == ["Cloud hosting", "Seats"]
    stored = state.company(info["company_id"]).get("purchaseInvoices", invoice["id"])
    assert str(stored["totalAmountIncludingTax"]) == "95.50"
    # the client's second batch goes to "$batch?company=X?company=X" (its own bug): tolerated
    again = dynamics.purchase_invoice_line_items.bulk_post(invoice["id"], lines[:1], info["company_id"])
    assert [r["status"] for r in again["responses"]] == [201]
    # an inner 4xx makes the client delete the draft, as it does against BC
    with pytest.raises(WrongParamsError):
        dynamics.purchase_invoice_line_items.bulk_post(
            invoice["id"], [{"lineType": "Account", "lineObjectNumber": "99999", "quantity": 1, "unitCost": 1}],
            info["company_id"])
    assert state.company(info["company_id"]).get("purchaseInvoices", invoice["id"]) is None
    second = dynamics.purchase_invoices.post({"vendorId": vendor["id"], "vendorInvoiceNumber": "SDK-2"})
    assert dynamics.purchase_invoices.delete(second["id"]) == {"status": "success"}
