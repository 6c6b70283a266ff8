"""API keys: only a hash of each key is stored; a key is listed by its id and can be revoked at once."""
from __future__ import annotations

from sqlalchemy import select

from ..db import tables as t
from .context import Ctx


def _may_manage(ctx: Ctx, user_id: str) -> t.User:
    user = ctx.get(t.User, user_id)
    if ctx.actor.user_id != user.id:
        ctx.require("users.write")
    return user


def key_view(k: t.ApiKey) -> dict:
    return {"id": k.id, "user_id": k.user_id, "created_at": k.created_at.isoformat() if k.created_at else None,
            "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None, "prefix": f"bp_{k.id}."}


def list_keys(ctx: Ctx, user_id: str) -> list[t.ApiKey]:
    user = _may_manage(ctx, user_id)
    return list(ctx.session.scalars(select(t.ApiKey).where(t.ApiKey.org_id == ctx.org_id,
                                                           t.ApiKey.user_id == user.id).order_by(t.ApiKey.id)))


def revoke_key(ctx: Ctx, user_id: str, key_id: str) -> t.ApiKey:
    """Revoke one of the user's keys (their own, or anyone's for admins); revoking twice is harmless."""
    user = _may_manage(ctx, user_id)
    key = ctx.get(t.ApiKey, key_id, what="api key")
    if key.user_id != user.id:
        ctx.get(t.ApiKey, "", what="api key")  # the same 404 as an unknown key
    if key.revoked_at is None:
        key.revoked_at = ctx.now()
        ctx.audit("api_key.revoked", "user", user.id, after={"api_key_id": key.id})
    return key
