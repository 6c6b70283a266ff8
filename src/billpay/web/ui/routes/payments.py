"""Payments: tabs by status, scheduling on business days, approvals, the sandbox bank."""
from __future__ import annotations

import datetime as dt
import json

from fastapi import APIRouter, Request
from sqlalchemy import select

from ....db import tables as t
from ....domain.errors import BillPayError
from ....domain.payments import NOT_SENT
from ....payments import calendar
from ....services import orgs, rails, sync_records
from ....services import payments as svc
from ....services import vendors as vendor_svc
from ...api.views import payment_view
from .. import lookups
from ..web import Form, User, act, blank_to_none, container, flash, local_url, redirect, render

router = APIRouter()

TABS = {"drafts": ("Drafts", ["draft"]), "approval": ("Awaiting approval", ["pending_approval"]),
        "scheduled": ("Scheduled", ["scheduled", "processing"]), "paid": ("Paid", ["settled"]),
        "failed": ("Failed & cancelled", ["failed", "cancelled"])}
PAGE = 50


def _rows(ctx, payments: list[t.Payment], syncs: dict, bills: dict, vendors: dict, users: dict, *,  # noqa: ANN001
          decisions: bool = False) -> list[dict]:
    """The views of a page of payments. What the rows show (approval progress, the vendor's payment methods)
    is loaded for the whole page at once, so a page costs the same few statements whatever its size."""
    states = svc.approval_states(ctx, [p for p in payments if p.status == "pending_approval"], bills)
    draft_vendor_ids = sorted({p.vendor_id for p in payments if p.status == "draft" and p.vendor_id})
    draft_vendors = {v.id: v for v in ctx.session.scalars(select(t.Vendor).where(
        t.Vendor.org_id == ctx.org_id, t.Vendor.id.in_(draft_vendor_ids)))} if draft_vendor_ids else {}
    policy = lookups.approval_policy(ctx) if any(p.status == "draft" for p in payments) else None
    today = svc.today(ctx)
    out = []
    for p in payments:
        view = payment_view(p, syncs.get(p.id), svc.decisions_of(ctx, p) if decisions else None)
        bill = bills.get(p.bill_id)
        view["vendor_name"] = vendors.get(p.vendor_id) or "Unknown vendor"
        view["invoice_number"] = bill.invoice_number if bill else None
        view["due_date"] = bill.due_date.isoformat() if bill and bill.due_date else None
        state = states.get(p.id)
        view["approval_state"] = state
        view["may_approve"] = bool(state and ctx.actor.user_id in state.may_approve)
        view["needs_approval"] = p.status == "draft" and lookups.requires_approval(ctx, p.amount, policy)
        if bill is not None and p.status == "draft":
            view["suggested_pay_date"] = calendar.suggested_pay_date(
                bill.due_date, today, needs_approval=view["needs_approval"]).isoformat()
        view["overdue"] = bool(bill and bill.due_date and bill.due_date < today and p.status in NOT_SENT)
        if p.status == "draft" and p.vendor_id in draft_vendors:
            vv = vendor_svc.vendor_view(ctx, draft_vendors[p.vendor_id])
            view["methods"], view["pending_methods"] = vv["payment_methods"], vv["pending_payment_methods"]
        view["approvers_waiting"] = [users.get(u, u) for u in sorted(state.may_approve)] if state else []
        out.append(view)
    return out


def _common(ctx) -> dict:  # noqa: ANN001
    today = svc.today(ctx)
    closed = {d: {"why": why, "next": calendar.next_business_day(dt.date.fromisoformat(d)).isoformat()}
              for d, why in lookups.closed_days(today).items()}
    return {"today": today.isoformat(), "first_business_day": calendar.roll_forward(today).isoformat(),
            "closed_json": json.dumps(closed),
            "rail": orgs.get_settings(ctx).get("payment_rail"), "platform": lookups.platform_name(ctx)}


@router.get("/payments")
def payment_list(request: Request, user=User, tab: str = "drafts", cursor: str | None = None):  # noqa: ANN001, ANN201
    tab = tab if tab in TABS else "drafts"
    with container(request).tx(user.actor) as ctx:
        rows = svc.list_payments(ctx, status=",".join(TABS[tab][1]), limit=PAGE, cursor=cursor or None)
        more = len(rows) > PAGE
        rows = rows[:PAGE]
        syncs = sync_records.records_for(ctx, "payment", [p.id for p in rows])
        bills = lookups.bills_by_id(ctx, [p.bill_id for p in rows])
        vendors, users = lookups.vendor_names(ctx), lookups.user_names(ctx)
        payments = _rows(ctx, rows, syncs, bills, vendors, users)
        counts = lookups.tab_counts(ctx, t.Payment, {k: v[1] for k, v in TABS.items()})
        common = _common(ctx)
    return render(request, "payments/list.html", tab=tab, tabs=TABS, counts=counts, payments=payments,
                  next_cursor=rows[-1].id if more and rows else None, **common)


