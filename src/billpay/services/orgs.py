"""Organizations, users, API keys and settings."""
from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto import Vault, hash_password, new_secret, token_hash, verify_password
from ..db import tables as t
from ..domain.errors import Conflict, ValidationError
from ..domain.users import Role
from ..ids import new_id
from .context import Actor, Ctx

DEFAULT_SETTINGS = {
    "automated_bill_splitting": False,
    "pull_bills_enabled": False,
    "pull_start_date": None,
    "auto_sync_payments": False,
    "timezone": "America/New_York",
    "payment_release_hour": 4,
    "sandbox_bank_settle_days": 2,
    "payment_rail": "sandbox_bank",
    "originator": None,
}


@dataclass
class CreatedOrg:
    organization_id: str
    user_id: str
    api_key: str


def _validate_roles(roles: list[str]) -> list[str]:
    if not roles:
        raise ValidationError("A user needs at least one role.", code="roles_invalid", field="roles")
    bad = [r for r in roles if r not in Role._value2member_map_]
    if bad:
        raise ValidationError(f"Unknown role(s): {', '.join(bad)}. Roles are "
                              f"{', '.join(r.value for r in Role)}.", code="roles_invalid", field="roles")
    return sorted(set(roles))


def create_organization(session: Session, vault: Vault, *, name: str, admin_email: str,
                        admin_password: str | None = None, admin_name: str = "") -> CreatedOrg:
    if not name.strip():
        raise ValidationError("The organization needs a name.", code="name_required", field="name")
    org = t.Organization(id=new_id("org"), name=name.strip(), settings=dict(DEFAULT_SETTINGS),
                         approval_policy={"steps": []}, inbox_token=new_secret(12).lower().replace("_", "x").replace("-", "y"),
                         inbox_secret_enc=vault.encrypt(new_secret(32)))
    session.add(org)
    session.flush()
    ctx = Ctx(session, Actor.system(org.id), vault)
    ctx.audit("organization.created", "organization", org.id, after={"name": org.name})
    user = create_user(ctx, email=admin_email, name=admin_name, roles=["admin"], password=admin_password)
    key = create_api_key(ctx, user.id)
    return CreatedOrg(org.id, user.id, key)


def create_user(ctx: Ctx, *, email: str, name: str = "", roles: list[str],
                password: str | None = None) -> t.User:
    ctx.require("users.write")
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise ValidationError(f"'{email}' is not an e-mail address.", code="email_invalid", field="email")
    if password is not None and len(password) < 8:
        raise ValidationError("Passwords need at least 8 characters.", code="password_too_short",
                              field="password")
    if ctx.session.scalars(select(t.User).where(t.User.org_id == ctx.org_id, t.User.email == email)).first():
        raise Conflict(f"A user with e-mail {email} already exists.", code="user_exists")
    user = t.User(id=new_id("usr"), org_id=ctx.org_id, email=email, name=name, roles=_validate_roles(roles),
                  password_hash=hash_password(password) if password else None)
    ctx.session.add(user)
    ctx.audit("user.created", "user", user.id, after={"email": email, "roles": user.roles})
    return user


def update_user(ctx: Ctx, user_id: str, changes: dict) -> t.User:
    ctx.require("users.write")
    user = ctx.get(t.User, user_id)
    before = {"name": user.name, "roles": user.roles, "active": user.active}
    if "roles" in changes:
        user.roles = _validate_roles(changes["roles"])
    if "name" in changes:
        user.name = changes["name"]
    if "active" in changes:
        user.active = bool(changes["active"])
    if "password" in changes:
        if len(changes["password"] or "") < 8:
            raise ValidationError("Passwords need at least 8 characters.", code="password_too_short",
                                  field="password")
        user.password_hash = hash_password(changes["password"])
    if user.id == ctx.actor.user_id and (not user.active or "admin" not in user.roles) and "admin" in before["roles"]:
        raise Conflict("You cannot deactivate yourself or remove your own admin role; ask another admin.",
                       code="user_self_lockout")
    if "admin" in before["roles"] and before["active"] and not (user.active and "admin" in user.roles):
        ctx.session.flush()
        admins = ctx.session.scalars(select(t.User.id).where(t.User.org_id == ctx.org_id, t.User.active.is_(True))
                                     ).all()
        if not any("admin" in (ctx.session.get(t.User, uid).roles or []) for uid in admins):
            raise Conflict("The organization needs at least one active admin.", code="last_admin")
    ctx.audit("user.updated", "user", user.id, before=before,
              after={"name": user.name, "roles": user.roles, "active": user.active})
    return user


def create_api_key(ctx: Ctx, user_id: str) -> str:
    if ctx.actor.user_id != user_id:
        ctx.require("users.write")
    user = ctx.get(t.User, user_id)
    secret = new_secret(24)
    key = t.ApiKey(id=new_id("key"), org_id=ctx.org_id, user_id=user.id, secret_hash=token_hash(secret))
    ctx.session.add(key)
    ctx.audit("api_key.created", "user", user.id, after={"api_key_id": key.id})
    return f"bp_{key.id}.{secret}"


def authenticate_api_key(session: Session, presented: str) -> Actor | None:
    if not presented.startswith("bp_") or "." not in presented:
        return None
    key_id, _, secret = presented[3:].partition(".")
    key = session.get(t.ApiKey, key_id)
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, token_hash(secret)):
        return None
    user = session.get(t.User, key.user_id)
    if user is None or not user.active or user.org_id != key.org_id:
        return None
    return Actor(key.org_id, user.id, frozenset(user.roles), "api_key")


