"""/api/v1: vendors, mapping rules, payments, approval policy, settings, users, audit events, sandbox bank."""
from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter, Body, Query
from sqlalchemy import select

from ....db import tables as t
from ....domain.errors import BillPayError
from ....services import api_keys, orgs, pull_report, rails, sync_records
from ....services import mapping_rules as rules_svc
from ....services import payments as pay_svc
from ....services import vendors as vendor_svc
from ..control_schemas import NotBroughtIn, ScheduleManyIn, ScheduleOutcomes
from ..deps import ActorDep, ContainerDep
from ..schemas import PaymentPatch, ReasonIn, RuleIn, ScheduleIn, SettingsPatch, SettleIn, UserIn, UserPatch, VendorIn
from ..views import audit_view, page, payment_view, rule_view, user_view

router = APIRouter()


# vendors -------------------------------------------------------------------------------------------
@router.get("/vendors", tags=["vendors"])
def list_vendors(c: ContainerDep, actor: ActorDep, q: str | None = None, limit: int = Query(50, ge=1, le=200),
                 cursor: str | None = None):
    with c.tx(actor) as ctx:
        return page(vendor_svc.list_vendors(ctx, q=q, limit=limit, cursor=cursor), limit,
                    lambda v: vendor_svc.vendor_view(ctx, v))


