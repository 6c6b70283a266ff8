"""Fixtures for the sandbox tests: a seeded QuickBooks state, an in-process
HTTP client, and a real uvicorn server on a free port."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from billpay.sandboxes.core import BackgroundServer
from billpay.sandboxes.quickbooks import QuickBooksState, create_app, in_process_transport

from .business_central_support import BC, open_bc


@dataclass
class Company:
    state: QuickBooksState
    realm: str
    client_id: str
    client_secret: str
    refresh_token: str

    def first(self, entity: str, **where: str) -> dict:
        clause = " AND ".join(f"{k} = '{v}'" for k, v in where.items())
        text = f"select * from {entity}" + (f" where {clause}" if clause else "")
        return self.state.query(self.realm, text)[entity][0]

    def account(self, account_type: str) -> dict:
        return self.first("Account", AccountType=account_type)


def seeded(state: QuickBooksState, vendors: int = 5) -> Company:
    realm = state.seed_company(vendors=vendors)
    client_id, secret = state.register_client()
    return Company(state, realm, client_id, secret, state.issue_refresh_token(client_id, realm))


@pytest.fixture
def qbo() -> Company:
    return seeded(QuickBooksState())


@pytest.fixture
def app(qbo: Company):
    return create_app(qbo.state)


@pytest.fixture
def http(qbo: Company, app) -> httpx.Client:
    """An httpx client on the in-process transport, already holding an access token."""
    tokens = qbo.state.issue_tokens(qbo.client_id, qbo.realm)
    client = httpx.Client(
        transport=in_process_transport(app),
        base_url="http://qbo.sandbox.test",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
    )
    yield client
    client.close()


@pytest.fixture
def bc() -> BC:
    """A seeded Business Central sandbox and an in-process client on it."""
    yield from open_bc()


@pytest.fixture(scope="module")
def live_state() -> QuickBooksState:
    return QuickBooksState()


@pytest.fixture(scope="module")
def live_server(live_state: QuickBooksState):
    with BackgroundServer(create_app(live_state)) as server:
        yield server


def bill_payload(vendor_id: str, account_id: str, amount: str = "100.00", **extra: object) -> dict:
    from decimal import Decimal

    return {
        "VendorRef": {"value": vendor_id},
        "Line": [
            {
                "DetailType": "AccountBasedExpenseLineDetail",
                "Amount": Decimal(amount),
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": account_id}},
            }
        ],
        **extra,
    }
