"""Payment rails as seen by the services: submit on release, settle or return later."""
from __future__ import annotations

from sqlalchemy import select

from ..db import tables as t
from ..domain import payments as rules
from ..domain.errors import ValidationError
from ..domain.payments import PaymentStatus
from ..ids import new_id
from ..payments import calendar
from .context import Ctx
from . import payments as payment_services


def submit(ctx: Ctx, p: t.Payment, settings: dict) -> None:
    """Hand a payment to the organization's rail: it is ``processing`` from now on."""
    p.status = rules.transition("release", p.status)
    p.released_at = ctx.now()
    p.bank_reference = p.bank_reference or new_id("bank")
    p.expected_settlement = calendar.add_business_days(p.pay_date, int(settings.get("sandbox_bank_settle_days", 2)))
    p.version += 1
    ctx.audit("payment.released", "payment", p.id, after={"rail": settings.get("payment_rail"),
                                                          "bank_reference": p.bank_reference,
                                                          "expected_settlement": p.expected_settlement.isoformat()})


def settle_due(ctx: Ctx) -> list[str]:
    """The sandbox bank settles processing payments whose settlement date has come."""
    today = payment_services.today(ctx)
    done = []
    for p in ctx.session.scalars(select(t.Payment).where(
            t.Payment.org_id == ctx.org_id, t.Payment.status == PaymentStatus.PROCESSING,
            t.Payment.expected_settlement <= today).with_for_update()).all():
        payment_services.record_settlement(ctx, p)
        done.append(p.id)
    return done


def force_outcome(ctx: Ctx, payment_id: str, outcome: str, return_code: str | None) -> t.Payment:
    """``sandbox-bank/settle``: the sandbox bank settles or returns a processing payment now."""
    ctx.require("payments.write")
    p = ctx.get(t.Payment, payment_id, lock=True)
    if p.status != PaymentStatus.PROCESSING:
        raise ValidationError(f"Only a payment the bank is processing can be settled or returned; this one is "
                              f"{p.status.replace('_', ' ')}.", code="invalid_transition", status=409)
    if outcome == "settled":
        payment_services.record_settlement(ctx, p)
    else:
        from ..payments.returns import describe_return

        code = (return_code or "R01").upper()
        try:
            describe_return(code)
        except (KeyError, ValueError, Exception):
            raise ValidationError(f"'{return_code}' is not an ACH return code (R01-R85).",
                                  code="return_code_invalid", field="return_code") from None
        payment_services.record_return(ctx, p, code)
    return p
