"""Shared pieces of the Business Central sandbox tests: a seeded state, a signed-in in-process client."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator

import httpx

from billpay.connectors.base import codec
from billpay.sandboxes.business_central import BusinessCentralState, create_app, in_process_transport

BASE = "http://bc.sandbox.test"
SCOPE = "https://api.businesscentral.dynamics.com/.default"


@dataclass
class BC:
    state: BusinessCentralState
    info: dict
    http: httpx.Client

    @property
    def root(self) -> str:
        return f"/v2.0/{self.info['tenant_id']}/{self.info['environment']}/api/v2.0"

    @property
    def company(self) -> str:
        return f"{self.root}/companies({self.info['company_id']})"

    def token(self, **overrides: str) -> str:
        form = {"grant_type": "client_credentials", "client_id": self.info["client_id"],
                "client_secret": self.info["client_secret"], "scope": SCOPE, **overrides}
        response = self.http.post(self.info["token_url"], data=form)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def request(self, method: str, path: str, body: object = None, *, token: str | None = None,
                headers: dict | None = None, **kw) -> httpx.Response:
        all_headers = {"Authorization": f"Bearer {token or self.token()}", **(headers or {})}
        content = None
        if body is not None:
            content = codec.dumps(body)
            all_headers.setdefault("Content-Type", "application/json")
        url = path if path.startswith(("http", "/v2.0")) else f"{self.company}/{path}"
        return self.http.request(method, url, content=content, headers=all_headers, **kw)

    def vendor(self, n: int = 0) -> dict:
        return list(self.state.company(self.info["company_id"]).rows("vendors"))[n]

    def account(self, number: str = "60100") -> dict:
        return self.state.company(self.info["company_id"]).find("accounts", number=number)

    def dimension(self, code: str) -> tuple[dict, list[dict]]:
        c = self.state.company(self.info["company_id"])
        dim = c.find("dimensions", code=code)
        return dim, c.children("dimensionValues", dim["id"])

    def journal(self, code: str = "CHECKING") -> dict:
        return self.state.company(self.info["company_id"]).find("journals", code=code)

    def invoice_body(self, number: str = "INV-1", amount: str = "100.00", **extra: object) -> dict:
        body = {"vendorId": self.vendor()["id"], "vendorInvoiceNumber": number, "invoiceDate": "2024-05-01",
                "purchaseInvoiceLines": [{"lineType": "Account", "lineObjectNumber": "60100", "quantity": 1,
                                          "unitCost": Decimal(amount), "description": "Services"}]}
        body.update(extra)
        return body


def open_bc() -> Iterator[BC]:
    """A seeded sandbox and a client on it (the ``bc`` fixture of ``conftest.py``)."""
    state = BusinessCentralState()
    info = state.seed(BASE)
    http = httpx.Client(transport=in_process_transport(create_app(state)), base_url=BASE)
    yield BC(state, info, http)
    http.close()
