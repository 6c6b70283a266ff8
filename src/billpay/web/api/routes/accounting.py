"""/api/v1/accounting: connection, reference data, dashboard, sync triggers; /jobs for progress."""
from __future__ import annotations

from fastapi import APIRouter

from ....services import accounting as svc
from ....sync.engine import fix_for
from ..deps import ActorDep, ContainerDep
from ..models import ConnectionIn, ConnectionOptionsIn, OAuthCompleteIn, OAuthStartIn, RetryIn, SyncIn
from ..views import payment_view

router = APIRouter(tags=["accounting"])


@router.get("/accounting/connection")
def get_connection(c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return svc.connection_view(svc.get_connection(ctx))


@router.put("/accounting/connection")
def put_connection(c: ContainerDep, actor: ActorDep, body: ConnectionIn):
    with c.tx(actor) as ctx:
        return svc.connection_view(svc.connect(ctx, c, body.model_dump(exclude_unset=True)))


@router.delete("/accounting/connection", status_code=204)
def delete_connection(c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        svc.disconnect(ctx)


@router.patch("/accounting/connection/options", summary="Choices for this connection, e.g. the bank account per "
              "currency bill payments are drawn from: {\"bank_accounts\": {\"USD\": \"<account id>\"}}")
def set_options(c: ContainerDep, actor: ActorDep, body: ConnectionOptionsIn):
    with c.tx(actor) as ctx:
        return svc.connection_view(svc.set_options(ctx, body.model_dump(exclude_none=True)))


@router.get("/accounting/platforms", summary="The platforms that can be connected, with their credential fields")
def platforms(c: ContainerDep, actor: ActorDep):
    return {"data": [{"name": p["name"], "display_name": p["display_name"], "connect_flow": p["flow"],
                      "sandbox": p["sandbox"],
                      "credentials": [{"name": f.name, "label": f.label, "secret": f.secret, "required": f.required,
                                       "kind": f.kind} for f in p["fields"]]} for p in svc.connect_flows()]}


@router.post("/accounting/connection/refresh", status_code=202)
def refresh(c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        job = svc.refresh_reference_data(ctx)
        return {"job_id": job.id}


@router.get("/accounting/reference-data/{kind}")
def reference_data(kind: str, c: ContainerDep, actor: ActorDep, q: str | None = None):
    with c.tx(actor) as ctx:
        return {"data": [{"id": r.external_id, "name": r.name, "active": r.active, "extra": r.extra}
                         for r in svc.reference_items(ctx, kind, q)], "next_cursor": None}


def dashboard_view(d: dict) -> dict:
    return {**d, "ready": [payment_view(p, None) for p in d["ready"]],
            "synced": [payment_view(p, rec) for p, rec in d["synced"]]}


@router.get("/accounting/dashboard")
def dashboard(c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return dashboard_view(svc.dashboard(ctx, fix_for=fix_for))


@router.post("/accounting/retry", status_code=202, summary="Retry records in sync error (all, or "
             "{\"records\": [{\"record_type\": \"bill\"|\"payment\", \"record_id\"}]})")
def retry(c: ContainerDep, actor: ActorDep, body: RetryIn | None = None):
    with c.tx(actor) as ctx:
        records = [r.model_dump() for r in body.records] if body and body.records is not None else None
        return {"queued": svc.retry(ctx, records)}


@router.post("/accounting/sync", status_code=202, summary="Sync ready bill payments (all, or payment_ids)")
def sync(c: ContainerDep, actor: ActorDep, body: SyncIn | None = None):
    with c.tx(actor) as ctx:
        ids = svc.sync_payments(ctx, body.payment_ids if body else None)
        return {"queued": ids}


@router.post("/accounting/sync-bills", status_code=202, summary="Pull bills from the platform now")
def sync_bills(c: ContainerDep, actor: ActorDep, full: bool = False):
    with c.tx(actor) as ctx:
        job = svc.sync_bills_now(ctx, full=full)
        return {"job_id": job.id}


@router.get("/jobs/{job_id}")
def job(job_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return svc.job_status(ctx, job_id)


@router.post("/accounting/connection/oauth/start", summary="Begin the OAuth consent flow; returns the URL to open")
def oauth_start(c: ContainerDep, actor: ActorDep, body: OAuthStartIn):
    with c.tx(actor) as ctx:
        return {"authorize_url": svc.oauth_start(ctx, c, body.model_dump(exclude_unset=True)),
                "redirect_uri": svc.oauth_redirect_uri(c)}


@router.post("/accounting/connection/oauth/complete", summary="Finish the OAuth flow with the callback's query "
             "parameters (code, state and the platform's company parameter, e.g. realmId)")
def oauth_complete(c: ContainerDep, actor: ActorDep, body: OAuthCompleteIn):
    with c.tx(actor) as ctx:
        params = {str(k): str(v) for k, v in body.model_dump(exclude_none=True).items()}
        conn = svc.oauth_complete(ctx, c, code=params.get("code", ""), state=params.get("state", ""), params=params,
                                  realm_id=params.get("company_id") or params.get("realmId") or params.get("realm_id"))
        return svc.connection_view(conn)