@router.get("/payments/{payment_id}")
def payment_detail(payment_id: str, request: Request, user=User):  # noqa: ANN001, ANN201
    with container(request).tx(user.actor) as ctx:
        p = ctx.get(t.Payment, payment_id)
        syncs = sync_records.records_for(ctx, "payment", [p.id])
        users = lookups.user_names(ctx)
        payment = _rows(ctx, [p], syncs, lookups.bills_by_id(ctx, [p.bill_id]), lookups.vendor_names(ctx), users,
                        decisions=True)[0]
        data = {"payment": payment, "history": sync_records.history(ctx, "payment", p.id, limit=20),
                "audit": lookups.audit_trail(ctx, "payment", p.id), "users": users, **_common(ctx)}
    return render(request, "payments/detail.html", **data)


def _back(form, payment_id: str) -> str:  # noqa: ANN001
    return local_url(form.get("back"), f"/payments/{payment_id}")


@router.post("/payments/schedule-selected")
def schedule_selected(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    """Schedule the chosen drafts each on its suggested date; one summary of what went where."""
    ids = form.getlist("payment_ids")[:200]
    if not ids:
        flash(request, "Tick the drafts to schedule first.", "error")
        return redirect("/payments?tab=drafts")
    c = container(request)
    with c.tx(user.actor) as ctx:
        ctx.require("payments.write")
    scheduled, waiting, refused = [], [], []
    for pid in ids:
        try:
            with c.tx(user.actor) as ctx:
                p = svc.schedule_suggested(ctx, pid)
                bill = ctx.get(t.Bill, p.bill_id)
                name = f"{lookups.vendor_names(ctx).get(p.vendor_id, 'Unknown vendor')} · {bill.invoice_number or 'no number'}"
                (waiting if p.status == "pending_approval" else scheduled).append(
                    (name, p.pay_date, (p.approval_snapshot or {}).get("deadline")))
        except BillPayError as e:
            with c.tx(user.actor) as ctx:
                p = ctx.session.get(t.Payment, pid)
                bill = ctx.session.get(t.Bill, p.bill_id) if p is not None and p.org_id == ctx.org_id else None
                name = (f"{lookups.vendor_names(ctx).get(p.vendor_id, 'Unknown vendor')} · "
                        f"{bill.invoice_number or 'no number'}") if bill else "A payment"
            refused.append((name, e.detail))
    parts = []
    if scheduled:
        parts.append(f"Scheduled {len(scheduled)}: " + "; ".join(f"{n} on {d.isoformat()}" for n, d, _ in scheduled) + ".")
    if waiting:
        parts.append(f"{len(waiting)} need approval and went to the approvers: "
                     + "; ".join(f"{n} (pay {d.isoformat()}, approve by {dl})" for n, d, dl in waiting) + ".")
    if parts:
        flash(request, " ".join(parts))
    if refused:
        flash(request, f"Not scheduled ({len(refused)}): " + " ".join(f"{n}: {why}" for n, why in refused), "error")
    return redirect("/payments?tab=drafts")


@router.post("/payments/{payment_id}/schedule")
def schedule(payment_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    pay_date, method = (form.get("pay_date") or "").strip(), (form.get("method") or "").strip()
    back = _back(form, payment_id)

    def message(p: t.Payment) -> str:
        if p.status == "pending_approval":
            return f"Sent for approval. Approval is due by {p.approval_snapshot['deadline']}, the business day " \
                   "before the pay date."
        return f"Scheduled for {p.pay_date.isoformat()} by {p.method.upper()}."
    return act(request, user, lambda ctx: svc.schedule(ctx, payment_id, pay_date=pay_date, method=method),
               ok=back, back=back, message=message)


@router.post("/payments/{payment_id}/amount")
def set_amount(payment_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    amount = (form.get("amount") or "").replace(",", "").strip()
    return act(request, user, lambda ctx: svc.update_payment(ctx, payment_id, {"amount": amount}),
               ok=_back(form, payment_id), back=_back(form, payment_id), message="Amount changed.")


@router.post("/payments/{payment_id}/approve")
def approve(payment_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, lambda ctx: svc.decide(ctx, payment_id, "approve", blank_to_none(form.get("reason"))),
               ok=_back(form, payment_id), back=_back(form, payment_id),
               message=lambda p: "Approved. The payment is scheduled." if p.status == "scheduled"
               else "Approval recorded; more approvals are needed.")


@router.post("/payments/{payment_id}/reject")
def reject(payment_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, lambda ctx: svc.decide(ctx, payment_id, "reject", blank_to_none(form.get("reason"))),
               ok=_back(form, payment_id), back=_back(form, payment_id),
               message="Rejected. The payment is back in Drafts with your reason.")


@router.post("/payments/{payment_id}/cancel")
def cancel(payment_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, lambda ctx: svc.cancel(ctx, payment_id, blank_to_none(form.get("reason"))),
               ok=_back(form, payment_id), back=_back(form, payment_id), message="Payment cancelled.")


@router.post("/payments/{payment_id}/sandbox-bank")
def sandbox_bank(payment_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    outcome = "returned" if form.get("outcome") == "returned" else "settled"
    code = blank_to_none(form.get("return_code"))
    return act(request, user, lambda ctx: rails.force_outcome(ctx, payment_id, outcome, code),
               ok=_back(form, payment_id), back=_back(form, payment_id),
               message=lambda p: "The sandbox bank settled the payment." if p.status == "settled"
               else f"The sandbox bank returned the payment. {p.status_reason}")