def authenticate_password(session: Session, email: str, password: str) -> t.User | None:
    users = session.scalars(select(t.User).where(t.User.email == email.strip().lower(),
                                                 t.User.active.is_(True))).all()
    for user in users:
        if verify_password(user.password_hash, password):
            return user
    # Spend the same time when no user matched, so timing does not reveal accounts.
    verify_password("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", password)
    return None


SETTING_TYPES = {
    "automated_bill_splitting": bool, "pull_bills_enabled": bool, "auto_sync_payments": bool,
    "pull_start_date": (str, type(None)), "timezone": str, "payment_release_hour": int,
    "sandbox_bank_settle_days": int, "payment_rail": str, "originator": (dict, type(None)),
}


def get_settings(ctx: Ctx) -> dict:
    org = ctx.session.get(t.Organization, ctx.org_id)
    return {**DEFAULT_SETTINGS, **(org.settings or {})}


def update_settings(ctx: Ctx, changes: dict) -> dict:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    ctx.require("settings.write")
    org = ctx.session.get(t.Organization, ctx.org_id)
    before = {**DEFAULT_SETTINGS, **(org.settings or {})}
    after = dict(before)
    for k, v in changes.items():
        if k not in SETTING_TYPES:
            raise ValidationError(f"Unknown setting '{k}'.", code="setting_unknown", field=k)
        if not isinstance(v, SETTING_TYPES[k]) or (SETTING_TYPES[k] is int and isinstance(v, bool)):
            raise ValidationError(f"Setting '{k}' has the wrong type.", code="setting_invalid", field=k)
        after[k] = v
    if after["pull_start_date"] is not None:
        try:
            dt.date.fromisoformat(after["pull_start_date"])
        except ValueError:
            raise ValidationError("pull_start_date must be a date (YYYY-MM-DD).", code="date_invalid",
                                  field="pull_start_date") from None
    if after["pull_bills_enabled"] and not after["pull_start_date"]:
        raise ValidationError("Bill Pay from the accounting platform needs a start date.",
                              code="pull_start_date_required", field="pull_start_date")
    try:
        ZoneInfo(after["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"'{after['timezone']}' is not a time zone.", code="timezone_invalid",
                              field="timezone") from None
    if not 0 <= after["payment_release_hour"] <= 23:
        raise ValidationError("payment_release_hour is an hour of the day (0-23).", code="setting_invalid",
                              field="payment_release_hour")
    if not 0 <= after["sandbox_bank_settle_days"] <= 10:
        raise ValidationError("sandbox_bank_settle_days is 0 to 10 business days.", code="setting_invalid",
                              field="sandbox_bank_settle_days")
    if after.get("originator"):
        from ..payments.errors import PaymentRuleError
        from .rails import originator as make_originator

        unknown = set(after["originator"]) - {"company_name", "company_id", "odfi_routing", "account_number",
                                              "iban", "bic", "bank_name"}
        if unknown:
            raise ValidationError(f"Unknown originator field(s): {', '.join(sorted(unknown))}.",
                                  code="field_unknown", field="originator")
        try:
            from ..payments.rails.nacha import validate_originator

            validate_originator(make_originator(after))
        except PaymentRuleError as e:
            raise ValidationError(e.detail, code=e.code, field="originator") from None
    if after["payment_rail"] in ("nacha_file", "pain001_file") and not after.get("originator"):
        raise ValidationError("Bank files need the paying company's bank profile: set 'originator' too.",
                              code="originator_missing", field="originator")
    if after["payment_rail"] not in ("sandbox_bank", "nacha_file", "pain001_file"):
        raise ValidationError("payment_rail is sandbox_bank, nacha_file or pain001_file.",
                              code="setting_invalid", field="payment_rail")
    org.settings = after
    ctx.audit("settings.updated", "organization", org.id, before=before, after=after)
    return after


def regenerate_inbox(ctx: Ctx) -> t.Organization:
    ctx.require("settings.write")
    org = ctx.session.get(t.Organization, ctx.org_id)
    org.inbox_token = new_secret(12).lower().replace("_", "x").replace("-", "y")
    ctx.audit("inbox.regenerated", "organization", org.id)
    return org


def set_approval_policy(ctx: Ctx, body: dict) -> dict:
    """Validate and save the approval policy. Payments already awaiting approval keep their snapshot."""
    from ..payments import approvals
    from ..payments.errors import PaymentRuleError

    ctx.require("policy.write")
    if not isinstance(body, dict) or set(body) - {"steps"}:
        raise ValidationError("The policy has only 'steps'.", code="field_unknown")
    try:
        policy = approvals.ApprovalPolicy.from_dict(body)
        approvals.validate_policy(policy)
    except PaymentRuleError as e:
        raise ValidationError(e.detail, code=e.code, extra=e.data) from None
    users = {u.id for u in ctx.session.scalars(select(t.User).where(t.User.org_id == ctx.org_id))}
    for step in policy.steps:
        for a in step.approvers:
            if a.user_id is not None and a.user_id not in users:
                raise ValidationError(f"No user '{a.user_id}' in this organization.", code="user_not_found")
    org = ctx.session.get(t.Organization, ctx.org_id)
    before = org.approval_policy
    org.approval_policy = policy.to_dict()
    ctx.audit("approval_policy.updated", "organization", org.id, before=before, after=org.approval_policy)
    return org.approval_policy
