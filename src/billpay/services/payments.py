"""Payment use cases: edit, schedule, approvals, cancel, release, settlement and returns."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..db import tables as t
from ..domain import bills as bill_rules
from ..domain import payments as rules
from ..domain.errors import BillPayError, Conflict, InvalidTransition, ValidationError
from ..domain.money import Money
from ..domain.payments import PaymentStatus
from ..ids import new_id
from ..payments import approvals, calendar
from ..payments.errors import PaymentRuleError
from . import duplicates, sync_records, vendor_credits
from .context import Ctx, statuses_filter
from .orgs import get_settings
from .vendors import bank_details, pending_bank_details

_RULE_STATUS = {"approval_duplicate": 409, "approval_complete": 409, "approval_rejected": 409,
                "approval_not_allowed": 403, "approval_self_only": 403}


def rule_error(e: PaymentRuleError) -> BillPayError:
    return BillPayError(e.detail, code=e.code, status=_RULE_STATUS.get(e.code, 422), extra=e.data)


def today(ctx: Ctx) -> dt.date:
    tz = ZoneInfo(get_settings(ctx).get("timezone") or "America/New_York")
    return ctx.now().astimezone(tz).date()


def check_method(ctx: Ctx, vendor: t.Vendor, method: str) -> None:
    details = bank_details(ctx, vendor)
    if not details.supports(method, has_address=bool(vendor.address)):
        pending = pending_bank_details(ctx, vendor)
        if pending is not None and pending.supports(method, has_address=bool(vendor.address)):
            raise ValidationError(
                f"{vendor.name}'s new bank details are waiting for a second person's verification; "
                "no payment can go to them until then.", code="bank_details_unverified",
                extra={"vendor_id": vendor.id})
        need = {"ach": "a routing and account number", "wire": "an IBAN and BIC (or US routing and account)",
                "check": "a mailing address"}[method]
        raise ValidationError(f"To pay {vendor.name} by {method.upper() if method != 'check' else 'check'}, "
                              f"the vendor needs {need}.", code="vendor_payment_details_missing",
                              extra={"vendor_id": vendor.id, "method": method})


def _open_balance(bill: t.Bill) -> Decimal:
    return (bill.amount or Decimal(0)) - (bill.paid_amount or Decimal(0))


def update_payment(ctx: Ctx, payment_id: str, changes: dict) -> t.Payment:
    ctx.require("payments.write")
    p = ctx.get(t.Payment, payment_id, lock=True)
    if p.status != PaymentStatus.DRAFT:
        raise InvalidTransition("payment", "edited", p.status,
                                "Only draft payments can be edited; reject or unschedule it first.")
    before = {"method": p.method, "pay_date": str(p.pay_date) if p.pay_date else None, "amount": str(p.amount)}
    bill = ctx.get(t.Bill, p.bill_id)
    if changes.get("method"):
        check_method(ctx, ctx.get(t.Vendor, p.vendor_id), changes["method"])
        p.method = changes["method"]
    if changes.get("pay_date"):
        p.pay_date = _pay_date(ctx, changes["pay_date"])
    if changes.get("amount") is not None:
        amount = Money.parse(changes["amount"], p.currency).amount
        if amount > _open_balance(bill):
            raise ValidationError(f"{amount} is more than the bill's open balance of {_open_balance(bill)}.",
                                  code="amount_exceeds_open_balance", field="amount")
        p.amount = amount
    p.version += 1
    ctx.audit("payment.updated", "payment", p.id, before=before,
              after={"method": p.method, "pay_date": str(p.pay_date) if p.pay_date else None, "amount": str(p.amount)})
    return p


def _pay_date(ctx: Ctx, value: str | dt.date) -> dt.date:
    try:
        d = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"'{value}' is not a date (YYYY-MM-DD).", code="date_invalid", field="pay_date") from None
    try:
        calendar.validate_pay_date(d, today(ctx))
    except PaymentRuleError as e:
        raise rule_error(e) from None
    return d


def _policy(ctx: Ctx) -> approvals.ApprovalPolicy:
    org = ctx.session.get(t.Organization, ctx.org_id)
    return approvals.ApprovalPolicy.from_dict(org.approval_policy or {"steps": []})


def _users_roles(ctx: Ctx) -> dict[str, frozenset[str]]:
    return {u.id: frozenset(u.roles or []) for u in ctx.session.scalars(
        select(t.User).where(t.User.org_id == ctx.org_id, t.User.active.is_(True)))}


def _creators(bill: t.Bill) -> set[str]:
    return {x for x in (bill.created_by, bill.confirmed_by) if x}


def schedule(ctx: Ctx, payment_id: str, *, pay_date: str, method: str) -> t.Payment:
    ctx.require("payments.write")
    p = ctx.get(t.Payment, payment_id, lock=True)
    if p.status != PaymentStatus.DRAFT:
        rules.transition("schedule", p.status)
    bill = ctx.get(t.Bill, p.bill_id)
    if bill.status in (bill_rules.BillStatus.PAID, bill_rules.BillStatus.VOID):
        raise InvalidTransition("payment", "scheduled", p.status, f"The bill is {bill.status}.")
    duplicates.guard(bill, "scheduled")
    if p.amount > _open_balance(bill):
        raise ValidationError(f"{p.amount} is more than the bill's open balance of {_open_balance(bill)}.",
                              code="amount_exceeds_open_balance", field="amount")
    check_method(ctx, ctx.get(t.Vendor, p.vendor_id), method)
    p.pay_date, p.method = _pay_date(ctx, pay_date), method
    policy = _policy(ctx)
    if approvals.requires_approval(policy, p.amount):
        deadline = calendar.approval_deadline(p.pay_date)
        if deadline < today(ctx):
            raise ValidationError(
                f"This payment needs approval, which is due the business day before the pay date "
                f"({deadline.isoformat()}); choose a later pay date.", code="approval_deadline_passed",
                field="pay_date")
        p.status = rules.transition("submit_for_approval", p.status)
        p.approval_snapshot = {**policy.to_dict(), "round": ((p.approval_snapshot or {}).get("round", 0) + 1),
                               "deadline": deadline.isoformat()}
    else:
        p.status = rules.transition("schedule", p.status)
        p.approval_snapshot = None
    p.status_reason = None
    vendor_credits.apply_to(ctx, p)
    p.version += 1
    ctx.audit("payment.scheduled" if p.status == PaymentStatus.SCHEDULED else "payment.sent_for_approval",
              "payment", p.id, after={"pay_date": p.pay_date.isoformat(), "method": method, "status": p.status})
    return p


def suggested_pay_date(ctx: Ctx, p: t.Payment, bill: t.Bill | None = None,
                       policy: approvals.ApprovalPolicy | None = None) -> dt.date:
    """The due date's business day, earlier by the approval lead time when the payment needs approval."""
    bill = bill or ctx.get(t.Bill, p.bill_id)
    needs = approvals.requires_approval(policy or _policy(ctx), p.amount)
    return calendar.suggested_pay_date(bill.due_date, today(ctx), needs_approval=needs)


