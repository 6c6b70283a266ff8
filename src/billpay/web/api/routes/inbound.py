"""/api/v1/inbound/{token}: the inbound-MIME webhook, signed with the organization's inbox secret."""
from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from sqlalchemy import select

from ....capture.inbox import MAX_MESSAGE_BYTES, ingest_message
from ....db import tables as t
from ....domain.errors import BillPayError
from ..deps import ActorDep, ContainerDep

router = APIRouter(tags=["inbox"])


@router.post("/inbound/{token}", status_code=202,
             summary="Deliver a raw RFC 822 message; X-Billpay-Signature: sha256=<HMAC-SHA256 of the body>")
async def inbound(token: str, request: Request, c: ContainerDep):
    from starlette.concurrency import run_in_threadpool

    body = await request.body()
    with c.sessionmaker() as s:
        org = s.scalars(select(t.Organization).where(t.Organization.inbox_token == token)).first()
        secret = c.vault.decrypt(org.inbox_secret_enc) if org else None
    sig = request.headers.get("x-billpay-signature", "")
    expected = "sha256=" + hmac.new(secret.encode(), body, "sha256").hexdigest() if secret else ""
    if org is None or not hmac.compare_digest(sig, expected):
        # Same answer for an unknown inbox and a bad signature: inbox addresses are secrets too.
        raise BillPayError("Unknown inbox or bad signature.", code="inbound_signature_invalid", status=401)
    if len(body) > MAX_MESSAGE_BYTES:
        raise BillPayError("The message is too large.", code="message_too_large", status=413)
    intake = await run_in_threadpool(ingest_message, c, org.id, body, channel="webhook")
    return {"message_id": intake.message_id, "status": intake.status, "reason": intake.reason,
            "bill_ids": intake.bill_ids, "items": intake.items}


@router.get("/inbox")
def inbox(c: ContainerDep, actor: ActorDep):
    """The organization's inbox address, webhook secret (admins) and recent messages with their outcome."""
    with c.tx(actor) as ctx:
        org = ctx.session.get(t.Organization, ctx.org_id)
        msgs = ctx.session.scalars(select(t.InboundMessage).where(t.InboundMessage.org_id == ctx.org_id)
                                   .order_by(t.InboundMessage.id.desc()).limit(50)).all()
        out = {"address": f"{org.inbox_token}@{c.settings.inbox_domain}",
               "webhook_url": f"{c.settings.public_url.rstrip('/')}/api/v1/inbound/{org.inbox_token}",
               "messages": [{"id": m.id, "channel": m.channel, "sender": m.sender, "subject": m.subject,
                             "status": m.status, "items": m.items, "received_at": m.created_at.isoformat()}
                            for m in msgs]}
        if "admin" in ctx.actor.roles:
            out["webhook_secret"] = ctx.vault.decrypt(org.inbox_secret_enc)
        return out
