"""Bill use cases: create, edit, split, confirm, send to payments, re-sync, void."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import func, select

from ..db import tables as t
from ..domain import bills as rules
from ..domain import splits
from ..domain.bills import BillSource, BillStatus
from ..domain.errors import Conflict, InvalidTransition, ValidationError
from ..domain.money import Money, exponent
from ..domain.payments import NOT_SENT, PaymentStatus
from ..domain.terms import parse_terms
from ..ids import new_id
from . import coding, duplicates, platform_checks, sync_records, vendor_credits
from .context import Ctx, statuses_filter

BILL_INPUT_FIELDS = {"kind", "vendor_id", "invoice_number", "invoice_date", "due_date", "payment_terms", "currency",
                     "amount", "memo", "attributes", "lines"}
LINE_FIELDS = {"amount", "percentage", "description", "attributes"}


def normalize_invoice_number(value: str | None) -> str | None:
    """Case, spaces, punctuation and leading zeros do not make a different invoice."""
    if not value:
        return None
    s = re.sub(r"[^0-9a-z]", "", value.lower())
    s = re.sub(r"(?<![0-9])0+(?=[0-9])", "", s)
    return s or None


def _parse_date(value, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"'{value}' is not a date (YYYY-MM-DD) that exists.", code="date_invalid",
                              field=field) from None


def _lines(ctx: Ctx, bill: t.Bill) -> list[t.BillLine]:
    return list(ctx.session.scalars(select(t.BillLine).where(
        t.BillLine.bill_id == bill.id, t.BillLine.org_id == ctx.org_id).order_by(t.BillLine.position)))


def _vendor(ctx: Ctx, vendor_id: str | None) -> t.Vendor | None:
    return ctx.get(t.Vendor, vendor_id) if vendor_id else None


def _apply_fields(ctx: Ctx, bill: t.Bill, data: dict) -> None:
    """Validate and set header fields (not lines)."""
    if "currency" in data:
        exponent(data["currency"] or "")
        bill.currency = data["currency"]
    if "vendor_id" in data:
        v = _vendor(ctx, data["vendor_id"])
        bill.vendor_id = v.id if v else None
    if "invoice_number" in data:
        num = (data["invoice_number"] or "").strip() or None
        if num and len(num) > 100:
            raise ValidationError("The invoice number is longer than 100 characters.",
                                  code="invoice_number_invalid", field="invoice_number")
        bill.invoice_number, bill.invoice_number_norm = num, normalize_invoice_number(num)
    if "amount" in data:
        bill.amount = None if data["amount"] is None else Money.parse(data["amount"], bill.currency).amount
    elif "currency" in data and bill.amount is not None:
        bill.amount = Money.parse(bill.amount, bill.currency).amount
    if "invoice_date" in data:
        bill.invoice_date = _parse_date(data["invoice_date"], "invoice_date")
    if "payment_terms" in data:
        terms = data["payment_terms"]
        bill.payment_terms = parse_terms(terms).label if terms else None
    if "due_date" in data:
        bill.due_date = _parse_date(data["due_date"], "due_date")
    if bill.due_date is None and bill.payment_terms and bill.invoice_date and "due_date" not in data:
        bill.due_date = parse_terms(bill.payment_terms).due_date(bill.invoice_date)
    if bill.due_date and bill.invoice_date and bill.due_date < bill.invoice_date:
        raise ValidationError("The due date is before the invoice date.", code="due_before_invoice_date",
                              field="due_date")
    if "memo" in data:
        bill.memo = data["memo"]
    if "attributes" in data:
        attrs = coding.validate_attributes(ctx, data["attributes"], bill=True)
        bill.attribute_sources = coding.user_sources(attrs, ctx.actor.user_id, bill.attribute_sources,
                                                     bill.attributes)
        bill.attributes = attrs


def _build_lines(ctx: Ctx, bill: t.Bill, lines_in: list[dict]) -> list[t.BillLine]:
    """Validate and allocate split lines; they always sum exactly to the bill amount."""
    if bill.amount is None:
        raise ValidationError("Set the bill amount before splitting it.", code="amount_required", field="amount")
    total = Money(bill.amount, bill.currency)
    if not isinstance(lines_in, list) or not lines_in:
        raise ValidationError("A bill needs at least one line.", code="lines_required", field="lines")
    if len(lines_in) > 500:
        raise ValidationError("A bill can have at most 500 lines.", code="lines_too_many", field="lines")
    for i, ln in enumerate(lines_in):
        unknown = set(ln) - LINE_FIELDS
        if unknown:
            raise ValidationError(f"Unknown line field(s): {', '.join(sorted(unknown))}.",
                                  code="field_unknown", field=f"lines[{i}]")
    use_pct = all("percentage" in ln for ln in lines_in)
    if not use_pct and any("percentage" in ln for ln in lines_in):
        raise ValidationError("Split either by amount or by percentage, not both.", code="split_mode_mixed",
                              field="lines")
    if use_pct:
        pcts = []
        for i, ln in enumerate(lines_in):
            try:
                pcts.append(Decimal(str(ln["percentage"])))
            except Exception:
                raise ValidationError("Percentages are decimal numbers.", code="percentage_invalid",
                                      field=f"lines[{i}].percentage") from None
        amounts = splits.by_percentages(total, pcts)
    else:
        amounts = []
        for i, ln in enumerate(lines_in):
            if "amount" not in ln:
                raise ValidationError("Each line needs an amount or a percentage.", code="line_amount_required",
                                      field=f"lines[{i}].amount")
            amounts.append(Money.parse(ln["amount"], bill.currency, field=f"lines[{i}].amount"))
        amounts = splits.by_amounts(total, amounts)
    out = []
    for i, (ln, amount) in enumerate(zip(lines_in, amounts)):
        attrs = coding.validate_attributes(ctx, ln.get("attributes"), where=f"lines[{i}].attributes")
        out.append(t.BillLine(id=new_id("bln"), org_id=ctx.org_id, bill_id=bill.id, position=i,
                              amount=amount.amount, description=ln.get("description"), attributes=attrs,
                              attribute_sources=coding.user_sources(attrs, ctx.actor.user_id)))
    return out


def _replace_lines(ctx: Ctx, bill: t.Bill, new_lines: list[t.BillLine]) -> None:
    for old in _lines(ctx, bill):
        ctx.session.delete(old)
    ctx.session.flush()
    ctx.session.add_all(new_lines)


def _single_line(ctx: Ctx, bill: t.Bill, description: str | None = None) -> list[t.BillLine]:
    if bill.amount is None:
        return []
    return [t.BillLine(id=new_id("bln"), org_id=ctx.org_id, bill_id=bill.id, position=0, amount=bill.amount,
                       description=description, attributes={}, attribute_sources={})]


def flag_duplicates(ctx: Ctx, bill: t.Bill, *, sha256: str | None = None) -> list[dict]:
    """Likely duplicates are flagged on the bill, never dropped (``services.duplicates``)."""
    return duplicates.flag(ctx, bill, sha256=sha256)


def create_bill(ctx: Ctx, data: dict, *, source: str = BillSource.API, document: t.Document | None = None,
                extraction: dict | None = None) -> t.Bill:
    ctx.require("bills.write")
    unknown = set(data) - BILL_INPUT_FIELDS
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.", code="field_unknown")
    data = dict(data)
    _check_kind(data.get("kind"))
    bill = t.Bill(id=new_id("bill"), org_id=ctx.org_id, status=BillStatus.IN_REVIEW, source=source,
                  kind=data.pop("kind", None) or "bill",
                  currency=data.get("currency") or "USD", attributes={}, attribute_sources={},
                  warnings=[], duplicate_of=[], field_confirmations=[], created_by=ctx.actor.user_id,
                  document_id=document.id if document else None, extraction=extraction,
                  paid_amount=Decimal(0), created_at=ctx.now(), updated_at=ctx.now())
    if "vendor_id" in data and data["vendor_id"] and "currency" not in data:
        v = _vendor(ctx, data["vendor_id"])
        bill.currency = v.default_currency or "USD"
        if not data.get("payment_terms") and v.default_terms:
            data = {**data, "payment_terms": v.default_terms}
    _apply_fields(ctx, bill, {**data, "currency": bill.currency} if "currency" not in data else data)
    ctx.session.add(bill)
    ctx.session.flush()
    lines = _build_lines(ctx, bill, data["lines"]) if data.get("lines") else _single_line(ctx, bill)
    ctx.session.add_all(lines)
    ctx.session.flush()
    coding.apply_rules(ctx, bill, lines)
    flag_duplicates(ctx, bill, sha256=document.sha256 if document else None)
    ctx.audit("bill.created", "bill", bill.id, after=snapshot(bill))
    return bill


def _check_kind(kind: str | None) -> None:
    if kind not in (None, "bill", "credit"):
        raise ValidationError("kind is 'bill' or 'credit' (a credit note).", code="kind_invalid", field="kind")


def snapshot(bill: t.Bill) -> dict:
    return {
        "kind": bill.kind or "bill", "status": bill.status, "vendor_id": bill.vendor_id, "invoice_number": bill.invoice_number,
        "invoice_date": bill.invoice_date.isoformat() if bill.invoice_date else None,
        "due_date": bill.due_date.isoformat() if bill.due_date else None,
        "payment_terms": bill.payment_terms, "currency": bill.currency,
        "amount": str(bill.amount) if bill.amount is not None else None, "memo": bill.memo,
        "attributes": bill.attributes,
    }


def _changed_fields(bill: t.Bill, data: dict) -> set[str]:
    """Fields whose value would really change (a no-op PATCH of a frozen field is allowed)."""
    before = snapshot(bill)
    changed = set()
    for k, v in data.items():
        if k == "lines":
            changed.add(k)
        elif k == "amount":
            try:
                if v is None or bill.amount is None or Decimal(str(v)) != bill.amount:
                    changed.add(k)
            except Exception:
                changed.add(k)
        elif k in ("invoice_date", "due_date"):
            if (str(v) if v else None) != before[k]:
                changed.add(k)
        elif before.get(k) != v:
            changed.add(k)
    return changed


def update_bill(ctx: Ctx, bill_id: str, data: dict) -> t.Bill:
    ctx.require("bills.write")
    unknown = set(data) - BILL_INPUT_FIELDS
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.", code="field_unknown")
    bill = ctx.get(t.Bill, bill_id, lock=True)
    fields = _changed_fields(bill, data)
    # A create whose outcome is not known yet freezes the key fields too: it is replayed as it was sent.
    frozen = bill.synced_once or (bool(fields & rules.IMMUTABLE_AFTER_SYNC) and sync_records.in_doubt(ctx, "bill", bill.id))
    rules.check_edit(status=bill.status, source=bill.source, synced_once=frozen, fields=fields)
    if not fields:
        return bill
    before = snapshot(bill)
    if "kind" in fields:
        _check_kind(data["kind"])
        if bill.status != BillStatus.IN_REVIEW:
            raise InvalidTransition("bill", "changed between bill and credit note", bill.status,
                                    "Only a bill in review can become a credit note (or back).")
        bill.kind = data["kind"] or "bill"
    _apply_fields(ctx, bill, {k: data[k] for k in fields if k not in ("lines", "kind")})
    if "lines" in fields:
        _replace_lines(ctx, bill, _build_lines(ctx, bill, data["lines"]))
    elif "amount" in fields or "currency" in fields:
        lines = _lines(ctx, bill)
        if len(lines) <= 1:
            desc = lines[0].description if lines else None
            attrs = (lines[0].attributes, lines[0].attribute_sources) if lines else ({}, {})
            new = _single_line(ctx, bill, desc)
            for ln in new:
                ln.attributes, ln.attribute_sources = attrs
            _replace_lines(ctx, bill, new)
        else:
            raise ValidationError("This bill is split; send the new lines with the new amount "
                                  "(PUT /bills/{id}/lines) so they still sum to it.",
                                  code="lines_sum_mismatch", field="amount")
    if fields & {"vendor_id", "invoice_number", "amount", "currency", "invoice_date"}:
        flag_duplicates(ctx, bill)
    # A warning about a field (a value extraction could not use, the split question) goes once a person
    # has set that field themselves.
    bill.warnings = [w for w in bill.warnings or []
                     if not (set(filter(None, (w.get("field") or "").split(","))) & fields)]
    if bill.status == BillStatus.CONFIRMED and fields - {"attributes", "memo"}:
        bill.status = rules.transition("reopen_review", bill.status)  # key data changed: confirm again
        bill.confirmed_by = bill.confirmed_at = None
    bill.version += 1
    bill.updated_at = ctx.now()
    if bill.synced_once and bill.status in (BillStatus.OPEN, BillStatus.PARTIALLY_PAID) and \
            fields & {"attributes", "memo", "lines", "invoice_date", "payment_terms"}:
        _enqueue_push(ctx, bill)
    ctx.audit("bill.updated", "bill", bill.id, before=before, after=snapshot(bill))
    return bill


def set_lines(ctx: Ctx, bill_id: str, lines_in: list[dict]) -> t.Bill:
    return update_bill(ctx, bill_id, {"lines": lines_in})


CONFIRM_REQUIRED = ("vendor_id", "invoice_number", "amount", "invoice_date")


def low_confidence_fields(bill: t.Bill) -> list[str]:
    fields = ((bill.extraction or {}).get("fields") or {})
    names = {"vendor_name": "vendor_id", "invoice_number": "invoice_number", "total": "amount",
             "invoice_date": "invoice_date", "due_date": "due_date", "currency": "currency"}
    low = []
    for name, f in fields.items():
        if name in names and f and f.get("value") is not None and float(f.get("confidence", 1)) < 0.5:
            low.append(names[name])
    return low


def confirm_bill(ctx: Ctx, bill_id: str, *, confirmed_fields: list[str] | None = None) -> t.Bill:
    ctx.require("bills.write")
    bill = ctx.get(t.Bill, bill_id, lock=True)
    if bill.source == BillSource.ACCOUNTING:
        raise InvalidTransition("bill", "confirmed", bill.status,
                                "Bills pulled from the accounting platform need no confirmation.")
    if not rules.can("confirm", bill.status):
        rules.transition("confirm", bill.status)
    missing = [f for f in CONFIRM_REQUIRED if getattr(bill, f) in (None, "")]
    if bill.due_date is None and not bill.payment_terms and bill.kind != "credit":
        missing.append("due_date")
    if missing:
        raise ValidationError(f"Before confirming, fill in: {', '.join(m.replace('_id', '').replace('_', ' ') for m in missing)}.",
                              code="bill_incomplete", extra={"missing": missing})
    lines = _lines(ctx, bill)
    if sum((ln.amount for ln in lines), Decimal(0)) != bill.amount:
        raise ValidationError("The bill's lines do not sum to its amount.", code="lines_sum_mismatch")
    confirmed = set(confirmed_fields or []) | set(bill.field_confirmations or [])
    unconfirmed = [f for f in low_confidence_fields(bill) if f not in confirmed]
    if unconfirmed:
        raise ValidationError(
            f"These fields were read with low confidence and must be confirmed explicitly: "
            f"{', '.join(unconfirmed)}.", code="low_confidence_unconfirmed", extra={"fields": unconfirmed})
    bill.field_confirmations = sorted(confirmed)
    bill.status = rules.transition("confirm", bill.status)
    bill.confirmed_by, bill.confirmed_at = ctx.actor.user_id, ctx.now()
    bill.version += 1
    ctx.audit("bill.confirmed", "bill", bill.id, after=snapshot(bill))
    from . import capture_learning

    capture_learning.learn_from_confirmation(ctx, bill)
    return bill


def connection_of(ctx: Ctx) -> t.Connection | None:
    return sync_records.active_connection(ctx.session, ctx.org_id)


def send_to_payments(ctx: Ctx, bill_id: str, *, method: str | None = None) -> tuple[t.Bill, t.Payment]:
    ctx.require("payments.write")
    bill = ctx.get(t.Bill, bill_id, lock=True)
    rules.transition("send_to_payments", bill.status)
    duplicates.guard(bill, "sent to payments")
    vendor = _vendor(ctx, bill.vendor_id)
    conn = connection_of(ctx)
    lines = _lines(ctx, bill)
    if conn is not None:
        platform_checks.check_send(ctx, conn, bill, vendor, lines)
    if bill.kind == "credit":
        return _record_credit(ctx, bill, conn), None
    if method:
        from . import payments as payment_services

        payment_services.check_method(ctx, vendor, method)
    bill.status = rules.transition("send_to_payments", bill.status)
    bill.version += 1
    payment = t.Payment(id=new_id("pay"), org_id=ctx.org_id, bill_id=bill.id, vendor_id=bill.vendor_id,
                        amount=bill.amount - (bill.paid_amount or 0), currency=bill.currency, method=method,
                        status=PaymentStatus.DRAFT, attributes=dict(bill.attributes or {}),
                        created_by=ctx.actor.user_id, created_at=ctx.now(), updated_at=ctx.now())
    ctx.session.add(payment)
    if conn is not None:
        _enqueue_push(ctx, bill)
    ctx.audit("bill.sent_to_payments", "bill", bill.id, after={"payment_id": payment.id})
    ctx.audit("payment.created", "payment", payment.id,
              after={"bill_id": bill.id, "amount": str(payment.amount), "status": payment.status})
    return bill, payment


def _record_credit(ctx: Ctx, credit: t.Bill, conn: t.Connection | None) -> t.Bill:
    """A confirmed credit note becomes available credit (and the platform's vendor credit)."""
    vendor_credits.check_recordable(ctx, credit)
    credit.status = rules.transition("send_to_payments", credit.status)
    credit.version += 1
    if conn is not None:
        _enqueue_push(ctx, credit)
    ctx.audit("bill.credit_recorded", "bill", credit.id, after={"amount": str(credit.amount)})
    return credit


def _enqueue_push(ctx: Ctx, bill: t.Bill) -> None:
    if bill.kind == "credit":
        if bill.synced_once:
            return  # a vendor credit is written once; later coding changes stay here
        sync_records.mark_pending(ctx, "bill", bill.id)
        ctx.enqueue("push_vendor_credit", bill.id)
        return
    sync_records.mark_pending(ctx, "bill", bill.id)
    ctx.enqueue("push_bill", bill.id)


def resync_bill(ctx: Ctx, bill_id: str) -> t.Bill:
    ctx.require("bills.code")
    bill = ctx.get(t.Bill, bill_id)
    if bill.source == BillSource.ACCOUNTING:
        raise InvalidTransition("bill", "re-synced", bill.status,
                                "Pulled bills are kept in step by the next pull, not re-synced.")
    if bill.status not in (BillStatus.OPEN, BillStatus.PARTIALLY_PAID):
        raise InvalidTransition("bill", "re-synced", bill.status,
                                "Only bills sent to payments and not yet settled can be re-synced.")
    settled = ctx.session.scalars(select(t.Payment).where(
        t.Payment.bill_id == bill.id, t.Payment.status == PaymentStatus.SETTLED)).first()
    if settled is not None and bill.status == BillStatus.PAID:
        raise InvalidTransition("bill", "re-synced", bill.status)
    if connection_of(ctx) is None:
        raise Conflict("No accounting platform is connected.", code="not_connected")
    _enqueue_push(ctx, bill)
    ctx.audit("bill.resync_requested", "bill", bill.id)
    return bill


def void_bill(ctx: Ctx, bill_id: str, *, reason: str | None = None) -> t.Bill:
    ctx.require("bills.write")
    bill = ctx.get(t.Bill, bill_id, lock=True)
    if bill.source == BillSource.ACCOUNTING:
        raise InvalidTransition("bill", "voided", bill.status,
                                "Pulled bills are voided or deleted in the accounting platform; the next pull "
                                "withdraws them here.")
    payments = ctx.session.scalars(select(t.Payment).where(t.Payment.bill_id == bill.id,
                                                           t.Payment.org_id == ctx.org_id)).all()
    if any(p.status in (PaymentStatus.PROCESSING, PaymentStatus.SETTLED) for p in payments):
        raise InvalidTransition("bill", "voided", bill.status,
                                "Money for this bill has already been sent; it cannot be voided.")
    if bill.kind == "credit" and vendor_credits.in_use(ctx, bill):
        raise InvalidTransition("bill", "voided", bill.status,
                                "This credit is taken off a payment that is on its way; cancel that payment first.")
    bill.status = rules.transition("void", bill.status)
    bill.withdrawn_reason = reason
    duplicates.forget(ctx, bill)
    bill.version += 1
    for p in payments:
        if p.status in NOT_SENT:
            p.status, p.status_reason = PaymentStatus.CANCELLED, "The bill was voided."
            ctx.audit("payment.cancelled", "payment", p.id, after={"reason": p.status_reason})
    on_platform = bill.synced_once or sync_records.in_doubt(ctx, "bill", bill.id)
    if on_platform and bill.kind == "credit":
        # A vendor credit is not voided by billpay; one whose create is in doubt is still settled by its push.
        bill.withdrawn_reason = " ".join(filter(None, [reason and f"Voided: {reason}.",
                                                       "Delete the vendor credit in the accounting platform too."]))
    elif connection_of(ctx) is not None and on_platform:
        sync_records.mark_pending(ctx, "bill", bill.id)
        ctx.enqueue("void_bill", bill.id)
    else:  # never reached the platform: an earlier sync error no longer asks anyone to act
        rec = sync_records.records_for(ctx, "bill", [bill.id]).get(bill.id)
        if rec is not None and rec.state in ("error", "pending"):
            rec.state, rec.error_code, rec.error_message, rec.error_raw = "not_synced", None, None, None
    ctx.audit("bill.voided", "bill", bill.id, after={"reason": reason})
    return bill


def _text_matches(ctx: Ctx, q: str):  # noqa: ANN202
    """Invoice number or memo contains ``q``, ignoring case. Unless the list is narrowed otherwise this is
    tested on every bill of the organization, so it is spelled for speed on each database."""
    like = f"%{q}%"
    if ctx.session.get_bind().dialect.name == "sqlite":
        # SQLite's LIKE ignores (ASCII) case as its lower() does: the same match without lower() on each row.
        return t.Bill.invoice_number.like(like) | t.Bill.memo.like(like)
    # PostgreSQL's ILIKE lowers both sides as well; written with lower() it runs markedly faster.
    pattern = func.lower(like)
    return func.lower(t.Bill.invoice_number).like(pattern) | func.lower(t.Bill.memo).like(pattern)


def list_bills(ctx: Ctx, *, status: str | None = None, vendor_id: str | None = None, source: str | None = None,
               q: str | None = None, limit: int = 50, cursor: str | None = None) -> list[t.Bill]:
    stmt = select(t.Bill).where(t.Bill.org_id == ctx.org_id)
    if status:
        stmt = stmt.where(statuses_filter(t.Bill.status, status, BillStatus, "bill"))
    if vendor_id:
        stmt = stmt.where(t.Bill.vendor_id == vendor_id)
    if source:
        if source not in BillSource._value2member_map_:
            raise ValidationError(f"Unknown bill source '{source}'.", code="source_unknown", field="source")
        stmt = stmt.where(t.Bill.source == source)
    if q:
        stmt = stmt.where(_text_matches(ctx, q))
    if cursor:
        stmt = stmt.where(t.Bill.id < cursor)
    return list(ctx.session.scalars(stmt.order_by(t.Bill.id.desc()).limit(limit + 1)))


def lines_of(ctx: Ctx, bill: t.Bill) -> list[t.BillLine]:
    return _lines(ctx, bill)
