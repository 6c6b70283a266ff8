"""Accounting connection, reference data, the Bill Pay dashboard, sync triggers and Retry.

Everything platform-specific comes from the platform's plugin (``connectors.registry``): its credential
schema splits a connection body into config and secrets, its connect flow says how an admin connects, its
capabilities name the reference-data kinds and dimensions. External state belongs to a connection:
connecting to another company or platform makes a new connection (the old one is kept, read-only, with
its sync records, reference data and bookmarks); connecting again to the same company revives it.
"""
from __future__ import annotations

import datetime as dt
import urllib.parse
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from ..connectors import registry
from ..connectors.base.auth import OAuthTokens, exchange_authorization_code
from ..db import tables as t
from ..domain.errors import Conflict, NotFound, ValidationError
from ..ids import new_id
from . import pulled_bills, sync_records
from .context import Ctx
from .platform_hosts import check_connection_urls

OAUTH_SALT = "billpay-oauth"


def plugin_of(platform: str | None) -> registry.PlatformPlugin:
    try:
        return registry.get(platform)
    except LookupError:
        raise ValidationError(f"platform is one of {', '.join(registry.names())}.", code="platform_unknown",
                              field="platform") from None


def get_connection(ctx: Ctx) -> t.Connection | None:
    """The connection the pages show (connected, else the last one)."""
    return sync_records.current_connection(ctx.session, ctx.org_id)


def active_connection(ctx: Ctx) -> t.Connection | None:
    return sync_records.active_connection(ctx.session, ctx.org_id)


PULL_TZ = ZoneInfo("America/New_York")


def _ny(value: dt.datetime | None) -> str | None:
    return value.astimezone(PULL_TZ).isoformat() if value is not None else None


def sync_times(conn: t.Connection) -> dict:
    """When the daily pull runs next (its slot in 00:00-01:00 New York; a time already past means due now, at the
    next minute) and ran last, in America/New_York with the offset; requests sent and 429s seen so far."""
    session = object_session(conn)
    last, calls = None, None
    if session is not None:
        st = session.scalars(select(t.SyncState).where(t.SyncState.connection_id == conn.id,
                                                       t.SyncState.stream == pulled_bills.STREAM)).first()
        last = st.last_run_at if st is not None else None
        calls = session.get(t.PlatformCalls, conn.id)
    return {"next_pull_at": _ny(conn.next_pull_at or conn.created_at), "last_pull_at": _ny(last),
            "pull_due": conn.next_pull_at is None,  # not scheduled yet: the first pull starts at the next minute
            "platform_calls": {"requests": calls.requests if calls else 0, "throttled": calls.throttled if calls else 0,
                               "last_throttled_at": calls.last_throttled_at.isoformat()
                               if calls and calls.last_throttled_at else None}}


def connection_view(conn: t.Connection | None) -> dict:
    if conn is None or conn.status != "connected":
        return {"status": "not_connected", "platform": None}
    cfg = conn.config or {}
    plugin = registry.get(conn.platform)
    return {**sync_times(conn),"id": conn.id, "platform": conn.platform, "platform_name": plugin.display_name, "status": conn.status,
            "sandbox": conn.sandbox, "company_id": cfg.get("company_id"), "base_url": cfg.get("base_url"),
            "options": cfg.get("options") or {},
            "health": {k: v for k, v in (conn.health or {}).items() if k != "pending_oauth"},
            "connected_at": conn.created_at.isoformat() if conn.created_at else None,
            "reference_refreshed_at": conn.reference_refreshed_at.isoformat() if conn.reference_refreshed_at else None}


def split_credentials(plugin: registry.PlatformPlugin, body: dict) -> tuple[dict, dict]:
    """A connection body -> (config, secrets) by the plugin's credential schema; refuses what is missing."""
    missing = [f.name for f in plugin.credentials if f.required and not body.get(f.name)
               and not (f.name == plugin.company_field and body.get("company_id"))]
    if missing:
        raise ValidationError(f"Missing: {', '.join(missing)}.", code="connection_incomplete",
                              extra={"missing": missing})
    config = {f.name: body[f.name] for f in plugin.credentials if not f.secret and body.get(f.name) is not None}
    secrets = {f.name: body[f.name] for f in plugin.credentials if f.secret and body.get(f.name) is not None}
    config["company_id"] = str(body.get(plugin.company_field) or body.get("company_id"))
    return config, secrets


