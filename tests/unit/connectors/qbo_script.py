"""A scripted QuickBooks Online endpoint for unit tests (``httpx.MockTransport``).

Tests register answers per route; every request is recorded. Payloads are
shaped as Intuit documents them (see the reference samples quoted in the
tests). This is deliberately dumb: behaviour lives in the tests, the full
simulator is ``billpay.sandboxes.quickbooks`` (used by ``tests/contract``).
"""
from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

import httpx

from billpay.connectors.base import InMemoryTokenStore, OAuthTokens
from billpay.connectors.base.codec import dumps, loads
from billpay.connectors.quickbooks import QuickBooksConnector

BASE = "https://qbo.test/v3"
TOKEN_URL = "https://oauth.test/oauth2/v1/tokens/bearer"
REALM = "9130"
NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
TIME = "2024-05-01T05:00:00.000-07:00"  # = NOW in QuickBooks' Pacific time

Handler = Callable[[httpx.Request], httpx.Response]


def respond(body: Any = None, status: int = 200, headers: dict | None = None) -> httpx.Response:
    content = b"" if body is None else dumps(body).encode()
    return httpx.Response(status, content=content, headers={"content-type": "application/json", **(headers or {})})


def fault(code: str, message: str, detail: str = "", status: int = 400, element: str = "",
          fault_type: str = "ValidationFault") -> httpx.Response:
    return respond({"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code,
                                         "element": element}], "type": fault_type}, "time": TIME}, status)


@dataclass
class Route:
    method: str
    path: str  # suffix after /company/{realm}/ or the token URL path
    answers: list[Handler | httpx.Response]
    match: Callable[[httpx.Request], bool] | None = None


@dataclass
class Script:
    routes: list[Route] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, path: str, *answers: Handler | httpx.Response,
           match: Callable[[httpx.Request], bool] | None = None) -> Script:
        self.routes.insert(0, Route(method, path, list(answers), match))
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        for route in self.routes:
            if request.method != route.method or not _path(request).endswith(route.path):
                continue
            if route.match is not None and not route.match(request):
                continue
            # Answers are used in order; the last one repeats.
            answer = route.answers[0] if len(route.answers) == 1 else route.answers.pop(0)
            return answer(request) if callable(answer) else answer
        return fault("4000", "No route in test script", f"{request.method} {request.url}", 400)

    # -- inspection helpers --------------------------------------------------------
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if "/company/" in r.url.path]

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and _path(r).endswith(path)]


def _path(request: httpx.Request) -> str:
    return request.url.path


def body_of(request: httpx.Request) -> Any:
    return loads(request.content)


def query_of(request: httpx.Request) -> str:
    return request.url.params.get("query", "")


def form_of(request: httpx.Request) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(request.content.decode()))


def fresh_tokens(access: str = "access-0", refresh: str = "refresh-0",
                 expires_at: dt.datetime | None = None) -> OAuthTokens:
    return OAuthTokens(access_token=access, refresh_token=refresh,
                       expires_at=expires_at or NOW + dt.timedelta(hours=1))


def token_answer(access: str, refresh: str) -> httpx.Response:
    return respond({"token_type": "bearer", "access_token": access, "refresh_token": refresh,
                    "expires_in": 3600, "x_refresh_token_expires_in": 8726400})


def preferences(home: str = "USD", multicurrency: bool = False) -> httpx.Response:
    return respond({"Preferences": {"CurrencyPrefs": {"HomeCurrency": {"value": home},
                                                      "MultiCurrencyEnabled": multicurrency}},
                    "time": TIME})


def query_answer(entity: str, rows: list[dict], start: int = 1) -> httpx.Response:
    if not rows:
        return respond({"QueryResponse": {}, "time": TIME})
    return respond({"QueryResponse": {entity: rows, "startPosition": start, "maxResults": len(rows)},
                    "time": TIME})


@dataclass
class Rig:
    script: Script
    connector: QuickBooksConnector
    store: InMemoryTokenStore
    sleeps: list[float]


def make_rig(script: Script | None = None, *, tokens: OAuthTokens | None = None,
             max_retries: int = 4, with_prefs: bool = True, **kwargs: Any) -> Rig:
    script = script or Script()
    if with_prefs:
        script.on("GET", "/preferences", preferences())
    store = InMemoryTokenStore(tokens or fresh_tokens())
    sleeps: list[float] = []
    connector = QuickBooksConnector(
        httpx.Client(transport=httpx.MockTransport(script)),
        base_url=BASE, token_url=TOKEN_URL, realm_id=REALM,
        client_id="client-id", client_secret="client-secret-value",
        tokens=store, sleep=sleeps.append, max_retries=max_retries, now=lambda: NOW, **kwargs,
    )
    connector.retry.random = lambda: 0.5
    return Rig(script, connector, store, sleeps)


def bill_row(bill_id: str, *, amount: str = "200.00", balance: str | None = None,
             txn_date: str = "2024-04-01", note: str | None = None, sync_token: str = "0",
             vendor: str = "56", doc: str | None = None, linked: list[dict] | None = None) -> dict:
    row: dict = {
        "Id": bill_id, "SyncToken": sync_token, "domain": "QBO",
        "VendorRef": {"value": vendor, "name": "Bob's Burger Joint"},
        "TxnDate": txn_date, "DueDate": "2024-05-01", "DocNumber": doc or f"INV-{bill_id}",
        "TotalAmt": Decimal(amount), "Balance": Decimal(balance if balance is not None else amount),
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "APAccountRef": {"name": "Accounts Payable (A/P)", "value": "33"},
        "Line": [{"Id": "1", "DetailType": "AccountBasedExpenseLineDetail", "Amount": Decimal(amount),
                  "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7", "name": "Advertising"},
                                                    "BillableStatus": "NotBillable"}}],
        "MetaData": {"CreateTime": "2024-04-01T09:59:18-07:00", "LastUpdatedTime": "2024-04-02T09:59:18-07:00"},
    }
    if note is not None:
        row["PrivateNote"] = note
    if linked:
        row["LinkedTxn"] = linked
    return row

