"""Payment rails as seen by the services: release due payments, settle or return them later.

The organization's ``payment_rail`` setting chooses the rail: ``sandbox_bank``
(built in; settles after N business days; an account number ending in
``999NN`` comes back with return code RNN), ``nacha_file`` or
``pain001_file`` (a bank file is made per release and kept for download; the
outcome is recorded when the bank reports it).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from ..db import tables as t
from ..domain import payments as rules
from ..domain.errors import ValidationError
from ..domain.payments import PaymentStatus
from ..ids import new_id
from ..payments.errors import PaymentRuleError
from ..payments.rails.base import OriginatorProfile, PaymentInstruction, PostalAddress
from . import payments as payment_services
from . import vendor_credits
from .context import Ctx
from .vendors import bank_details

FILE_RAILS = ("nacha_file", "pain001_file")


def _address(a: dict | None) -> PostalAddress | None:
    if not a:
        return None
    return PostalAddress(street=" ".join(filter(None, [a.get("line1"), a.get("line2")])), city=a.get("city") or "",
                         postal_code=a.get("postal_code") or "", region=a.get("state") or "",
                         country=a.get("country") or "")


def instruction(ctx: Ctx, p: t.Payment) -> PaymentInstruction:
    vendor = ctx.get(t.Vendor, p.vendor_id)
    bill = ctx.get(t.Bill, p.bill_id)
    d = bank_details(ctx, vendor)
    return PaymentInstruction(payment_id=p.id, amount=vendor_credits.cash(p), currency=p.currency, pay_date=p.pay_date,
                              method=p.method, creditor_name=vendor.name, creditor_address=_address(vendor.address),
                              routing_number=d.routing_number, account_number=d.account_number, iban=d.iban,
                              bic=d.bic, remittance=f"Invoice {bill.invoice_number}" if bill.invoice_number else "",
                              invoice_numbers=(bill.invoice_number,) if bill.invoice_number else (),
                              vendor_id=vendor.id)


def originator(settings: dict) -> OriginatorProfile:
    o = settings.get("originator") or {}
    if not o.get("company_name") or not o.get("odfi_routing"):
        raise ValidationError("Bank files need the paying company's bank profile (settings.originator: company_name, "
                              "company_id, odfi_routing, account_number, iban/bic).", code="originator_missing")
    return OriginatorProfile(company_name=o["company_name"], company_id=o.get("company_id") or "",
                             odfi_routing=o["odfi_routing"], account_number=o.get("account_number") or "",
                             iban=o.get("iban"), bic=o.get("bic"), bank_name=o.get("bank_name") or "")


def make_rail(settings: dict):  # noqa: ANN201
    name = settings.get("payment_rail") or "sandbox_bank"
    if name == "nacha_file":
        from ..payments.rails.nacha import NachaOptions, NachaRail

        return NachaRail(originator(settings), NachaOptions(sec_code="CCD"))
    if name == "pain001_file":
        from ..payments.rails.pain001 import Pain001Rail

        return Pain001Rail(originator(settings))
    from ..payments.rails.sandbox_bank import SandboxBank, SandboxBankConfig

    return SandboxBank(SandboxBankConfig(settle_after_days=int(settings.get("sandbox_bank_settle_days", 2))))


def submit(ctx: Ctx, payments: list[t.Payment], settings: dict) -> list[str]:
    """Hand due payments to the rail as one batch; a payment the rail refuses is held with the reason."""
    if not payments:
        return []
    rail = make_rail(settings)
    today = payment_services.today(ctx)
    good: list[tuple[t.Payment, PaymentInstruction]] = []
    for p in payments:
        instr = instruction(ctx, p)
        try:
            rail.validate(instr)
            good.append((p, instr))
        except PaymentRuleError as e:
            p.status = rules.transition("unschedule", p.status)
            p.status_reason = f"Not sent: {e.detail}"
            ctx.audit("payment.held", "payment", p.id, after={"code": e.code, "reason": e.detail})
    if not good:
        return []
    since = ctx.now() - dt.timedelta(hours=24)  # file id modifiers must differ between files of one day
    seq = 1 + (ctx.session.scalar(select(func.count()).select_from(t.BankFile).where(
        t.BankFile.org_id == ctx.org_id, t.BankFile.created_at >= since)) or 0)
    submission = rail.submit([i for _, i in good], today, now=ctx.now(), file_sequence=seq)
    by_id = {s.payment_id: s for s in submission.payments}
    file_row = None
    if submission.file is not None:
        key, _ = ctx.storage.put(ctx.org_id, submission.file.content, "-" + submission.file.filename)
        file_row = t.BankFile(id=new_id("bkf"), org_id=ctx.org_id, rail=submission.rail,
                              filename=submission.file.filename, media_type=submission.file.media_type,
                              storage_key=key, reference=submission.reference or "",
                              payment_ids=[p.id for p, _ in good], total=sum((vendor_credits.cash(p) for p, _ in good), Decimal(0)),
                              created_at=ctx.now())
        ctx.session.add(file_row)
        ctx.audit("bank_file.created", "bank_file", file_row.id,
                  after={"rail": submission.rail, "payments": len(good), "total": str(file_row.total)})
    for p, _ in good:
        s = by_id[p.id]
        p.status = rules.transition("release", p.status)
        p.released_at = ctx.now()
        p.bank_reference = s.bank_reference
        p.expected_settlement = s.expected_settlement_date
        p.pending_return_code = s.pending_return_code
        p.bank_file_id = file_row.id if file_row else None
        p.version += 1
        ctx.audit("payment.released", "payment", p.id, after={"rail": submission.rail, "bank_reference": p.bank_reference,
                                                              "expected_settlement": p.expected_settlement.isoformat()})
    return [p.id for p, _ in good]


def settle_due(ctx: Ctx) -> list[str]:
    """The sandbox bank settles (or returns) processing payments whose settlement date has come."""
    settings = payment_services.get_settings(ctx)
    if (settings.get("payment_rail") or "sandbox_bank") != "sandbox_bank":
        return []
    today = payment_services.today(ctx)
    done = []
    for p in ctx.session.scalars(select(t.Payment).where(
            t.Payment.org_id == ctx.org_id, t.Payment.status == PaymentStatus.PROCESSING,
            t.Payment.expected_settlement <= today).with_for_update()).all():
        if p.pending_return_code:
            payment_services.record_return(ctx, p, p.pending_return_code)
        else:
            payment_services.record_settlement(ctx, p)
        done.append(p.id)
    return done


def release_now(ctx: Ctx, p: t.Payment) -> None:
    """The sandbox bank takes a scheduled payment at once instead of at the release hour of its pay date:
    the same guards (a bill paid elsewhere or voided, the vendor's details) and the same submission as the
    daily release. A guard that stops it refuses the request and changes nothing."""
    settings = payment_services.get_settings(ctx)
    if (settings.get("payment_rail") or "sandbox_bank") != "sandbox_bank":
        raise ValidationError("Only the sandbox bank settles on request; bank files are settled when the bank "
                              "reports them.", code="invalid_transition", status=409)
    reason = payment_services.release_guard(ctx, p)
    if reason is None and not submit(ctx, [p], settings):
        reason = p.status_reason or "the bank refused it"
    if reason is not None:
        raise ValidationError(f"The payment cannot be released now. {reason}", code="release_refused", status=409)


def force_outcome(ctx: Ctx, payment_id: str, outcome: str, return_code: str | None) -> t.Payment:
    """``sandbox-bank/settle``: settle or return a payment now, or return a settled one (also how a bank's report
    is recorded). A scheduled payment is released first, through the daily release's guards and submission."""
    ctx.require("payments.write")
    p = ctx.get(t.Payment, payment_id, lock=True)
    if p.status == PaymentStatus.PENDING_APPROVAL:
        raise ValidationError("This payment still needs its approvals before the bank can take it.",
                              code="approval_required", status=409)
    if p.status == PaymentStatus.SCHEDULED:
        release_now(ctx, p)
    returned_later = outcome != "settled" and p.status == PaymentStatus.SETTLED  # a return after settlement
    if p.status != PaymentStatus.PROCESSING and not returned_later:
        raise ValidationError(f"Only a payment the bank is processing can be settled, and only a processing or "
                              f"settled one returned; this one is {p.status.replace('_', ' ')}.",
                              code="invalid_transition", status=409)
    if outcome == "settled":
        payment_services.record_settlement(ctx, p)
    else:
        from ..payments.returns import describe_return

        code = (return_code or "R01").upper()
        try:
            describe_return(code)
        except PaymentRuleError:
            raise ValidationError(f"'{return_code}' is not an ACH return code (R01-R29).",
                                  code="return_code_invalid", field="return_code") from None
        payment_services.record_return(ctx, p, code)
    return p