def schedule_suggested(ctx: Ctx, payment_id: str) -> t.Payment:
    """Schedule a draft as suggested: its own pay date if set, else the suggested one; its method if set,
    else the first the vendor can be paid by (verified details only)."""
    p = ctx.get(t.Payment, payment_id)
    vendor = ctx.get(t.Vendor, p.vendor_id)
    method = p.method or next((m for m in ("ach", "wire", "check")
                               if bank_details(ctx, vendor).supports(m, has_address=bool(vendor.address))), None)
    if method is None:
        check_method(ctx, vendor, "ach")  # says why: unverified or missing details
    day = p.pay_date if p.pay_date and p.pay_date >= today(ctx) else suggested_pay_date(ctx, p)
    return schedule(ctx, payment_id, pay_date=day.isoformat(), method=method)


def _decisions(ctx: Ctx, p: t.Payment) -> list[t.PaymentDecision]:
    rnd = (p.approval_snapshot or {}).get("round", 1)
    return list(ctx.session.scalars(select(t.PaymentDecision).where(
        t.PaymentDecision.payment_id == p.id, t.PaymentDecision.org_id == ctx.org_id,
        t.PaymentDecision.round == rnd).order_by(t.PaymentDecision.created_at, t.PaymentDecision.id)))


def _replay(ctx: Ctx, p: t.Payment) -> list[approvals.Decision]:
    return [approvals.Decision(d.user_id, d.decision, roles=frozenset(d.roles or [])) for d in _decisions(ctx, p)]


def approval_state(ctx: Ctx, p: t.Payment) -> approvals.ApprovalState | None:
    if not p.approval_snapshot:
        return None
    bill = ctx.get(t.Bill, p.bill_id)
    return approvals.evaluate(p.approval_snapshot, p.amount,
                              _replay(ctx, p),
                              creator_ids=_creators(bill), users_roles=_users_roles(ctx))