@router.post("/vendors", status_code=201, tags=["vendors"])
def create_vendor(body: VendorIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return vendor_svc.vendor_view(ctx, vendor_svc.create_vendor(ctx, body.to_dict()))


@router.get("/vendors/{vendor_id}", tags=["vendors"])
def get_vendor(vendor_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return vendor_svc.vendor_view(ctx, ctx.get(t.Vendor, vendor_id))


@router.patch("/vendors/{vendor_id}", tags=["vendors"])
def patch_vendor(vendor_id: str, body: VendorIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return vendor_svc.vendor_view(ctx, vendor_svc.update_vendor(ctx, vendor_id, body.to_dict()))


@router.get("/vendors/{vendor_id}/mapping-suggestions", tags=["vendors"],
            summary="Platform vendors whose names look like this vendor's, best first")
def mapping_suggestions(vendor_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return {"data": vendor_svc.mapping_suggestions(ctx, vendor_id)}


@router.post("/vendors/{vendor_id}/create-in-platform", tags=["vendors"], status_code=202,
             summary="Create this vendor in the connected platform (name, e-mail, address) and map it",
             responses={403: {"description": "forbidden"}, 404: {"description": "vendor_not_found"},
                        409: {"description": "not_connected, create_vendors_unsupported or vendor_already_mapped"}})
def create_in_platform(vendor_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        v = vendor_svc.create_in_platform(ctx, vendor_id)
        return {**vendor_svc.vendor_view(ctx, v),
                "platform_sync": sync_records.view(sync_records.records_for(ctx, "vendor", [v.id]).get(v.id))}


@router.post("/vendors/{vendor_id}/verify-bank-details", tags=["vendors"],
             summary="A second person verifies (or rejects with approve=false) a bank-detail change")
def verify_bank(vendor_id: str, c: ContainerDep, actor: ActorDep, approve: bool = True):
    with c.tx(actor) as ctx:
        return vendor_svc.vendor_view(ctx, vendor_svc.verify_bank_details(ctx, vendor_id, approve=approve))


@router.get("/accounting/sync-bills/not-brought-in", tags=["accounting"], response_model=NotBroughtIn,
            summary="What the last Sync Bills skipped and why: bills of unmapped platform vendors (by name, with "
                    "the billpay vendor of that exact name when there is one) and bills dated before the start date")
def pull_not_brought_in(c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        report = pull_report.not_brought_in(ctx)
        return {**report, "at": report["at"].isoformat() if report["at"] else None}


# mapping rules ---------------------------------------------------------------------------------------
@router.get("/mapping-rules", tags=["mapping-rules"])
def list_rules(c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return {"data": [rule_view(r) for r in rules_svc.list_rules(ctx)], "next_cursor": None}


@router.post("/mapping-rules", status_code=201, tags=["mapping-rules"])
def create_rule(body: RuleIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return rule_view(rules_svc.create_rule(ctx, body.to_dict()))


@router.post("/mapping-rules/preview", tags=["mapping-rules"], summary="What a rule would change, without saving")
def preview_rule(body: RuleIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return {"data": rules_svc.preview_rule(ctx, body.to_dict())}


@router.patch("/mapping-rules/{rule_id}", tags=["mapping-rules"])
def patch_rule(rule_id: str, body: RuleIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return rule_view(rules_svc.update_rule(ctx, rule_id, body.to_dict()))


@router.delete("/mapping-rules/{rule_id}", status_code=204, tags=["mapping-rules"])
def delete_rule(rule_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        rules_svc.delete_rule(ctx, rule_id)


# payments ----------------------------------------------------------------------------------------------
def _payment(ctx, p):  # noqa: ANN001
    return payment_view(p, sync_records.records_for(ctx, "payment", [p.id]).get(p.id), pay_svc.decisions_of(ctx, p))


@router.get("/payments", tags=["payments"])
def list_payments(c: ContainerDep, actor: ActorDep, status: str | None = None, bill_id: str | None = None,
                  limit: int = Query(50, ge=1, le=200), cursor: str | None = None):
    with c.tx(actor) as ctx:
        rows = pay_svc.list_payments(ctx, status=status, bill_id=bill_id, limit=limit, cursor=cursor)
        syncs = sync_records.records_for(ctx, "payment", [p.id for p in rows])
        return page(rows, limit, lambda p: payment_view(p, syncs.get(p.id)))


@router.post("/payments/schedule-suggested", tags=["payments"], response_model=ScheduleOutcomes,
             response_model_exclude_none=True,
             summary="Schedule several drafts, each on its suggested date; one outcome per payment (a refusal of "
                     "one — duplicate_unresolved, bank_details_unverified, … — does not stop the others)",
             responses={403: {"description": "forbidden"}})
def schedule_suggested(body: ScheduleManyIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        ctx.require("payments.write")
    out = []
    for pid in body.payment_ids:
        try:
            with c.tx(actor) as ctx:
                p = pay_svc.schedule_suggested(ctx, pid)
                out.append({"payment_id": p.id, "status": p.status, "pay_date": p.pay_date.isoformat(),
                            "approval_deadline": (p.approval_snapshot or {}).get("deadline")})
        except BillPayError as e:
            out.append({"payment_id": pid, "error": {"code": e.code, "detail": e.detail}})
    return {"data": out}


@router.get("/payments/{payment_id}", tags=["payments"])
def get_payment(payment_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return _payment(ctx, ctx.get(t.Payment, payment_id))


@router.patch("/payments/{payment_id}", tags=["payments"])
def patch_payment(payment_id: str, body: PaymentPatch, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return _payment(ctx, pay_svc.update_payment(ctx, payment_id, body.model_dump(exclude_unset=True)))


@router.post("/payments/{payment_id}/schedule", tags=["payments"])
def schedule(payment_id: str, body: ScheduleIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return _payment(ctx, pay_svc.schedule(ctx, payment_id, pay_date=body.pay_date, method=body.method))


@router.post("/payments/{payment_id}/approve", tags=["payments"])
def approve(payment_id: str, c: ContainerDep, actor: ActorDep, body: ReasonIn | None = None):
    with c.tx(actor) as ctx:
        return _payment(ctx, pay_svc.decide(ctx, payment_id, "approve", body.reason if body else None))


@router.post("/payments/{payment_id}/reject", tags=["payments"])
def reject(payment_id: str, c: ContainerDep, actor: ActorDep, body: ReasonIn | None = None):
    with c.tx(actor) as ctx:
        return _payment(ctx, pay_svc.decide(ctx, payment_id, "reject", body.reason if body else None))


@router.post("/payments/{payment_id}/cancel", tags=["payments"])
def cancel(payment_id: str, c: ContainerDep, actor: ActorDep, body: ReasonIn | None = None):
    with c.tx(actor) as ctx:
        return _payment(ctx, pay_svc.cancel(ctx, payment_id, body.reason if body else None))


@router.get("/payments/{payment_id}/sync-history", tags=["payments"])
def payment_sync_history(payment_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        ctx.get(t.Payment, payment_id)
        return {"data": sync_records.history(ctx, "payment", payment_id)}


@router.post("/sandbox-bank/settle", tags=["payments"])
def sandbox_settle(body: SettleIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return _payment(ctx, rails.force_outcome(ctx, body.payment_id, body.outcome, body.return_code))


@router.get("/bank-files", tags=["payments"], summary="Payment files made for the bank (NACHA, pain.001)")
def bank_files(c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        rows = ctx.session.scalars(select(t.BankFile).where(t.BankFile.org_id == ctx.org_id)
                                   .order_by(t.BankFile.id.desc()).limit(200)).all()
        return {"data": [{"id": f.id, "rail": f.rail, "filename": f.filename, "reference": f.reference,
                          "payment_ids": f.payment_ids, "total": str(f.total.quantize(Decimal("0.01"))),
                          "created_at": f.created_at.isoformat()} for f in rows], "next_cursor": None}


@router.get("/bank-files/{file_id}/download", tags=["payments"])
def bank_file_download(file_id: str, c: ContainerDep, actor: ActorDep):
    from fastapi.responses import Response

    with c.tx(actor) as ctx:
        ctx.require("payments.write")
        f = ctx.get(t.BankFile, file_id, what="bank file")
        ctx.audit("bank_file.downloaded", "bank_file", f.id)
    return Response(c.storage.get(f.storage_key), media_type=f.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{f.filename}"'})


# approval policy -----------------------------------------------------------------------------------------
@router.get("/approval-policy", tags=["approval-policy"])
def get_policy(c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return ctx.session.get(t.Organization, ctx.org_id).approval_policy or {"steps": []}


@router.put("/approval-policy", tags=["approval-policy"])
def put_policy(c: ContainerDep, actor: ActorDep, body: dict = Body(...)):
    with c.tx(actor) as ctx:
        return orgs.set_approval_policy(ctx, body)


# settings --------------------------------------------------------------------------------------------------
@router.get("/settings", tags=["settings"])
def get_settings(c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        org = ctx.session.get(t.Organization, ctx.org_id)
        return {**orgs.get_settings(ctx), "inbox_address": f"{org.inbox_token}@{c.settings.inbox_domain}"}


@router.patch("/settings", tags=["settings"])
def patch_settings(body: SettingsPatch, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        changes = body.model_dump(exclude_unset=True)
        if body.originator is not None:
            changes["originator"] = body.originator.model_dump(exclude_none=True)
        out = orgs.update_settings(ctx, changes)
        org = ctx.session.get(t.Organization, ctx.org_id)
        return {**out, "inbox_address": f"{org.inbox_token}@{c.settings.inbox_domain}"}


@router.post("/settings/inbox/regenerate", tags=["settings"])
def regenerate_inbox(c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        org = orgs.regenerate_inbox(ctx)
        return {"inbox_address": f"{org.inbox_token}@{c.settings.inbox_domain}"}


# users -----------------------------------------------------------------------------------------------------
@router.get("/users", tags=["users"])
def list_users(c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        rows = ctx.session.scalars(select(t.User).where(t.User.org_id == ctx.org_id).order_by(t.User.id)).all()
        return {"data": [user_view(u) for u in rows], "next_cursor": None}


@router.post("/users", status_code=201, tags=["users"])
def create_user(body: UserIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        ctx.require("users.write")
        return user_view(orgs.create_user(ctx, email=body.email, name=body.name, roles=body.roles,
                                          password=body.password))


@router.patch("/users/{user_id}", tags=["users"])
def patch_user(user_id: str, body: UserPatch, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        ctx.require("users.write")
        return user_view(orgs.update_user(ctx, user_id, body.model_dump(exclude_unset=True)))


@router.post("/users/{user_id}/api-keys", status_code=201, tags=["users"])
def create_key(user_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        if ctx.actor.user_id != user_id:
            ctx.require("users.write")
        return {"api_key": orgs.create_api_key(ctx, user_id)}


@router.get("/users/{user_id}/api-keys", tags=["users"], summary="The user's API keys (never the secrets)")
def list_keys(user_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return {"data": [api_keys.key_view(k) for k in api_keys.list_keys(ctx, user_id)], "next_cursor": None}


@router.delete("/users/{user_id}/api-keys/{key_id}", status_code=204, tags=["users"],
               summary="Revoke an API key: it stops working at once")
def revoke_key(user_id: str, key_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        api_keys.revoke_key(ctx, user_id, key_id)


# audit events ----------------------------------------------------------------------------------------------
@router.get("/audit-events", tags=["audit-events"])
def audit_events(c: ContainerDep, actor: ActorDep, record_id: str | None = None, record_type: str | None = None,
                 action: str | None = None, limit: int = Query(50, ge=1, le=200), cursor: str | None = None):
    with c.tx(actor) as ctx:
        stmt = select(t.AuditEvent).where(t.AuditEvent.org_id == ctx.org_id)
        if record_id:
            stmt = stmt.where(t.AuditEvent.record_id == record_id)
        if record_type:
            stmt = stmt.where(t.AuditEvent.record_type == record_type)
        if action:
            stmt = stmt.where(t.AuditEvent.action == action)
        if cursor:
            stmt = stmt.where(t.AuditEvent.id < cursor)
        rows = list(ctx.session.scalars(stmt.order_by(t.AuditEvent.id.desc()).limit(limit + 1)))
        return page(rows, limit, audit_view)
