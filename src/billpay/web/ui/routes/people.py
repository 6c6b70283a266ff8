"""Users: invite people, give them roles, deactivate them, make API keys (admins)."""
from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from sqlalchemy import select

from ....db import tables as t
from ....domain.errors import BillPayError
from ....domain.users import Role
from ....services import orgs
from ..web import Form, User, act, blank_to_none, container, flash, redirect, render

router = APIRouter()
ROLE_HELP = {
    "admin": "everything, including users, settings, connections and bank-detail verification",
    "accountant": "coding, mapping rules, accounting sync, bank-detail verification",
    "ap_clerk": "bills, vendors and payment drafts",
    "approver": "approves or rejects payments",
    "viewer": "reads everything, changes nothing",
}


@router.get("/users")
def users(request: Request, user=User):  # noqa: ANN001, ANN201
    with container(request).tx(user.actor) as ctx:
        ctx.require("users.write")
        rows = ctx.session.scalars(select(t.User).where(t.User.org_id == ctx.org_id)
                                   .order_by(t.User.active.desc(), t.User.name, t.User.email)).all()
        keys = {}
        for k in ctx.session.scalars(select(t.ApiKey).where(t.ApiKey.org_id == ctx.org_id,
                                                           t.ApiKey.revoked_at.is_(None))):
            keys[k.user_id] = keys.get(k.user_id, 0) + 1
        people = [{"id": u.id, "name": u.name, "email": u.email, "roles": u.roles or [], "active": u.active,
                   "keys": keys.get(u.id, 0)} for u in rows]
    new_key = request.session.pop("new_api_key", None)
    return render(request, "people/users.html", people=people, roles=[r.value for r in Role], role_help=ROLE_HELP,
                  new_key=new_key)


@router.post("/users")
def invite(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    password = blank_to_none(form.get("password")) or secrets.token_urlsafe(12)
    chosen = form.getlist("roles")
    return act(request, user, lambda ctx: orgs.create_user(ctx, email=form.get("email") or "",
                                                           name=(form.get("name") or "").strip(), roles=chosen,
                                                           password=password),
               ok="/users", back="/users",
               message=lambda u: f"{u.name or u.email} can now sign in with the e-mail {u.email} and the password "
                                 f"{password} . Share it with them by a channel you trust.")


@router.post("/users/{user_id}")
def update(user_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    changes: dict = {}
    if form.get("action") == "roles":
        changes["roles"] = form.getlist("roles")
    elif form.get("action") in ("deactivate", "reactivate"):
        changes["active"] = form.get("action") == "reactivate"
    words = {"roles": "Roles saved.", "deactivate": "Deactivated: they can no longer sign in or use API keys.",
             "reactivate": "Reactivated."}
    return act(request, user, lambda ctx: orgs.update_user(ctx, user_id, changes), ok="/users", back="/users",
               message=words.get(form.get("action") or "", "Saved."))


@router.post("/users/{user_id}/api-keys")
def api_key(user_id: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    try:
        with container(request).tx(user.actor) as ctx:
            key = orgs.create_api_key(ctx, user_id)
            owner = ctx.get(t.User, user_id)
            request.session["new_api_key"] = {"key": key, "for": owner.name or owner.email}
    except BillPayError as e:
        flash(request, e.detail, "error")
    return redirect("/users")
