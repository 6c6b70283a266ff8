"""Settings: bill splitting, Bill Pay from the platform, payment sync, the inbox address, the approval policy."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ....db import tables as t
from ....payments.approval_policy import KNOWN_ROLES
from ....services import api_keys, orgs
from .. import lookups
from ..web import Form, User, act, blank_to_none, container, render

router = APIRouter()
MAX_STEPS = 10


@router.get("/settings")
def settings_page(request: Request, user=User):  # noqa: ANN001, ANN201
    c = container(request)
    with c.tx(user.actor) as ctx:
        org = ctx.session.get(t.Organization, ctx.org_id)
        data = {"settings": orgs.get_settings(ctx), "policy": org.approval_policy or {"steps": []},
                "inbox": f"{org.inbox_token}@{c.settings.inbox_domain}", "platform": lookups.platform_name(ctx),
                "users": lookups.users(ctx), "user_names": lookups.user_names(ctx),
                "api_keys": [api_keys.key_view(k) for k in api_keys.list_keys(ctx, user.actor.user_id)]}
    return render(request, "settings/index.html", roles=sorted(KNOWN_ROLES), max_steps=MAX_STEPS, **data)


@router.post("/settings")
def save_settings(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    changes = {
        "automated_bill_splitting": form.get("automated_bill_splitting") == "yes",
        "pull_bills_enabled": form.get("pull_bills_enabled") == "yes",
        "pull_start_date": blank_to_none(form.get("pull_start_date")),
        "auto_sync_payments": form.get("auto_sync_payments") == "yes",
    }
    if form.get("payment_rail"):
        changes["payment_rail"] = form.get("payment_rail")
    days = (form.get("sandbox_bank_settle_days") or "").strip()
    if days.isdigit():
        changes["sandbox_bank_settle_days"] = int(days)
    return act(request, user, lambda ctx: orgs.update_settings(ctx, changes), ok="/settings", back="/settings",
               message="Settings saved.")


@router.post("/settings/api-keys/{key_id}/revoke")
def revoke_api_key(key_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, lambda ctx: api_keys.revoke_key(ctx, user.actor.user_id, key_id),
               ok="/settings#api-keys", back="/settings#api-keys", message="API key revoked.")


@router.post("/settings/inbox")
def regenerate_inbox(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, orgs.regenerate_inbox, ok="/settings#inbox", back="/settings#inbox",
               message="New inbox address created. Mail sent to the old address is no longer accepted.")


def _policy_from_form(form) -> dict:  # noqa: ANN001
    steps = []
    for i in range(MAX_STEPS):
        prefix = f"step-{i}-"
        if f"{prefix}min_amount" not in form or form.get(f"{prefix}remove") == "yes":
            continue
        approvers = [{"role": r} for r in form.getlist(f"{prefix}roles") if r] + \
                    [{"user_id": u} for u in form.getlist(f"{prefix}users") if u]
        amount = (form.get(f"{prefix}min_amount") or "").replace(",", "").strip()
        if not amount and not approvers:
            continue  # the empty "add a step" row
        required = (form.get(f"{prefix}required") or "any").strip()
        steps.append({"name": (form.get(f"{prefix}name") or "").strip() or f"Step {len(steps) + 1}",
                      "min_amount": amount or "0", "approvers": approvers,
                      "required": int(required) if required.isdigit() else required})
    return {"steps": steps}


@router.post("/settings/approval-policy")
def save_policy(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    policy = _policy_from_form(form)
    return act(request, user, lambda ctx: orgs.set_approval_policy(ctx, policy), ok="/settings#policy",
               back="/settings#policy",
               message="Approval policy saved. Payments already waiting for approval keep the policy they started with."
               if policy["steps"] else "Approval policy cleared: payments are scheduled without approval.")
