"""Accounting › Dashboard › Bill Pay, and Connections (with the built-in sandbox's OAuth consent)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ....services import accounting as svc
from ....services import pull_report
from .. import lookups
from ..web import Form, User, act, container, flash, is_htmx, redirect, render

router = APIRouter()
SANDBOX_PREFIX = "/sandbox/quickbooks"


@router.get("/accounting")
def dashboard(request: Request, user=User):  # noqa: ANN001, ANN201
    with container(request).tx(user.actor) as ctx:
        data = svc.dashboard(ctx)
        vendors = lookups.vendor_names(ctx)
        bills = lookups.bills_by_id(ctx, [p["bill_id"] for p in data["ready"] + data["synced"]])
        platform = lookups.platform_name(ctx)
        skipped = pull_report.not_brought_in(ctx)
        labels = lookups.record_labels(ctx, [r for g in data["errors"] for r in g["records"][:10]])
    for p in data["ready"] + data["synced"]:
        b = bills.get(p["bill_id"])
        p["vendor_name"] = vendors.get(p["vendor_id"], "Unknown vendor")
        p["invoice_number"] = b.invoice_number if b else None
    return render(request, "accounting/dashboard.html", d=data, platform=platform, skipped=skipped,
                  labels=labels)


@router.post("/accounting/sync")
def sync_payments(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    ids = [i for i in form.getlist("payment_ids") if i]
    if form.get("scope") != "all" and not ids:
        flash(request, "Select the bill payments to sync, or use Sync all.", "error")
        return redirect("/accounting")
    chosen = None if form.get("scope") == "all" else ids
    return act(request, user, lambda ctx: svc.sync_payments(ctx, chosen), ok="/accounting", back="/accounting",
               message=lambda q: f"{len(q)} bill payment{'s' if len(q) != 1 else ''} queued for sync.")


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
        conn = svc.connection_view(svc.get_connection(ctx))
        counts = lookups.reference_counts(ctx)
    conn["platform_name"] = lookups.PLATFORM_NAMES.get(conn.get("platform") or "", conn.get("platform"))
    return render(request, "accounting/connections.html", conn=conn, counts=counts)


def _sandbox_mounted(request: Request) -> bool:
    return any(getattr(r, "path", None) == SANDBOX_PREFIX for r in request.app.routes)


@router.post("/connections/quickbooks-sandbox")
def connect_sandbox(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    """Start the OAuth consent of the built-in QuickBooks sandbox (the same screens as the real one)."""
    c = container(request)
    if not _sandbox_mounted(request):  # no consent page served here: connect directly
        return act(request, user, lambda ctx: svc.connect(ctx, c, {"platform": "quickbooks", "sandbox": True}),
                   ok="/connections", back="/connections",
                   message="Connected to the QuickBooks sandbox. Reference data is loading.")
    callback = str(request.url_for("connection_callback"))
    base = str(request.base_url).rstrip("/")
    return act(request, user, lambda ctx: svc.oauth_start(ctx, c, {"platform": "quickbooks", "sandbox": True},
                                                          redirect_uri=callback, public_base=base),
               ok=lambda url: url, back="/connections")


@router.get("/connections/callback", name="connection_callback")
def connection_callback(request: Request, user=User, state: str = "", code: str | None = None,  # noqa: ANN001, ANN201
                        error: str | None = None, realmId: str | None = None):  # noqa: N803
    if error or not code:
        flash(request, "QuickBooks was not connected: the consent was cancelled.", "error")
        return redirect("/connections")
    c = container(request)
    return act(request, user, lambda ctx: svc.oauth_complete(ctx, c, code=code, realm_id=realmId or "", state=state),
               ok="/connections", back="/connections",
               message=f"Connected to QuickBooks (company {realmId or ''}). Reference data is loading.")


@router.post("/connections/disconnect")
def disconnect(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, svc.disconnect, ok="/connections", back="/connections",
               message="Disconnected. Nothing more is synced until you connect again.")


@router.post("/connections/refresh")
def refresh(request: Request, user=User, form=Form):  # noqa: ANN001, ANN201
    return act(request, user, svc.refresh_reference_data, ok="/connections", back="/connections",
               message="Refreshing vendors, accounts, classes, departments, locations and terms.")