def _builtin(container: Any, plugin: registry.PlatformPlugin) -> registry.BuiltinSandbox:
    return container.builtin_sandbox(plugin.name)


def sandbox_base(container: Any, plugin: registry.PlatformPlugin, public_base: str | None = None) -> str:
    return (public_base or container.settings.public_url).rstrip("/") + f"/sandbox/{plugin.name}"


def _adopt(ctx: Ctx, plugin: registry.PlatformPlugin, *, sandbox: bool, config: dict, secrets: dict) -> t.Connection:
    """Make (platform, company) the organization's connection: the same company revives its connection, another
    company or platform gets a new one and the old one is kept (disconnected) for audit."""
    company = str(config.get("company_id") or "")
    current = active_connection(ctx)
    same = ctx.session.scalars(select(t.Connection).where(
        t.Connection.org_id == ctx.org_id, t.Connection.platform == plugin.name, t.Connection.sandbox == sandbox)
        .order_by(t.Connection.created_at.desc())).all()
    conn = next((c for c in same if str((c.config or {}).get("company_id") or "") == company and company), None)
    if current is not None and current is not conn:
        current.status = "disconnected"
        current.lock_owner = current.lock_until = None
        ctx.audit("connection.replaced", "connection", current.id,
                  after={"platform": plugin.name, "company_id": company})
        ctx.session.flush()
    if conn is None:
        conn = t.Connection(id=new_id("con"), org_id=ctx.org_id, created_at=ctx.now(), lease_token=0)
        ctx.session.add(conn)
    conn.platform, conn.sandbox, conn.status = plugin.name, sandbox, "connected"
    conn.config = config
    conn.secrets_enc = ctx.vault.encrypt(secrets)
    conn.health = {"status": "connecting", "message": "Loading reference data…"}
    ctx.session.info.pop("active_connection_id", None)
    ctx.session.flush()
    return conn


def connect(ctx: Ctx, container: Any, body: dict) -> t.Connection:
    """``{"platform", "sandbox": true}`` for the built-in sandbox, or the platform's credentials (+ base_url)
    as its plugin declares them (``billpay sandbox <platform>`` prints such a body)."""
    ctx.require("connection.write")
    plugin = plugin_of(body.get("platform"))
    allowed = {"platform", "sandbox", "options", "company_id"} | {f.name for f in plugin.credentials}
    unknown = set(body) - allowed
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.", code="field_unknown")
    options = body.get("options")
    if options is not None and not isinstance(options, dict):
        raise ValidationError("options must be an object.", code="options_invalid", field="options")
    options = options or {}
    sandbox = bool(body.get("sandbox"))
    if sandbox:
        if plugin.sandbox is None:
            raise ValidationError(f"{plugin.display_name} has no built-in sandbox.", code="sandbox_not_available",
                                  field="sandbox")
        creds = _builtin(container, plugin).provision(ctx.org_id, sandbox_base(container, plugin))
        config, secrets = split_credentials(plugin, creds)
        # a sandbox may pre-choose what its demo company needs (e.g. the bank account payments come from)
        options = options or creds.get("options") or {}
    else:
        check_connection_urls(plugin, body, container.settings.allowed_platform_hosts)
        config, secrets = split_credentials(plugin, body)
    config["options"] = options
    conn = _adopt(ctx, plugin, sandbox=sandbox, config=config, secrets=secrets)
    ctx.audit("connection.connected", "connection", conn.id,
              after={"platform": plugin.name, "sandbox": sandbox, "company_id": config["company_id"]})
    ctx.enqueue("refresh_reference", None)
    return conn


def set_options(ctx: Ctx, options: dict) -> t.Connection:
    """The organization's choices for this connection, e.g. ``{"bank_accounts": {"USD": "<account id>"}}`` (the bank
    account bill payments in that currency are drawn from; never "the first one found")."""
    ctx.require("connection.write")
    conn = _require_connection(ctx)
    if not isinstance(options, dict):
        raise ValidationError("options must be an object.", code="options_invalid", field="options")
    banks = options.get("bank_accounts")
    if banks is not None:
        if not isinstance(banks, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in banks.items()):
            raise ValidationError("bank_accounts maps a currency to an account id.", code="options_invalid",
                                  field="options.bank_accounts")
        known = {r.external_id: r for r in ctx.session.scalars(select(t.ReferenceItem).where(
            t.ReferenceItem.connection_id == conn.id, t.ReferenceItem.kind == "accounts"))}
        for currency, account in banks.items():
            if known and account not in known:
                raise ValidationError(f"'{account}' is not an account of the connected company.",
                                      code="bank_account_unknown", field=f"options.bank_accounts.{currency}")
    before = dict((conn.config or {}).get("options") or {})
    conn.config = {**(conn.config or {}), "options": {**before, **options}}
    ctx.audit("connection.options_changed", "connection", conn.id, before=before, after=conn.config["options"])
    return conn


