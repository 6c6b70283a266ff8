"""The dedicated inbox: a real SMTP receiver (aiosmtpd) and an inbound-MIME webhook share one intake.

Every message is stored unchanged. Every attachment that is an invoice (PDF,
PNG, JPEG, TIFF, HEIC) becomes a bill in review; with no such attachment, an
invoice in the body becomes one. A message that yields no bill is recorded
with the reason (never dropped silently). Hostile input is bounded: message
size, number of attachments, MIME nesting depth.
"""
from __future__ import annotations

import email
import email.policy
import logging
import re
from dataclasses import dataclass, field
from email.message import EmailMessage

from sqlalchemy import select

from ..db import tables as t
from ..ids import new_id
from ..services import capture
from ..services.context import Actor

log = logging.getLogger("billpay.inbox")
MAX_MESSAGE_BYTES = 40 * 1024 * 1024
MAX_ATTACHMENTS = 50
MAX_DEPTH = 8
INVOICE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/tiff", "image/heic"}
_INVOICE_WORDS = re.compile(r"\b(invoice|rechnung|facture|factuur|bill|amount due|total due|balance due)\b", re.I)


@dataclass
class Intake:
    status: str  # processed | no_invoice | rejected
    reason: str | None = None
    bill_ids: list[str] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    message_id: str | None = None


def org_for_address(session, address: str, domain: str) -> t.Organization | None:  # noqa: ANN001
    local, _, dom = address.strip().strip("<>").lower().rpartition("@")
    if dom != domain.lower() or not local:
        return None
    return session.scalars(select(t.Organization).where(t.Organization.inbox_token == local)).first()


def _walk(msg: EmailMessage, depth: int = 0):  # noqa: ANN202
    if depth > MAX_DEPTH:
        raise ValueError("mime_too_deep")
    if msg.is_multipart():
        for part in msg.iter_parts():
            yield from _walk(part, depth + 1)
    elif msg.get_content_type() == "message/rfc822":
        inner = msg.get_payload()
        for part in inner if isinstance(inner, list) else [inner]:
            yield from _walk(part, depth + 1)
    else:
        yield msg


def _safe_header(msg: EmailMessage, name: str) -> str | None:
    try:
        value = msg.get(name)
        return str(value)[:400] if value is not None else None
    except Exception:  # undecodable header bytes: keep a lossless-enough rendering
        raw = msg.get_all(name, failobj=[None])[0]
        return raw.encode("utf-8", "replace").decode("utf-8")[:400] if isinstance(raw, str) else None


