"""Accounting › Dashboard › Bill Pay, and Connections: one connect form per platform plugin, from its credential
schema and connect flow (OAuth 2 consent, token-based auth, client credentials, sessions), and the platform's
built-in sandbox where it has one."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ....connectors import registry
from ....services import accounting as svc
from ....services import pull_report
from ....sync.engine import fix_for
from ...api.views import payment_view
from .. import lookups
from ..web import Form, User, act, container, flash, is_htmx, redirect, render

router = APIRouter()


@router.get("/accounting")
def dashboard(request: Request, user=User):  # noqa: ANN001, ANN201
    with container(request).tx(user.actor) as ctx:
        raw = svc.dashboard(ctx, fix_for=fix_for)
        data = {**raw, "ready": [payment_view(p, None) for p in raw["ready"]],
                "synced": [payment_view(p, rec) for p, rec in raw["synced"]]}
        vendors = lookups.vendor_names(ctx)
        bills = lookups.bills_by_id(ctx, [p["bill_id"] for p in data["ready"] + data["synced"]])
        plugin = lookups.plugin(ctx)
        skipped = pull_report.not_brought_in(ctx)
        labels = lookups.record_labels(ctx, [r for g in data["errors"] for r in g["records"][:10]])
    for p in data["ready"] + data["synced"]:
        b = bills.get(p["bill_id"])
        p["vendor_name"] = vendors.get(p["vendor_id"], "Unknown vendor")
        p["invoice_number"] = b.invoice_number if b else None
    return render(request, "accounting/dashboard.html", d=data, platform=plugin.display_name if plugin else None,
                  words=plugin.words if plugin else registry.Words(), skipped=skipped, labels=labels)


@router.post("/accounting/sync")
def sync_payments(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    ids = [i for i in form.getlist("payment_ids") if i]
    if form.get("scope") != "all" and not ids:
        flash(request, "Select the bill payments to sync, or use Sync all.", "error")
        return redirect("/accounting")
    chosen = None if form.get("scope") == "all" else ids
    return act(request, user, lambda ctx: svc.sync_payments(ctx, chosen), ok="/accounting", back="/accounting",
               message=lambda q: f"{len(q)} bill payment{'s' if len(q) != 1 else ''} queued for sync.")


@router.post("/accounting/retry")
def retry(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    """Retry records in sync error: one (``record_type`` + ``record_id``), a group (``code``) or all."""
    records = None
    if form.get("record_id"):
        records = [{"record_type": form.get("record_type"), "record_id": form.get("record_id")}]
    elif form.getlist("records"):
        records = [dict(zip(("record_type", "record_id"), r.split(":", 1))) for r in form.getlist("records")]
    return act(request, user, lambda ctx: svc.retry(ctx, records), ok="/accounting", back="/accounting",
               message=lambda q: f"{len(q)} record{'s' if len(q) != 1 else ''} queued to sync again.")


@router.post("/accounting/sync-bills")
def sync_bills(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, svc.sync_bills_now, ok=lambda job: f"/accounting?job={job.id}", back="/accounting",
               message="Sync Bills started: open bills of mapped vendors are being pulled.")


@router.get("/accounting/jobs/{job_id}")
def job_progress(job_id: str, request: Request, user=User):  # noqa: ANN001, ANN201
    with container(request).tx(user.actor) as ctx:
        job = svc.job_status(ctx, job_id)
        last_pull = svc.last_pull(ctx) if job["status"] in ("done", "failed") else None
        skipped = pull_report.not_brought_in(ctx) if last_pull else None
    response = render(request, "accounting/_job.html", job=job, last_pull=last_pull, skipped=skipped)
    if is_htmx(request) and job["status"] in ("done", "failed"):
        response.headers["HX-Trigger"] = "sync-finished"
    return response


# --- connections ------------------------------------------------------------------------------------------
@router.get("/connections")
def connections(request: Request, user=User):  # noqa: ANN001, ANN201
    with container(request).tx(user.actor) as ctx:
        conn = svc.connection_view(svc.active_connection(ctx))
        counts = lookups.reference_counts(ctx)
        plugin = lookups.plugin(ctx)
        banks = [r for r in lookups.reference_options(ctx, ("accounts",))["accounts"]] if plugin else []
    kinds = plugin.capabilities.reference_kinds if plugin else ()
    labels = {"terms": "Payment terms", "accounts": f"GL {plugin.words.gl_account}s", "vendors": f"{plugin.words.vendor.capitalize()}s",
              **{d.kind: d.label for d in plugin.capabilities.dimensions}} if plugin else {}
    return render(request, "accounting/connections.html", conn=conn, counts=counts, kinds=kinds, labels=labels,
                  flows=svc.connect_flows(), plugin=plugin, accounts=banks)


@router.post("/connections/{platform}/sandbox")
def connect_sandbox(platform: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    """Connect the platform's built-in sandbox: through its consent page when it has an OAuth 2 flow (the same
    screens as the real platform), otherwise directly with the credentials it provisions."""
    c = container(request)
    try:
        plugin = registry.get(platform)
    except LookupError:
        flash(request, f"No platform {platform}.", "error")
        return redirect("/connections")
    if plugin.connect.kind == "oauth2_code":
        callback = str(request.url_for("connection_callback"))
        base = str(request.base_url).rstrip("/")
        return act(request, user, lambda ctx: svc.oauth_start(ctx, c, {"platform": platform, "sandbox": True},
                                                              redirect_uri=callback, public_base=base),
                   ok=lambda url: url, back="/connections")
    return act(request, user, lambda ctx: svc.connect(ctx, c, {"platform": platform, "sandbox": True}),
               ok="/connections", back="/connections",
               message=f"Connected to the {plugin.display_name} sandbox. Reference data is loading.")


@router.post("/connections/{platform}/connect")
def connect_with_credentials(platform: str, request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    """The connect form: the plugin's credential fields (OAuth 2: the app, then the consent page)."""
    c = container(request)
    try:
        plugin = registry.get(platform)
    except LookupError:
        flash(request, f"No platform {platform}.", "error")
        return redirect("/connections")
    body = {f.name: (form.get(f.name) or "").strip() for f in plugin.credentials if (form.get(f.name) or "").strip()}
    body["platform"] = platform
    if plugin.connect.kind == "oauth2_code" and not body.get("refresh_token"):
        callback = str(request.url_for("connection_callback"))
        return act(request, user, lambda ctx: svc.oauth_start(ctx, c, body, redirect_uri=callback),
                   ok=lambda url: url, back="/connections")
    return act(request, user, lambda ctx: svc.connect(ctx, c, body), ok="/connections", back="/connections",
               message=f"Connected to {plugin.display_name}. Reference data is loading.")