def approval_states(ctx: Ctx, payments: list[t.Payment],
                    bills: dict[str, t.Bill] | None = None) -> dict[str, approvals.ApprovalState]:
    """``approval_state`` of many payments (a list page) in a fixed number of statements: the decisions of
    their current rounds in one query, the organization's people once, bills from ``bills`` when given."""
    waiting = [p for p in payments if p.approval_snapshot]
    if not waiting:
        return {}
    rounds = {p.id: (p.approval_snapshot or {}).get("round", 1) for p in waiting}
    decided: dict[str, list[approvals.Decision]] = {p.id: [] for p in waiting}
    for d in ctx.session.scalars(select(t.PaymentDecision).where(
            t.PaymentDecision.org_id == ctx.org_id, t.PaymentDecision.payment_id.in_(list(rounds)))
            .order_by(t.PaymentDecision.created_at, t.PaymentDecision.id)):
        if d.round == rounds[d.payment_id]:
            decided[d.payment_id].append(approvals.Decision(d.user_id, d.decision, roles=frozenset(d.roles or [])))
    bills = dict(bills or {})
    missing = {p.bill_id for p in waiting if p.bill_id not in bills}
    if missing:
        bills.update({b.id: b for b in ctx.session.scalars(select(t.Bill).where(
            t.Bill.org_id == ctx.org_id, t.Bill.id.in_(list(missing))))})
    people = _users_roles(ctx)
    return {p.id: approvals.evaluate(p.approval_snapshot, p.amount, decided[p.id],
                                     creator_ids=_creators(bills[p.bill_id]) if p.bill_id in bills else set(),
                                     users_roles=people)
            for p in waiting}


def decide(ctx: Ctx, payment_id: str, decision: str, reason: str | None = None) -> t.Payment:
    ctx.require("payments.approve")
    p = ctx.get(t.Payment, payment_id, lock=True)
    if p.status != PaymentStatus.PENDING_APPROVAL:
        raise InvalidTransition("payment", "approved" if decision == "approve" else "rejected", p.status)
    if decision == "reject" and not (reason or "").strip():
        raise ValidationError("Say why the payment is rejected.", code="reason_required", field="reason")
    deadline = dt.date.fromisoformat(p.approval_snapshot["deadline"])
    if decision == "approve" and today(ctx) > deadline:
        raise Conflict(f"Approval was due by {deadline.isoformat()}; the payment is overdue and will not be "
                       "sent. Reschedule it with a later pay date.", code="approval_overdue")
    bill = ctx.get(t.Bill, p.bill_id)
    if decision == "approve":
        duplicates.guard(bill, "approved")
    check = approvals.check_can_approve if decision == "approve" else approvals.check_can_reject
    try:
        state = check(p.approval_snapshot, p.amount,
                      _replay(ctx, p),
                      ctx.actor.user_id, creator_ids=_creators(bill), users_roles=_users_roles(ctx))
    except PaymentRuleError as e:
        raise rule_error(e) from None
    ctx.session.add(t.PaymentDecision(id=new_id("dec"), org_id=ctx.org_id, payment_id=p.id,
                                      round=p.approval_snapshot.get("round", 1), user_id=ctx.actor.user_id,
                                      decision=decision, reason=reason, roles=sorted(ctx.actor.roles),
                                      created_at=ctx.now()))
    if decision == "reject":
        p.status = rules.transition("reject", p.status)
        p.status_reason = f"Rejected: {reason}"
        vendor_credits.release(p)
    elif state.done:
        p.status = rules.transition("approve_final", p.status)
    p.version += 1
    ctx.audit(f"payment.{'approved' if decision == 'approve' else 'rejected'}", "payment", p.id,
              after={"status": p.status, "reason": reason, "approval_status": state.status})
    return p


def cancel(ctx: Ctx, payment_id: str, reason: str | None = None) -> t.Payment:
    ctx.require("payments.write")
    p = ctx.get(t.Payment, payment_id, lock=True)
    p.status = rules.transition("cancel", p.status)
    p.status_reason = reason or "Cancelled."
    vendor_credits.release(p)
    p.version += 1
    ctx.audit("payment.cancelled", "payment", p.id, after={"reason": p.status_reason})
    return p