def ingest_message(container, org_id: str, raw: bytes, *, channel: str) -> Intake:  # noqa: ANN001
    actor = Actor.system(org_id)
    with container.tx(actor) as ctx:
        key, _ = container.storage.put(org_id, raw, ".eml")
        row = t.InboundMessage(id=new_id("msg"), org_id=org_id, channel=channel, storage_key=key,
                               status="processing", items=[], created_at=ctx.now())
        ctx.session.add(row)
        ctx.session.flush()
        intake = Intake(status="processed", message_id=row.id)
        if len(raw) > MAX_MESSAGE_BYTES:
            intake.status, intake.reason = "rejected", f"message larger than {MAX_MESSAGE_BYTES // 2**20} MiB"
        else:
            try:
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                row.sender, row.subject = _safe_header(msg, "From"), _safe_header(msg, "Subject")
                parts = list(_walk(msg))
            except ValueError as e:
                intake.status, intake.reason = "rejected", ("MIME nested too deeply" if str(e) == "mime_too_deep"
                                                            else f"unreadable message: {e}")
                parts = []
            except Exception as e:  # noqa: BLE001 - hostile mail must never take the receiver down
                intake.status, intake.reason = "rejected", f"unreadable message ({type(e).__name__})"
                parts = []
            attachments = [p for p in parts if p.get_content_disposition() in ("attachment", "inline")
                           and p.get_filename()]
            invoice_files = 0
            for i, part in enumerate(attachments):
                name = (part.get_filename() or f"attachment-{i}")[:200]
                if invoice_files >= MAX_ATTACHMENTS:
                    intake.items.append({"filename": name, "outcome": "rejected",
                                         "reason": f"more than {MAX_ATTACHMENTS} attachments; not read"})
                    continue
                try:
                    data = part.get_payload(decode=True) or b""
                except Exception:  # noqa: BLE001
                    data = b""
                mime = capture.sniff(data)
                if not data:
                    intake.items.append({"filename": name, "outcome": "rejected", "reason": "empty attachment"})
                elif mime not in INVOICE_TYPES:
                    intake.items.append({"filename": name, "outcome": "ignored",
                                         "reason": f"not an invoice file ({part.get_content_type()})"})
                elif len(data) > container.settings.max_upload_bytes:
                    intake.items.append({"filename": name, "outcome": "rejected", "reason": "file too large"})
                else:
                    invoice_files += 1
                    doc = capture.store_document(ctx, container.storage, name, data, message_id=row.id)
                    bill = capture.bill_from_document(ctx, doc, source="email", sender=row.sender)
                    intake.bill_ids.append(bill.id)
                    intake.items.append({"filename": name, "outcome": "bill", "bill_id": bill.id})
            if intake.status != "rejected" and not intake.bill_ids:
                body = _body_text(parts)
                if body and _INVOICE_WORDS.search(body):
                    doc = capture.store_document(ctx, container.storage, "message-body.txt",
                                                 body.encode("utf-8"), message_id=row.id)
                    bill = capture.bill_from_document(ctx, doc, source="email", sender=row.sender)
                    intake.bill_ids.append(bill.id)
                    intake.items.append({"filename": "(message body)", "outcome": "bill", "bill_id": bill.id})
                else:
                    intake.status = "no_invoice"
                    intake.reason = "no invoice attachment and no invoice in the message body"
        row.status, row.items = intake.status, intake.items + ([{"reason": intake.reason}] if intake.reason else [])
        ctx.audit("inbox.message_received", "inbound_message", row.id,
                  after={"channel": channel, "status": intake.status, "bills": intake.bill_ids,
                         "reason": intake.reason})
    return intake


def _body_text(parts: list[EmailMessage]) -> str | None:
    for ctype in ("text/plain", "text/html"):
        for p in parts:
            if p.get_content_type() == ctype and p.get_content_disposition() not in ("attachment",):
                try:
                    text = p.get_content()
                except Exception:  # noqa: BLE001 - unknown charset
                    text = (p.get_payload(decode=True) or b"").decode("utf-8", "replace")
                if ctype == "text/html":
                    from lxml import html as lxml_html

                    try:
                        text = lxml_html.fromstring(text).text_content()
                    except Exception:  # noqa: BLE001
                        text = re.sub(r"<[^>]+>", " ", text)
                return text[:200_000]
    return None


class _Handler:
    def __init__(self, container) -> None:  # noqa: ANN001
        self.container = container

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        with self.container.sessionmaker() as s:
            org = org_for_address(s, address, self.container.settings.inbox_domain)
        if org is None:
            return "550 5.1.1 No such inbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        from starlette.concurrency import run_in_threadpool

        raw = envelope.original_content or envelope.content
        for rcpt in envelope.rcpt_tos:
            with self.container.sessionmaker() as s:
                org = org_for_address(s, rcpt, self.container.settings.inbox_domain)
            if org is not None:
                try:
                    await run_in_threadpool(ingest_message, self.container, org.id, raw, channel="smtp")
                except Exception:  # noqa: BLE001
                    log.exception("could not store an inbound message")
                    return "451 4.3.0 Temporary failure, please retry"
        return "250 Message accepted"


def start_smtp_receiver(container, host: str | None = None, port: int | None = None):  # noqa: ANN001, ANN201
    from aiosmtpd.controller import Controller

    ctl = Controller(_Handler(container), hostname=host or container.settings.smtp_host,
                     port=port if port is not None else container.settings.smtp_port,
                     data_size_limit=MAX_MESSAGE_BYTES, decode_data=False)
    ctl.start()
    log.info("SMTP inbox listening on %s:%s", ctl.hostname, ctl.port)
    return ctl
