"""The dedicated inbox end to end: a real SMTP conversation, the signed webhook, hostile messages."""
from __future__ import annotations

import hashlib
import hmac
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from billpay.capture.inbox import ingest_message, start_smtp_receiver
from billpay.db import tables as t
from billpay.services.orgs import create_organization
from billpay.web.app import create_app

from ..services import free_port

PDF = (Path(__file__).resolve().parents[3] / "shared/data/invoices/dev/AmazonWebServices.pdf")
TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF"


@pytest.fixture
def org(container):
    with container.sessionmaker() as s, s.begin():
        out = create_organization(s, container.vault, name="Acme", admin_email="a@acme.test")
    with container.sessionmaker() as s:
        o = s.get(t.Organization, out.organization_id)
        return {"id": o.id, "token": o.inbox_token, "secret": container.vault.decrypt(o.inbox_secret_enc),
                "key": out.api_key, "address": f"{o.inbox_token}@{container.settings.inbox_domain}"}


def _mail(to: str, attachments=(), body="Hello", subject="Invoice") -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "billing@vendor.example", to, subject
    m.set_content(body)
    for name, data, maintype, subtype in attachments:
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m


def _bills(container, org_id):
    with container.sessionmaker() as s:
        return list(s.scalars(select(t.Bill).where(t.Bill.org_id == org_id)))


def test_smtp_receiver_accepts_only_known_inboxes_and_makes_bills(container, org):
    port = free_port()
    ctl = start_smtp_receiver(container, host="127.0.0.1", port=port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.send_message(_mail("nobody@" + container.settings.inbox_domain))
            smtp.send_message(_mail(org["address"], [("inv.pdf", TINY_PDF, "application", "pdf"),
                                                     ("logo.txt", b"not an invoice", "text", "plain")]))
    finally:
        ctl.stop()
    bills = _bills(container, org["id"])
    assert len(bills) == 1 and bills[0].source == "email" and bills[0].status == "in_review"
    with container.sessionmaker() as s:
        msg = s.scalars(select(t.InboundMessage)).one()
        assert msg.channel == "smtp" and msg.status == "processed"
        outcomes = {i["filename"]: i["outcome"] for i in msg.items if "filename" in i}
        assert outcomes == {"inv.pdf": "bill", "logo.txt": "ignored"}
        raw = container.storage.get(msg.storage_key)
        assert b"billing@vendor.example" in raw  # the original is kept unchanged
        doc = s.get(t.Document, bills[0].document_id)
        assert container.storage.get(doc.storage_key) == TINY_PDF and doc.message_id == msg.id


def test_webhook_needs_the_signature(container, org):
    client = TestClient(create_app(container, mount_sandboxes=False))
    raw = _mail(org["address"], [("a.pdf", TINY_PDF, "application", "pdf")]).as_bytes()
    url = f"/api/v1/inbound/{org['token']}"
    bad = client.post(url, content=raw, headers={"X-Billpay-Signature": "sha256=00"})
    assert bad.status_code == 401 and bad.json()["code"] == "inbound_signature_invalid"
    unknown = client.post("/api/v1/inbound/nope", content=raw, headers={"X-Billpay-Signature": "sha256=00"})
    assert unknown.status_code == 401
    sig = "sha256=" + hmac.new(org["secret"].encode(), raw, hashlib.sha256).hexdigest()
    ok = client.post(url, content=raw, headers={"X-Billpay-Signature": sig})
    assert ok.status_code == 202, ok.text
    assert ok.json()["status"] == "processed" and len(ok.json()["bill_ids"]) == 1


def test_message_without_invoice_is_recorded_with_reason(container, org):
    intake = ingest_message(container, org["id"], _mail(org["address"], body="Lunch on Friday?").as_bytes(),
                            channel="webhook")
    assert intake.status == "no_invoice" and "no invoice" in intake.reason
    assert _bills(container, org["id"]) == []


def test_invoice_in_body_becomes_a_bill(container, org):
    intake = ingest_message(container, org["id"], _mail(org["address"],
                            body="Invoice 77 from Acme. Amount due: $120.00 by 2026-12-01").as_bytes(), channel="smtp")
    assert intake.status == "processed" and len(intake.bill_ids) == 1


def test_hostile_messages_get_a_clear_outcome(container, org):
    many = _mail(org["address"], [(f"f{i}.pdf", TINY_PDF, "application", "pdf") for i in range(200)])
    intake = ingest_message(container, org["id"], many.as_bytes(), channel="smtp")
    assert len(intake.bill_ids) == 50
    assert sum(1 for i in intake.items if i["outcome"] == "rejected") == 150

    inner = _mail(org["address"])
    for _ in range(30):  # a message nested 30 deep
        outer = EmailMessage()
        outer["To"] = org["address"]
        outer.add_attachment(inner)
        inner = outer
    deep = ingest_message(container, org["id"], inner.as_bytes(), channel="smtp")
    assert deep.status == "rejected" and "nested" in deep.reason

    raw = (b"From: =?x-unknown?q?\xff\xfe?= <a@b>\r\nTo: " + org["address"].encode() +
           b"\r\nSubject: \xe9\xe8 invoice\r\nContent-Type: text/plain; charset=bogus-charset\r\n\r\n\xff\xfe body\r\n")
    odd = ingest_message(container, org["id"], raw, channel="smtp")
    assert odd.status in ("no_invoice", "processed")

    garbage = ingest_message(container, org["id"], b"\x00\x01\x02" * 1000, channel="smtp")
    assert garbage.status in ("no_invoice", "rejected")
    with container.sessionmaker() as s:
        assert s.scalars(select(t.InboundMessage)).all().__len__() == 4  # every message is on record


def test_bank_detail_change_e_mails_the_admins_through_a_real_smtp_server(container, org):
    """The outgoing relay is a real SMTP server (aiosmtpd) on loopback."""
    from aiosmtpd.controller import Controller

    from billpay.mail import Mailer
    from billpay.services import vendors
    from billpay.services.context import Actor

    received = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    port = free_port()
    ctl = Controller(Sink(), hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        container.mailer = Mailer("127.0.0.1", port, "billpay@acme.test")
        with container.sessionmaker() as s:
            admin = s.scalars(select(t.User).where(t.User.org_id == org["id"])).first()
        actor = Actor(org["id"], admin.id, frozenset({"admin"}))
        with container.tx(actor) as ctx:
            v = vendors.create_vendor(ctx, {"name": "Acme Paper", "routing_number": "021000021",
                                            "account_number": "123456789"})
        with container.tx(actor) as ctx:
            vendors.update_vendor(ctx, v.id, {"account_number": "999999999"})
    finally:
        ctl.stop()
    assert len(received) == 2  # the new vendor's details, then their change: each awaits a second person
    rcpts, content = received[-1]
    assert rcpts == ["a@acme.test"] and "Acme Paper" in content and "second person" in content
    assert "999999999" not in content  # no bank details in e-mail


def test_a_relay_that_is_down_does_not_break_the_change():
    from billpay.mail import Mailer

    assert Mailer("127.0.0.1", free_port(), timeout=2).send(["a@acme.test"], "s", "b") is False
