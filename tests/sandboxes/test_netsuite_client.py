"""The ``netsuite`` client from PyPI (0.12.0), redirected to the sandbox, does the whole bill cycle.

Redirected the way its own docs allow: a subclass overriding ``_make_url``. The client opens its own
``httpx.AsyncClient`` per call, so the sandbox runs as a real server on a free local port; authlib
refuses plain http unless ``AUTHLIB_INSECURE_TRANSPORT`` is set.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from netsuite.exceptions import NetsuiteAPIRequestError
from netsuite.rest_api import NetSuiteRestApi

from billpay.sandboxes.core import BackgroundServer
from billpay.sandboxes.netsuite import NetSuiteState, create_app
from netsuite import Config, TokenAuth


def run(coro):  # noqa: ANN001, ANN201
    """``asyncio.run`` on a thread of its own: the client is async, and another suite's fixture (Playwright's
    synchronous API, session-wide) may keep an event loop running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="module")
def served():
    state = NetSuiteState()
    account = state.seed_account()
    with BackgroundServer(create_app(state)) as server:
        yield state, state.credentials(account, server.base_url), server.base_url


@pytest.fixture
def api(served, monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    state, info, base = served

    class LocalRestApi(NetSuiteRestApi):
        def _make_url(self, subpath):
            return f"{base}/services/rest{subpath}"

    config = Config(account=info["account_id"], auth=TokenAuth(
        consumer_key=info["consumer_key"], consumer_secret=info["consumer_secret"],
        token_id=info["token_id"], token_secret=info["token_secret"]))
    return LocalRestApi(config, concurrent_requests=5)


def test_the_netsuite_client_lists_creates_reads_updates_pays_and_deletes_bills(served, api):
    state, info, _ = served
    acct = state.account(info["account_id"])
    vendor = next(v for v in acct.values("vendor") if v["subsidiary"] == "1")["id"]
    expense = next(a for a in acct.values("account") if a["acctType"] == "Expense")["id"]
    bank = next(a for a in acct.values("account") if a["acctType"] == "Bank" and a["subsidiary"] == "1")["id"]
    bill = {"entity": {"id": vendor}, "tranId": "NS-1", "tranDate": "2024-05-01",
            "expense": {"items": [{"account": {"id": expense}, "amount": 30.0, "memo": "Line 1"},
                                  {"account": {"id": expense}, "amount": 70.0, "memo": "Line 2"}]}}

    async def cycle():
        created = await api.request("POST", "/record/v1/vendorBill", json=bill)
        assert created.status_code == 204
        bill_id = created.headers["Location"].rsplit("/", 1)[1]
        assert await api.put("/record/v1/vendorBill/eid:bp-1", json={**bill, "tranId": "NS-2"}) is None
        read = await api.get(f"/record/v1/vendorBill/{bill_id}", params={"expandSubResources": "true"})
        assert read["total"] == 100 and len(read["expense"]["items"]) == 2
        upserted = await api.get("/record/v1/vendorBill/eid:bp-1")
        assert upserted["tranId"] == "NS-2"
        await api.patch(f"/record/v1/vendorBill/{bill_id}", params={"replace": "expense"},
                        json={"expense": {"items": [{"account": {"id": expense}, "amount": 100.0}]}})
        listed = await api.suiteql("SELECT id, tranid FROM transaction WHERE type = 'VendBill' ORDER BY id",
                                   limit=1000)
        assert [row["tranid"] for row in listed["items"]] == ["NS-1", "NS-2"]
        paid = await api.request("POST", "/record/v1/vendorPayment", json={
            "entity": {"id": vendor}, "account": {"id": bank},
            "apply": {"items": [{"doc": {"id": bill_id}, "apply": True, "amount": 100}]}})
        assert paid.status_code == 204 and "/vendorpayment/" in paid.headers["Location"]
        assert (await api.get(f"/record/v1/vendorBill/{bill_id}"))["status"]["refName"] == "Paid In Full"
        with pytest.raises(NetsuiteAPIRequestError) as refused:
            await api.delete(f"/record/v1/vendorBill/{bill_id}")
        assert refused.value.status_code == 400 and "dependent records" in refused.value.response_text
        other = upserted["id"]
        assert await api.delete(f"/record/v1/vendorBill/{other}") is None
        with pytest.raises(NetsuiteAPIRequestError) as gone:
            await api.get(f"/record/v1/vendorBill/{other}")
        assert gone.value.status_code == 404

    run(cycle())


def test_the_clients_default_fan_out_of_ten_meets_the_concurrency_limit(served, monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    state, info, base = served

    class LocalRestApi(NetSuiteRestApi):
        def _make_url(self, subpath):
            return f"{base}/services/rest{subpath}"

    wide = LocalRestApi(Config(account=info["account_id"], auth=TokenAuth(
        consumer_key=info["consumer_key"], consumer_secret=info["consumer_secret"],
        token_id=info["token_id"], token_secret=info["token_secret"])))  # 10 requests at once by default
    state.set_faults(latency_ms=200)

    async def burst():
        return await asyncio.gather(*(wide.get("/record/v1/subsidiary") for _ in range(10)),
                                    return_exceptions=True)

    try:
        results = run(burst())
    finally:
        state.clear_faults()
    refused = [r for r in results if isinstance(r, NetsuiteAPIRequestError)]
    assert refused and all(r.status_code == 429 and "CONCURRENCY_LIMIT_EXCEEDED" in r.response_text for r in refused)
    assert len(results) - len(refused) <= 5