def disconnect(ctx: Ctx) -> t.Connection:
    """Stop syncing; the connection and its state stay for audit. The grant is revoked on the platform where its
    plugin says it can (after commit, by the worker: ``revoke_grant``)."""
    ctx.require("connection.write")
    conn = active_connection(ctx)
    if conn is None:
        raise Conflict("No accounting platform is connected.", code="not_connected")
    plugin = registry.get(conn.platform)
    conn.status = "disconnected"
    conn.lock_owner = conn.lock_until = None
    ctx.session.info.pop("active_connection_id", None)
    if plugin.capabilities.revoke:
        ctx.enqueue("revoke_grant", conn.id)  # the worker revokes on the platform, then forgets the secrets
    else:
        conn.secrets_enc = None
    ctx.audit("connection.disconnected", "connection", conn.id, after={"revoke": plugin.capabilities.revoke})
    return conn


def grant_revoked(ctx: Ctx, connection_id: str, *, asked: bool) -> None:
    """The platform revoked billpay's grant of a disconnected connection: its secrets are forgotten (the row stays
    for audit). Connected again meanwhile: nothing to forget."""
    conn = ctx.get(t.Connection, connection_id, what="connection", lock=True)
    if conn.status == "connected":
        return
    conn.secrets_enc = None
    ctx.audit("connection.grant_revoked", "connection", conn.id, after={"platform": conn.platform,
                                                                         "revoked_on_platform": asked})


def _require_connection(ctx: Ctx) -> t.Connection:
    conn = active_connection(ctx)
    if conn is None:
        raise Conflict("No accounting platform is connected. Connect one on the Connections page.",
                       code="not_connected")
    return conn


def refresh_reference_data(ctx: Ctx) -> t.Outbox:
    ctx.require("sync.run")
    _require_connection(ctx)
    return ctx.enqueue("refresh_reference", None)


def connected_plugin(ctx: Ctx) -> registry.PlatformPlugin | None:
    conn = active_connection(ctx)
    return registry.get(conn.platform) if conn is not None else None


def reference_kinds(ctx: Ctx) -> tuple[str, ...]:
    """The kinds the connected platform has (the base kinds when nothing is connected)."""
    plugin = connected_plugin(ctx)
    return plugin.capabilities.reference_kinds if plugin is not None else registry.BASE_REFERENCE_KINDS


def reference_items(ctx: Ctx, kind: str, q: str | None = None) -> list[t.ReferenceItem]:
    kinds = reference_kinds(ctx)
    if kind not in kinds:
        raise NotFound(f"Unknown reference data kind '{kind}'; kinds are {', '.join(kinds)}.",
                       code="reference_kind_unknown")
    conn = active_connection(ctx)
    if conn is None:
        return []
    stmt = select(t.ReferenceItem).where(t.ReferenceItem.org_id == ctx.org_id,
                                         t.ReferenceItem.connection_id == conn.id, t.ReferenceItem.kind == kind)
    if q:
        stmt = stmt.where(t.ReferenceItem.name.ilike(f"%{q}%"))
    return list(ctx.session.scalars(stmt.order_by(t.ReferenceItem.name)))


def sync_payments(ctx: Ctx, payment_ids: list[str] | None = None) -> list[str]:
    """Queue settled bill payments for sync (all ready ones when no ids are given)."""
    ctx.require("sync.run")
    _require_connection(ctx)
    if payment_ids is None:
        payment_ids = [p.id for p in ready_payments(ctx)]
    for pid in payment_ids:
        p = ctx.get(t.Payment, pid)
        if p.status != "settled":
            raise ValidationError(f"Payment {pid} is {p.status}; only settled payments are synced.",
                                  code="payment_not_settled", extra={"payment_id": pid})
        sync_records.mark_pending(ctx, "payment", pid)
        ctx.enqueue("push_payment", pid)
    ctx.audit("accounting.sync_requested", "organization", ctx.org_id, after={"payments": len(payment_ids)})
    return payment_ids