def list_payments(ctx: Ctx, *, status: str | None = None, bill_id: str | None = None, limit: int = 50,
                  cursor: str | None = None) -> list[t.Payment]:
    stmt = select(t.Payment).where(t.Payment.org_id == ctx.org_id)
    if status:
        stmt = stmt.where(statuses_filter(t.Payment.status, status, PaymentStatus, "payment"))
    if bill_id:
        stmt = stmt.where(t.Payment.bill_id == bill_id)
    if cursor:
        stmt = stmt.where(t.Payment.id < cursor)
    return list(ctx.session.scalars(stmt.order_by(t.Payment.id.desc()).limit(limit + 1)))


def decisions_of(ctx: Ctx, p: t.Payment) -> list[t.PaymentDecision]:
    return list(ctx.session.scalars(select(t.PaymentDecision).where(
        t.PaymentDecision.payment_id == p.id, t.PaymentDecision.org_id == ctx.org_id)
        .order_by(t.PaymentDecision.created_at)))


# --- release and settlement (driven by the scheduler and the rail) -------------------------------

def due_for_release(ctx: Ctx) -> list[t.Payment]:
    """Scheduled payments whose release time (pay date, 4 AM org time by default) has come (read only)."""
    settings = get_settings(ctx)
    rows = ctx.session.scalars(select(t.Payment).where(
        t.Payment.org_id == ctx.org_id, t.Payment.status == PaymentStatus.SCHEDULED,
        t.Payment.pay_date <= today(ctx))).all()
    return [p for p in rows if ctx.now() >= calendar.release_at(p.pay_date, settings["timezone"],
                                                                settings["payment_release_hour"])]


def release_guard(ctx: Ctx, p: t.Payment) -> str | None:
    """What stops a scheduled payment from going to the bank, or None. A bill paid (elsewhere) or voided
    cancels the payment; a bill held as a likely duplicate, or a vendor whose details no longer allow the method,
    holds it as a draft. Either way the vendor credits it would have used are free again."""
    bill = ctx.get(t.Bill, p.bill_id)
    if bill.status in (bill_rules.BillStatus.PAID, bill_rules.BillStatus.VOID):
        p.status, p.status_reason = PaymentStatus.CANCELLED, f"Not sent: the bill is {bill.status}."
        vendor_credits.release(p)
        ctx.audit("payment.cancelled", "payment", p.id, after={"reason": p.status_reason})
        return p.status_reason
    try:
        duplicates.guard(bill, "sent to the bank")
        check_method(ctx, ctx.get(t.Vendor, p.vendor_id), p.method)
    except (ValidationError, Conflict) as e:
        p.status = rules.transition("unschedule", p.status)
        p.status_reason = f"Not sent: {e.detail}"
        vendor_credits.release(p)
        ctx.audit("payment.held", "payment", p.id, after={"reason": p.status_reason})
        return p.status_reason
    return None


