"""QuickBooks Online connections: bill payments drawn from the bank account chosen for their currency, and the
grant revoked at Intuit when the organization disconnects."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from billpay.db import tables as t
from billpay.sandboxes.quickbooks.oauth import OAuthError
from billpay.services import payments
from billpay.services.context import Actor

from .conftest import QuickBooksPlatform, mapped_vendor, open_bill

pytestmark = pytest.mark.parametrize("stack", [QuickBooksPlatform], indirect=True, ids=["quickbooks"])


def test_the_built_in_company_comes_with_the_bank_account_for_its_home_currency_chosen(stack):
    options = stack.org.get("/accounting/connection").json()["options"]
    checking = [a for a in stack.ref("accounts") if a["extra"].get("account_type") == "Bank" and a["active"]]
    assert options["bank_accounts"] == {"USD": checking[0]["id"]}


def test_disconnecting_revokes_the_grant_at_intuit_and_forgets_the_tokens(stack, container):
    state = stack.platform.state
    with container.sessionmaker() as s:
        conn = s.scalars(select(t.Connection).where(t.Connection.org_id == stack.org.id)).one()
        secrets = container.vault.decrypt_json(conn.secrets_enc)
        client_id = conn.config["client_id"]
    refresh = secrets["tokens"]["refresh_token"]
    assert stack.org.delete("/accounting/connection").status_code == 204
    stack.work()
    with pytest.raises(OAuthError) as refused:  # the grant no longer exists at Intuit
        state.token_grant(client_id, secrets["client_secret"], {"grant_type": "refresh_token",
                                                                "refresh_token": refresh})
    assert refused.value.error == "invalid_grant"
    with container.sessionmaker() as s:
        job = s.scalars(select(t.Outbox).where(t.Outbox.kind == "revoke_grant")).one()
        assert job.status == "done", job.last_error
        assert s.get(t.Connection, conn.id).secrets_enc is None  # nothing left to leak


def test_one_sync_of_many_bill_payments_reads_the_bills_they_pay_once(stack, container):
    """The paid-bill guard reads the bills of a whole sync at once (in groups of 300), not once per batch of 30."""
    vendor = mapped_vendor(stack)
    # amounts apart: the same vendor, amount and week would hold them as likely duplicates
    bills = [open_bill(stack, vendor, f"MANY-{i}", f"{10 + i}.00") for i in range(35)]
    stack.work()
    with container.tx(Actor.system(stack.org.id)) as ctx:
        for p in ctx.session.scalars(select(t.Payment).where(t.Payment.org_id == ctx.org_id)):
            p.status = "processing"  # released to the bank earlier
            payments.record_settlement(ctx, p)
    stack.platform.state.reset_request_stats()
    assert stack.org.post("/accounting/sync", {}).status_code == 202
    stack.work()
    calls = stack.platform.state.request_stats()["by_kind"]
    assert calls.get("POST /batch") == 2 and calls.get("GET /query") == 1, calls
    assert all(stack.org.get(f"/bills/{b['id']}").json()["status"] == "paid" for b in bills)