RETRY_JOBS = {"bill": "push_bill", "payment": "push_payment", "vendor": "create_platform_vendor"}


def retry(ctx: Ctx, records: list[dict] | None = None) -> list[dict]:
    """Retry records in sync error (all of them, or ``[{"record_type", "record_id"}]``): each is queued again with
    its action (a void bill is voided again; others are sent again). Returns what was queued."""
    ctx.require("sync.run")
    conn = _require_connection(ctx)
    if records is not None and (not isinstance(records, list) or not all(
            isinstance(r, dict) and r.get("record_type") in RETRY_JOBS and isinstance(r.get("record_id"), str)
            for r in records)):
        raise ValidationError("records is a list of {record_type: bill|payment|vendor, record_id}.", code="records_invalid",
                              field="records")
    if records is None:
        rows = sync_records.errored(ctx, conn.id)
    else:
        rows = []
        for r in records:
            rows += sync_records.errored(ctx, conn.id, r["record_type"], [r["record_id"]])
        if len(rows) < len(records):
            raise Conflict("Only records in sync error can be retried.", code="not_in_error")
    queued = []
    for rec in rows:
        kind = RETRY_JOBS[rec.record_type]
        if rec.record_type == "bill":
            bill = ctx.get(t.Bill, rec.record_id)
            if bill.kind == "credit":
                kind = "push_vendor_credit"  # written as the platform's vendor credit, never voided by billpay
            elif bill.status == "void":
                kind = "void_bill"
        elif rec.record_type == "payment" and ctx.get(t.Payment, rec.record_id).status == "failed":
            kind = "reverse_payment"  # returned by the bank after it was recorded on the platform
        rec.state = "pending"
        ctx.enqueue(kind, rec.record_id)
        queued.append({"record_type": rec.record_type, "record_id": rec.record_id, "job": kind})
    ctx.audit("accounting.retry_requested", "organization", ctx.org_id, after={"records": len(queued)})
    return queued


def sync_bills_now(ctx: Ctx, *, full: bool = False) -> t.Outbox:
    ctx.require("sync.run")
    _require_connection(ctx)
    job = ctx.enqueue("pull_bills", None, {"reason": "manual", "full": full})
    ctx.audit("accounting.sync_bills_requested", "organization", ctx.org_id)
    return job


def job_status(ctx: Ctx, job_id: str) -> dict:
    job = ctx.get(t.Outbox, job_id, what="job")
    return {"id": job.id, "kind": job.kind, "status": job.status, "attempts": job.attempts,
            "error": job.last_error, "created_at": job.created_at.isoformat(),
            "done_at": job.done_at.isoformat() if job.done_at else None}


def _ready_filter(ctx: Ctx, conn_id: str | None):  # noqa: ANN202
    """Settled payments of the organization never sent to the connected platform (no sync record of the connection,
    or not_synced). Written as NOT EXISTS so that a page of them walks the settled payments in id order and probes
    each one's sync record, instead of joining every settled payment of the organization's history."""
    sent = select(t.SyncRecord.id).where(
        t.SyncRecord.org_id == t.Payment.org_id, t.SyncRecord.connection_id == conn_id,
        t.SyncRecord.record_type == "payment", t.SyncRecord.record_id == t.Payment.id,
        t.SyncRecord.state != "not_synced")
    return select(t.Payment).where(t.Payment.org_id == ctx.org_id, t.Payment.status == "settled", ~sent.exists())