def release_due(ctx: Ctx, *, hold: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Send scheduled payments whose release time has come. Each bill and then its payment are locked and re-read
    first, so a pull that stopped or held a payment meanwhile wins; ``hold``: payments not to send yet (their bill
    could not be read fresh from the platform; the next tick tries again)."""
    settings = get_settings(ctx)
    now = ctx.now()
    due = []
    candidates = ctx.session.execute(select(t.Payment.id, t.Payment.bill_id).where(
        t.Payment.org_id == ctx.org_id, t.Payment.status == PaymentStatus.SCHEDULED,
        t.Payment.pay_date <= today(ctx)).order_by(t.Payment.bill_id, t.Payment.id)).all()
    for pid, bill_id in candidates:
        if pid in hold:
            continue
        # The bill's lock first, then the payment's (the pull's order): a pull that is stopping this payment
        # finishes first and the payment is seen stopped; a pull that comes second sees it sent.
        ctx.get(t.Bill, bill_id, lock=True)
        p = ctx.get(t.Payment, pid, lock=True)
        if p.status != PaymentStatus.SCHEDULED:
            continue
        if now < calendar.release_at(p.pay_date, settings["timezone"], settings["payment_release_hour"]):
            continue
        if release_guard(ctx, p) is None:
            due.append(p)
    from . import rails

    released = rails.submit(ctx, due, settings) if due else []
    for p in ctx.session.scalars(select(t.Payment).where(
            t.Payment.org_id == ctx.org_id, t.Payment.status == PaymentStatus.PENDING_APPROVAL)).all():
        deadline = (p.approval_snapshot or {}).get("deadline")
        if deadline and dt.date.fromisoformat(deadline) < today(ctx) and not (p.status_reason or "").startswith("Overdue"):
            p.status_reason = f"Overdue: approval was due by {deadline}; the payment will not be sent."
            ctx.audit("payment.approval_overdue", "payment", p.id, after={"deadline": deadline})
    return released


def record_settlement(ctx: Ctx, p: t.Payment) -> None:
    p.status = rules.transition("settle", p.status)
    p.settled_at = ctx.now()
    p.version += 1
    vendor_credits.settle(ctx, p)
    bill = ctx.get(t.Bill, p.bill_id)
    p.attributes = dict(bill.attributes or {})  # the bill payment inherits its bill's coding
    ctx.audit("payment.settled", "payment", p.id, after={"bank_reference": p.bank_reference})
    if sync_records.active_connection(ctx.session, ctx.org_id) is None:
        mark_bill_paid(ctx, bill, p.amount)
    else:
        rec = sync_records.get_or_create(ctx, "payment", p.id)
        rec.state = "not_synced"  # ready to sync
        if get_settings(ctx).get("auto_sync_payments"):
            sync_records.mark_pending(ctx, "payment", p.id)
            ctx.enqueue("push_payment", p.id)


def mark_bill_paid(ctx: Ctx, bill: t.Bill, amount: Decimal) -> None:
    """A bill payment of ``amount`` was recorded (on the platform, or settled with nothing connected)."""
    if bill.status == bill_rules.BillStatus.PAID:
        return
    bill.paid_amount = (bill.paid_amount or Decimal(0)) + amount
    action = "pay" if bill.paid_amount >= (bill.amount or 0) else "pay_partially"
    bill.status = bill_rules.transition(action, bill.status)
    bill.version += 1
    ctx.audit("bill.paid" if action == "pay" else "bill.partially_paid", "bill", bill.id,
              after={"paid_amount": str(bill.paid_amount)})


def unpay_bill(ctx: Ctx, bill: t.Bill, amount: Decimal, reason: str) -> None:
    """A bill payment of ``amount`` counted on this bill was undone (returned by the bank): the bill reopens."""
    before = bill.paid_amount or Decimal(0)
    bill.paid_amount = max(Decimal(0), before - amount)
    action = "reopen" if bill.paid_amount <= 0 else "pay_partially"
    if bill_rules.can(action, bill.status):
        bill.status = bill_rules.transition(action, bill.status)
    bill.version += 1
    ctx.audit("bill.reopened", "bill", bill.id, before={"paid_amount": str(before)},
              after={"paid_amount": str(bill.paid_amount), "status": bill.status, "reason": reason})


def _counted_on_bill(ctx: Ctx, p: t.Payment) -> bool:
    """Whether ``mark_bill_paid`` counted this payment: at settlement when nothing was connected (no sync record),
    or when its bill payment was recorded on the platform (a record with an external id)."""
    recs = ctx.session.scalars(select(t.SyncRecord).where(
        t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.record_type == "payment",
        t.SyncRecord.record_id == p.id)).all()
    return not recs or any(r.external_id for r in recs)


def record_return(ctx: Ctx, p: t.Payment, return_code: str) -> None:
    """The bank returned the payment: while processing (``failed``), or after it had settled (``return``). A
    settled payment's bill reopens here at once; its bill payment, if it reached the platform, is reversed there
    by the ``reverse_payment`` job (which reopens the bill on the platform)."""
    from ..payments.returns import describe_return

    rc = describe_return(return_code)
    settled = p.status == PaymentStatus.SETTLED
    if settled:
        bill = ctx.get(t.Bill, p.bill_id, lock=True)
        counted = _counted_on_bill(ctx, p)
    p.status = rules.transition("return" if settled else "fail", p.status)
    p.return_code = rc.code
    if settled:  # the vendor credits it used are open again (its platform payment, which applied them, is reversed)
        for c in p.credits_applied or []:
            unpay_bill(ctx, ctx.get(t.Bill, c["credit_id"], lock=True), Decimal(c["amount"]),
                       f"payment {p.id} returned by the bank ({rc.code})")
    vendor_credits.release(p)
    p.status_reason = f"Returned by the bank ({rc.code}: {rc.title}). {rc.description}"
    if rc.bank_details_wrong:
        p.status_reason += " The vendor's bank details look wrong: check them with the vendor before paying again."
    p.version += 1
    ctx.audit("payment.returned", "payment", p.id, after={"return_code": rc.code, "reason": p.status_reason,
                                                          "after_settlement": settled})
    if settled:
        if counted:
            unpay_bill(ctx, bill, p.amount, f"payment {p.id} returned by the bank ({rc.code})")
        if sync_records.request_reversal(ctx, "payment", p.id):
            ctx.enqueue("reverse_payment", p.id)
