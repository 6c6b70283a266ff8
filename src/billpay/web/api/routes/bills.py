"""/api/v1/bills"""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ....db import tables as t
from ....domain.errors import NotFound, ValidationError
from ....services import bills as svc
from ....services import capture, duplicates, splitting, sync_records
from ...documents import original_headers
from ..control_schemas import NotDuplicateIn
from ..deps import ActorDep, ContainerDep
from ..schemas import ApplyRulesIn, BillIn, ConfirmIn, LinesIn, SendIn, VoidIn
from ..views import bill_view, bills_page, payment_view

router = APIRouter(prefix="/bills", tags=["bills"])


def full_view(ctx, bill: t.Bill) -> dict:  # noqa: ANN001
    return bill_view(bill, svc.lines_of(ctx, bill), sync_records.records_for(ctx, "bill", [bill.id]).get(bill.id))


@router.post("", status_code=201, summary="Create a bill (JSON for manual entry, multipart 'file' to upload)")
async def create_bill(request: Request, c: ContainerDep, actor: ActorDep):
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_files=50, max_fields=20)
        files = []
        for name, part in form.multi_items():
            if name not in ("file", "files"):
                raise ValidationError(f"Unknown form field '{name}'; send the invoice as 'file'.",
                                      code="field_unknown", field=name)
            if not hasattr(part, "read"):
                raise ValidationError(f"'{name}' must be a file, not a text field.", code="file_required",
                                      field=name)
            files.append(part)
        if not files:
            raise ValidationError("Send the invoice as multipart field 'file'.", code="file_required", field="file")
        uploads = []
        for f in files:
            data = await f.read(c.settings.max_upload_bytes + 1)
            uploads.append((f.filename or "upload", data))
        with c.tx(actor) as ctx:
            bills = capture.ingest_uploads(ctx, c.storage, uploads, max_bytes=c.settings.max_upload_bytes)
            views = [full_view(ctx, b) for b in bills]
        return views[0] if len(views) == 1 else {"data": views}
    raw = await request.body()
    if not raw.strip():
        raise ValidationError("Send the bill as JSON (manual entry) or as multipart field 'file' (upload).",
                              code="body_required")
    try:
        payload = BillIn.model_validate_json(raw)
    except Exception as e:  # pydantic ValidationError -> the shared 422 shape
        from fastapi.exceptions import RequestValidationError

        raise RequestValidationError(getattr(e, "errors", lambda: [])()) from None
    with c.tx(actor) as ctx:
        bill = svc.create_bill(ctx, payload.to_dict(), source="api")
        return full_view(ctx, bill)


@router.get("")
def list_bills(c: ContainerDep, actor: ActorDep, status: str | None = None, vendor_id: str | None = None,
               source: str | None = None, q: str | None = None, limit: int = Query(50, ge=1, le=200),
               cursor: str | None = None):
    with c.tx(actor) as ctx:
        return bills_page(ctx, svc.list_bills(ctx, status=status, vendor_id=vendor_id, source=source, q=q,
                                              limit=limit, cursor=cursor), limit)


@router.post("/apply-rules", summary="Apply mapping rules to chosen bills (dry_run shows what would change)")
def apply_rules(body: ApplyRulesIn, c: ContainerDep, actor: ActorDep):
    from ....services import mapping_rules

    with c.tx(actor) as ctx:
        return {"data": mapping_rules.apply_to_bills(ctx, body.bill_ids, dry_run=body.dry_run,
                                                     overwrite_manual=body.overwrite_manual),
                "dry_run": body.dry_run}


@router.get("/{bill_id}")
def get_bill(bill_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return full_view(ctx, ctx.get(t.Bill, bill_id))


@router.patch("/{bill_id}")
def patch_bill(bill_id: str, body: BillIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return full_view(ctx, svc.update_bill(ctx, bill_id, body.to_dict()))


@router.put("/{bill_id}/lines")
def put_lines(bill_id: str, body: LinesIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return full_view(ctx, svc.set_lines(ctx, bill_id, [ln.to_dict() for ln in body.lines]))


@router.post("/{bill_id}/split-by-line-items")
def split_by_line_items(bill_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return full_view(ctx, splitting.split_by_line_items(ctx, bill_id))


@router.post("/{bill_id}/confirm")
def confirm(bill_id: str, c: ContainerDep, actor: ActorDep, body: ConfirmIn | None = None):
    with c.tx(actor) as ctx:
        return full_view(ctx, svc.confirm_bill(ctx, bill_id, confirmed_fields=(body.confirmed_fields if body else [])))


@router.post("/{bill_id}/send-to-payments")
def send_to_payments(bill_id: str, c: ContainerDep, actor: ActorDep, body: SendIn | None = None):
    with c.tx(actor) as ctx:
        bill, payment = svc.send_to_payments(ctx, bill_id, method=body.method if body else None)
        return {**full_view(ctx, bill), "payment": payment_view(payment, None) if payment is not None else None}


@router.post("/{bill_id}/resync")
def resync(bill_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return full_view(ctx, svc.resync_bill(ctx, bill_id))


@router.post("/{bill_id}/void")
def void(bill_id: str, c: ContainerDep, actor: ActorDep, body: VoidIn | None = None):
    with c.tx(actor) as ctx:
        return full_view(ctx, svc.void_bill(ctx, bill_id, reason=body.reason if body else None))


@router.post("/{bill_id}/not-a-duplicate",
             summary="Clear a likely-duplicate flag with a reason (audited); until then the bill cannot be paid",
             responses={403: {"description": "forbidden"}, 404: {"description": "bill_not_found"},
                        409: {"description": "duplicate_not_flagged: the bill has no flag waiting for a decision"},
                        422: {"description": "reason_required (blank), reason_too_long"}})
def not_a_duplicate(bill_id: str, body: NotDuplicateIn, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        return full_view(ctx, duplicates.clear(ctx, bill_id, body.reason))


@router.get("/{bill_id}/sync-history")
def sync_history(bill_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        ctx.get(t.Bill, bill_id)
        return {"data": sync_records.history(ctx, "bill", bill_id)}


@router.get("/{bill_id}/document")
def document(bill_id: str, c: ContainerDep, actor: ActorDep):
    with c.tx(actor) as ctx:
        bill = ctx.get(t.Bill, bill_id)
        if not bill.document_id:
            raise NotFound("This bill has no source document.", code="document_not_found")
        doc = ctx.get(t.Document, bill.document_id)
    media_type, disposition = original_headers(doc.mime_type, doc.filename)
    return Response(c.storage.get(doc.storage_key), media_type=media_type,
                    headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff",
                             "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox"})