@router.get("/connections/callback", name="connection_callback")
def connection_callback(request: Request, user=User, state: str = "", code: str | None = None,  # noqa: ANN001, ANN201
                        error: str | None = None):
    if error or not code:
        flash(request, "The accounting platform was not connected: the consent was cancelled.", "error")
        return redirect("/connections")
    c = container(request)
    params = dict(request.query_params)
    return act(request, user, lambda ctx: svc.oauth_complete(ctx, c, code=code, state=state, params=params),
               ok="/connections", back="/connections",
               message=lambda conn: f"Connected to {registry.get(conn.platform).display_name} (company "
                                    f"{(conn.config or {}).get('company_id', '')}). Reference data is loading.")


@router.post("/connections/options")
def options(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    """The bank account bill payments are drawn from, per currency."""
    banks = {k[len("bank_"):]: v for k, v in form.items() if k.startswith("bank_") and v}
    return act(request, user, lambda ctx: svc.set_options(ctx, {"bank_accounts": banks}), ok="/connections",
               back="/connections", message="Saved the bank accounts bill payments are drawn from.")


@router.post("/connections/disconnect")
def disconnect(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, svc.disconnect, ok="/connections", back="/connections",
               message="Disconnected. Nothing more is synced until you connect again.")


@router.post("/connections/refresh")
def refresh(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, svc.refresh_reference_data, ok="/connections", back="/connections",
               message="Refreshing the platform's vendors, accounts and dimensions.")
