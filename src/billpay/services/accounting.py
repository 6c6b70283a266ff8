"""Accounting connection, reference data, the Bill Pay dashboard and sync triggers."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select

from ..db import tables as t
from ..domain.errors import Conflict, NotFound, ValidationError
from ..ids import new_id
from ..connectors import registry
from . import sync_records
from .context import Ctx
from .platform_hosts import check_connection_urls


def _plugin(platform: str | None) -> registry.PlatformPlugin:
    try:
        return registry.get(platform)
    except LookupError:
        raise ValidationError(f"platform is one of {', '.join(registry.names())}.", code="platform_unknown",
                              field="platform") from None


def get_connection(ctx: Ctx) -> t.Connection | None:
    return ctx.session.scalars(select(t.Connection).where(t.Connection.org_id == ctx.org_id)).first()


def connection_view(conn: t.Connection | None) -> dict:
    if conn is None or conn.status == "disconnected":
        return {"status": "not_connected", "platform": None}
    cfg = conn.config or {}
    return {"platform": conn.platform, "status": conn.status, "sandbox": conn.sandbox,
            "company_id": cfg.get("company_id"), "base_url": cfg.get("base_url"),
            "health": conn.health or {}, "connected_at": conn.created_at.isoformat() if conn.created_at else None,
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


def connect(ctx: Ctx, container, body: dict) -> t.Connection:  # noqa: ANN001
    """``{"platform", "sandbox": true}`` for the built-in sandbox, or the platform's credentials (+ base_url)
    as its plugin declares them (``billpay sandbox <platform>`` prints such a body)."""
    ctx.require("connection.write")
    plugin = _plugin(body.get("platform"))
    allowed = {"platform", "sandbox", "options", "company_id"} | {f.name for f in plugin.credentials}
    unknown = set(body) - allowed
    if unknown:
        raise ValidationError(f"Unknown field(s): {', '.join(sorted(unknown))}.", code="field_unknown")
    if body.get("sandbox"):
        from ..sync import builtin_sandbox

        base = container.settings.public_url.rstrip("/") + builtin_sandbox.mount_path(plugin.name)
        creds = builtin_sandbox.get(container, plugin.name).provision(ctx.org_id, base)
        config, secrets = split_credentials(plugin, creds)
    else:
        check_connection_urls(plugin, body, container.settings.allowed_platform_hosts)
        config, secrets = split_credentials(plugin, body)
    config["options"] = body.get("options") or {}
    conn = get_connection(ctx)
    if conn is None:
        conn = t.Connection(id=new_id("con"), org_id=ctx.org_id, created_at=ctx.now())
        ctx.session.add(conn)
    conn.platform, conn.sandbox, conn.status, conn.config = plugin.name, bool(body.get("sandbox")), "connected", config
    conn.secrets_enc = ctx.vault.encrypt(secrets)
    conn.health = {"status": "connecting", "message": "Loading reference data…"}
    ctx.audit("connection.connected", "connection", conn.id,
              after={"platform": plugin.name, "sandbox": conn.sandbox, "company_id": config["company_id"]})
    ctx.enqueue("refresh_reference", None)
    return conn


def disconnect(ctx: Ctx) -> None:
    ctx.require("connection.write")
    conn = get_connection(ctx)
    if conn is None or conn.status == "disconnected":
        raise Conflict("No accounting platform is connected.", code="not_connected")
    conn.status, conn.secrets_enc = "disconnected", None
    ctx.audit("connection.disconnected", "connection", conn.id)


def _require_connection(ctx: Ctx) -> t.Connection:
    conn = get_connection(ctx)
    if conn is None or conn.status == "disconnected":
        raise Conflict("No accounting platform is connected. Connect one on the Connections page.",
                       code="not_connected")
    return conn


def refresh_reference_data(ctx: Ctx) -> t.Outbox:
    ctx.require("sync.run")
    _require_connection(ctx)
    return ctx.enqueue("refresh_reference", None)


def reference_kinds(ctx: Ctx) -> tuple[str, ...]:
    """The kinds the connected platform has (QuickBooks' when nothing is connected)."""
    conn = get_connection(ctx)
    platform = conn.platform if conn is not None and conn.status != "disconnected" else "quickbooks"
    return registry.get(platform).capabilities.reference_kinds


def reference_items(ctx: Ctx, kind: str, q: str | None = None) -> list[t.ReferenceItem]:
    kinds = reference_kinds(ctx)
    if kind not in kinds:
        raise NotFound(f"Unknown reference data kind '{kind}'; kinds are {', '.join(kinds)}.",
                       code="reference_kind_unknown")
    stmt = select(t.ReferenceItem).where(t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.kind == kind)
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


def _ready_filter(ctx: Ctx):  # noqa: ANN202
    """Settled payments of the organization never sent to the platform (no sync record, or not_synced).

    Written as NOT EXISTS so that a page of them walks the settled payments in id order and probes each
    one's sync record, instead of joining every settled payment of the organization's history."""
    sent = select(t.SyncRecord.id).where(
        t.SyncRecord.org_id == t.Payment.org_id, t.SyncRecord.record_type == "payment",
        t.SyncRecord.record_id == t.Payment.id, t.SyncRecord.state != "not_synced")
    return select(t.Payment).where(t.Payment.org_id == ctx.org_id, t.Payment.status == "settled", ~sent.exists())


def ready_payments(ctx: Ctx, limit: int | None = None) -> list[t.Payment]:
    """Payments ready to sync, oldest first (all of them unless ``limit``)."""
    stmt = _ready_filter(ctx).order_by(t.Payment.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(ctx.session.scalars(stmt))


def ready_count(ctx: Ctx) -> int:
    return ctx.session.scalar(select(func.count()).select_from(
        _ready_filter(ctx).with_only_columns(t.Payment.id).subquery()))


def last_pull(ctx: Ctx) -> dict:
    """When bills were last pulled from the platform, with what result, and whether a pull is running."""
    from ..sync.pull import STREAM

    st = ctx.session.scalars(select(t.SyncState).where(t.SyncState.org_id == ctx.org_id,
                                                       t.SyncState.stream == STREAM)).first()
    running = ctx.session.scalars(select(t.Outbox).where(
        t.Outbox.org_id == ctx.org_id, t.Outbox.kind == "pull_bills",
        t.Outbox.status.in_(["pending", "running"]))).first()
    return {"at": st.last_run_at.isoformat() if st and st.last_run_at else None,
            "result": st.last_result if st else None,
            "running": running is not None, "job_id": running.id if running else None}


def dashboard(ctx: Ctx, limit: int = 100) -> dict:
    """The Bill Pay sync dashboard: at most ``limit`` payments ready to sync (oldest first, with their total
    in ``ready_count``) and recently synced, the count syncing now, and errors grouped by cause."""
    from ..sync.engine import FIXES

    ready = ready_payments(ctx, limit)
    n_ready = len(ready) if len(ready) < limit else ready_count(ctx)
    synced = ctx.session.execute(select(t.Payment, t.SyncRecord).join(
        t.SyncRecord, (t.SyncRecord.record_id == t.Payment.id) & (t.SyncRecord.record_type == "payment")
        & (t.SyncRecord.org_id == t.Payment.org_id)).where(
        t.Payment.org_id == ctx.org_id, t.SyncRecord.state == "synced")
        .order_by(t.SyncRecord.last_synced_at.desc()).limit(limit)).all()
    pending = ctx.session.scalar(select(func.count()).select_from(t.SyncRecord).where(
        t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.state == "pending"))
    errs = ctx.session.execute(select(t.SyncRecord.record_type, t.SyncRecord.record_id, t.SyncRecord.error_code,
                                      t.SyncRecord.error_message, t.SyncRecord.attempts).where(
        t.SyncRecord.org_id == ctx.org_id, t.SyncRecord.state == "error")).all()
    groups: dict[str, dict] = defaultdict(lambda: {"records": []})
    for rec in errs:
        g = groups[rec.error_code or "unknown"]
        g.update(code=rec.error_code, message=rec.error_message,
                 fix=FIXES.get(rec.error_code or "", "Open the record, fix what the message says, then re-sync."))
        g["records"].append({"record_type": rec.record_type, "record_id": rec.record_id,
                             "message": rec.error_message, "attempts": rec.attempts})
    from ..web.api.views import payment_view

    return {
        "connection": connection_view(get_connection(ctx)),
        "ready": [payment_view(p, None) for p in ready],
        "ready_count": n_ready,
        "synced": [payment_view(p, rec) for p, rec in synced],
        "pending": pending,
        "errors": [{**g, "count": len(g["records"])} for g in groups.values()],
        "last_pull": last_pull(ctx),
    }


# --- OAuth 2 authorization-code flow (the "Connect QuickBooks" button) -------------------------------

OAUTH_SCOPE = "com.intuit.quickbooks.accounting"


def oauth_redirect_uri(container) -> str:  # noqa: ANN001
    return container.settings.public_url.rstrip("/") + "/connections/quickbooks/callback"


def oauth_start(ctx: Ctx, container, body: dict, *, redirect_uri: str | None = None,  # noqa: ANN001
                public_base: str | None = None) -> str:
    """Begin connecting: returns the platform's consent page URL (state is signed and bound to this org).

    ``{"platform": "quickbooks", "sandbox": true}`` uses the built-in sandbox's
    consent page; otherwise the body carries ``client_id``, ``client_secret``,
    ``authorize_url``, ``token_url`` and ``base_url`` of the app registered with
    the platform.
    """
    import urllib.parse

    from itsdangerous import URLSafeTimedSerializer

    ctx.require("connection.write")
    if body.get("platform", "quickbooks") != "quickbooks":
        raise ValidationError("Only QuickBooks Online can be connected this way for now.",
                              code="platform_not_available", field="platform")
    redirect = redirect_uri or oauth_redirect_uri(container)
    public = (public_base or container.settings.public_url).rstrip("/")
    if body.get("sandbox", True):
        from ..sync import builtin_sandbox

        st = builtin_sandbox.state(container)
        if not st.realm_ids():
            st.seed_company()
        client_id, client_secret = st.register_client([redirect])
        base = public + "/sandbox/quickbooks"
        app = {"base_url": base, "token_url": base + "/oauth2/v1/tokens/bearer",
               "authorize_url": base + "/connect/oauth2", "client_id": client_id, "sandbox": True}
    else:
        missing = [k for k in ("client_id", "client_secret", "authorize_url", "token_url", "base_url") if not body.get(k)]
        if missing:
            raise ValidationError(f"Missing: {', '.join(missing)}.", code="connection_incomplete",
                                  extra={"missing": missing})
        check_connection_urls(registry.get("quickbooks"), body, container.settings.allowed_platform_hosts)
        client_secret = body["client_secret"]
        app = {k: body[k] for k in ("base_url", "token_url", "authorize_url", "client_id")} | {"sandbox": False}
    conn = get_connection(ctx)
    if conn is None:
        conn = t.Connection(id=new_id("con"), org_id=ctx.org_id, created_at=ctx.now(), platform="quickbooks",
                            status="disconnected", config={})
        ctx.session.add(conn)
    conn.health = {**(conn.health or {}), "pending_oauth": ctx.vault.encrypt(
        {**app, "client_secret": client_secret, "redirect_uri": redirect})}
    signer = URLSafeTimedSerializer(container.settings.resolved_secret_key, salt="billpay-oauth")
    state = signer.dumps({"org": ctx.org_id, "user": ctx.actor.user_id})
    query = urllib.parse.urlencode({"client_id": app["client_id"], "response_type": "code", "scope": OAUTH_SCOPE,
                                    "redirect_uri": redirect, "state": state})
    return f"{app['authorize_url']}?{query}"


def oauth_complete(ctx: Ctx, container, *, code: str, realm_id: str, state: str) -> t.Connection:  # noqa: ANN001
    """The platform redirected back: exchange the code for tokens and store the connection."""
    import base64

    import httpx
    from itsdangerous import BadSignature, URLSafeTimedSerializer

    ctx.require("connection.write")
    signer = URLSafeTimedSerializer(container.settings.resolved_secret_key, salt="billpay-oauth")
    try:
        data = signer.loads(state, max_age=900)
    except BadSignature:
        raise ValidationError("The connection request expired or was not started here; start again.",
                              code="oauth_state_invalid") from None
    if data.get("org") != ctx.org_id:
        raise ValidationError("The connection request belongs to another session; start again.",
                              code="oauth_state_invalid")
    conn = get_connection(ctx)
    pending = (conn.health or {}).get("pending_oauth") if conn else None
    if not pending:
        raise ValidationError("No connection is being set up; start again.", code="oauth_state_invalid")
    app = ctx.vault.decrypt_json(pending)
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    if app["sandbox"]:
        from ..sync import builtin_sandbox

        http = httpx.Client(transport=builtin_sandbox.transport(container), timeout=30)
    else:
        http = httpx.Client(timeout=30)
    with http:
        r = http.post(app["token_url"], data={"grant_type": "authorization_code", "code": code,
                                              "redirect_uri": app["redirect_uri"]},
                      headers={"Authorization": f"Basic {basic}", "Accept": "application/json"})
    if r.status_code != 200:
        raise ValidationError("The platform did not accept the authorization; start the connection again.",
                              code="oauth_exchange_failed", extra={"status": r.status_code})
    tokens = r.json()
    conn.platform, conn.sandbox, conn.status = "quickbooks", bool(app["sandbox"]), "connected"
    conn.config = {"base_url": app["base_url"], "token_url": app["token_url"], "company_id": realm_id,
                   "client_id": app["client_id"], "options": {}}
    conn.secrets_enc = ctx.vault.encrypt({"client_secret": app["client_secret"], "tokens": {
        "access_token": tokens.get("access_token"), "refresh_token": tokens["refresh_token"],
        "expires_at": (ctx.now() + dt.timedelta(seconds=int(tokens.get("expires_in", 3600)))).isoformat()}})
    conn.health = {"status": "connecting", "message": "Loading reference data…"}
    if not realm_id:
        raise ValidationError("The platform did not say which company was chosen; start again.",
                              code="oauth_exchange_failed")
    ctx.audit("connection.connected", "connection", conn.id,
              after={"platform": "quickbooks", "sandbox": conn.sandbox, "company_id": realm_id, "via": "oauth"})
    ctx.enqueue("refresh_reference", None)
    return conn