def ready_payments(ctx: Ctx, limit: int | None = None) -> list[t.Payment]:
    """Payments ready to sync, oldest first (all of them unless ``limit``)."""
    conn = active_connection(ctx)
    stmt = _ready_filter(ctx, conn.id if conn else None).order_by(t.Payment.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(ctx.session.scalars(stmt))


def ready_count(ctx: Ctx) -> int:
    conn = active_connection(ctx)
    return ctx.session.scalar(select(func.count()).select_from(
        _ready_filter(ctx, conn.id if conn else None).with_only_columns(t.Payment.id).subquery()))


def last_pull(ctx: Ctx) -> dict:
    """When bills were last pulled from the platform, with what result, and whether a pull is running."""
    conn = get_connection(ctx)
    st = pulled_bills.last_pull_state(ctx, conn.id if conn else None)
    running = ctx.session.scalars(select(t.Outbox).where(
        t.Outbox.org_id == ctx.org_id, t.Outbox.kind == "pull_bills",
        t.Outbox.status.in_(["pending", "running"]))).first()
    return {"at": st.last_run_at.isoformat() if st and st.last_run_at else None,
            "result": st.last_result if st else None,
            "running": running is not None, "job_id": running.id if running else None}


def dashboard(ctx: Ctx, limit: int = 100, *, fix_for=None) -> dict:  # noqa: ANN001
    """The Bill Pay sync dashboard as rows: at most ``limit`` payments ready to sync (oldest first, with their total
    in ``ready_count``) and recently synced (``(payment, sync record)``), the count syncing now, and errors grouped
    by cause with the fix in words (``fix_for(platform, code)``). Views render them."""
    conn = get_connection(ctx)
    connected = conn is not None and conn.status == "connected"
    conn_id = conn.id if conn is not None else None
    ready = ready_payments(ctx, limit)
    n_ready = len(ready) if len(ready) < limit else ready_count(ctx)
    synced = ctx.session.execute(select(t.Payment, t.SyncRecord).join(
        t.SyncRecord, (t.SyncRecord.record_id == t.Payment.id) & (t.SyncRecord.record_type == "payment")
        & (t.SyncRecord.org_id == t.Payment.org_id)).where(
        t.Payment.org_id == ctx.org_id, t.SyncRecord.connection_id == conn_id, t.SyncRecord.state == "synced")
        .order_by(t.SyncRecord.last_synced_at.desc()).limit(limit)).all()
    pending = ctx.session.scalar(select(func.count()).select_from(t.SyncRecord).where(
        t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.connection_id == conn_id, t.SyncRecord.state == "pending"))
    errs = ctx.session.execute(select(t.SyncRecord.record_type, t.SyncRecord.record_id, t.SyncRecord.error_code,
                                      t.SyncRecord.error_message, t.SyncRecord.attempts).where(
        t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.connection_id == conn_id,
        t.SyncRecord.state == "error")).all()
    groups: dict[str, dict] = defaultdict(lambda: {"records": []})
    platform = conn.platform if conn is not None else None
    for rec in errs:
        g = groups[rec.error_code or "unknown"]
        g.update(code=rec.error_code, message=rec.error_message,
                 fix=fix_for(platform, rec.error_code) if fix_for else None)
        g["records"].append({"record_type": rec.record_type, "record_id": rec.record_id,
                             "message": rec.error_message, "attempts": rec.attempts})
    return {
        "connection": connection_view(conn if connected else None),
        "ready": ready, "ready_count": n_ready, "synced": synced, "pending": pending,
        "errors": [{**g, "count": len(g["records"])} for g in groups.values()],
        "last_pull": last_pull(ctx),
    }


# --- connect flows: OAuth 2 authorization code (the "Connect" button) ------------------------------------------

def oauth_redirect_uri(container: Any) -> str:
    return container.settings.public_url.rstrip("/") + "/connections/callback"


def _signer(container: Any) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(container.settings.resolved_secret_key, salt=OAUTH_SALT)


OAUTH_APP_FIELDS = ("client_id", "client_secret", "authorize_url", "token_url", "base_url")


def oauth_start(ctx: Ctx, container: Any, body: dict, *, redirect_uri: str | None = None,
                public_base: str | None = None) -> str:
    """Begin an OAuth 2 code-flow connection: returns the platform's consent page URL (state signed, bound to this
    organization and person). ``{"platform": P, "sandbox": true}`` uses the built-in sandbox's consent page;
    otherwise the body carries the app registered with the platform (client id/secret, authorize, token and API
    URLs). The scope and the callback parameter naming the company come from the plugin's connect flow."""
    ctx.require("connection.write")
    plugin = plugin_of(body.get("platform"))
    flow = plugin.connect
    if flow.kind != "oauth2_code":
        raise ValidationError(f"{plugin.display_name} connects with its credentials, not a consent page.",
                              code="connect_flow_unsupported", field="platform")
    redirect = redirect_uri or oauth_redirect_uri(container)
    if body.get("sandbox", False):
        if plugin.sandbox is None:
            raise ValidationError(f"{plugin.display_name} has no built-in sandbox.", code="sandbox_not_available")
        creds = _builtin(container, plugin).provision(ctx.org_id, sandbox_base(container, plugin, public_base))
        app = {k: creds.get(k) for k in OAUTH_APP_FIELDS} | {"sandbox": True}
    else:
        missing = [k for k in OAUTH_APP_FIELDS if not body.get(k)]
        if missing:
            raise ValidationError(f"Missing: {', '.join(missing)}.", code="connection_incomplete",
                                  extra={"missing": missing})
        check_connection_urls(plugin, body, container.settings.allowed_platform_hosts)
        app = {k: body[k] for k in OAUTH_APP_FIELDS} | {"sandbox": False}
    pending = ctx.vault.encrypt({**app, "platform": plugin.name, "redirect_uri": redirect})
    state = _signer(container).dumps({"org": ctx.org_id, "user": ctx.actor.user_id, "platform": plugin.name,
                                      "pending": pending})
    query = {"client_id": app["client_id"], "response_type": "code", "redirect_uri": redirect, "state": state}
    if flow.scope:
        query["scope"] = flow.scope
    ctx.audit("connection.consent_started", "organization", ctx.org_id,
              after={"platform": plugin.name, "sandbox": app["sandbox"]})
    return f"{app['authorize_url']}?{urllib.parse.urlencode(query)}"


def oauth_pending(container: Any, state: str) -> dict | None:
    """The platform and whether the pending consent is the built-in sandbox's (for the sandbox gate)."""
    try:
        data = _signer(container).loads(state, max_age=900)
    except BadSignature:
        return None
    return data


def oauth_complete(ctx: Ctx, container: Any, *, code: str, state: str, params: dict | None = None,
                   realm_id: str | None = None) -> t.Connection:
    """The platform redirected back: exchange the code for tokens (RFC 6749) and store the connection. The company
    comes from the callback parameter the plugin's connect flow names (QuickBooks ``realmId``)."""
    ctx.require("connection.write")
    data = oauth_pending(container, state)
    if data is None:
        raise ValidationError("The connection request expired or was not started here; start again.",
                              code="oauth_state_invalid")
    if data.get("org") != ctx.org_id:
        raise ValidationError("The connection request belongs to another session; start again.",
                              code="oauth_state_invalid")
    plugin = plugin_of(data.get("platform"))
    app = ctx.vault.decrypt_json(data["pending"])
    params = dict(params or {})
    company = (params.get(plugin.connect.company_param) if plugin.connect.company_param else None) or realm_id
    if not company:
        raise ValidationError("The platform did not say which company was chosen; start again.",
                              code="oauth_exchange_failed")
    transport = _builtin(container, plugin).transport if app["sandbox"] else None
    with httpx.Client(transport=transport, timeout=30) as http:
        try:
            tokens: OAuthTokens = exchange_authorization_code(
                http, token_url=app["token_url"], client_id=app["client_id"], client_secret=app["client_secret"],
                code=code, redirect_uri=app["redirect_uri"], now=ctx.now(), platform=plugin.display_name)
        except Exception as e:  # noqa: BLE001 - any refusal means: start again
            raise ValidationError("The platform did not accept the authorization; start the connection again.",
                                  code="oauth_exchange_failed", extra={"reason": type(e).__name__}) from None
    config = {"base_url": app["base_url"], "token_url": app["token_url"], "client_id": app["client_id"],
              plugin.company_field: str(company), "company_id": str(company), "options": {}}
    secrets = {"client_secret": app["client_secret"], "tokens": {
        "access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
        "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
        "refresh_expires_at": tokens.refresh_expires_at.isoformat() if tokens.refresh_expires_at else None}}
    conn = _adopt(ctx, plugin, sandbox=bool(app["sandbox"]), config=config, secrets=secrets)
    ctx.audit("connection.connected", "connection", conn.id,
              after={"platform": plugin.name, "sandbox": conn.sandbox, "company_id": str(company), "via": "oauth"})
    ctx.enqueue("refresh_reference", None)
    return conn


def connect_flows() -> list[dict]:
    """What the Connections page offers for every enrolled platform (read from the plugins)."""
    out = []
    for plugin in registry.plugins():
        out.append({"name": plugin.name, "display_name": plugin.display_name, "flow": plugin.connect.kind,
                    "sandbox": plugin.sandbox is not None, "words": plugin.words,
                    "fields": [f for f in plugin.credentials if f.required or f.name == "base_url"],
                    "oauth_fields": [f for f in plugin.credentials if f.name in OAUTH_APP_FIELDS]})
    return out

