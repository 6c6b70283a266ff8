"""Write operations on one company: create, full and sparse update, delete, void.

Each function validates through ``entities.prepare``, enforces ``SyncToken``
optimistic concurrency and keeps bills and bill payments consistent: creating,
changing, voiding or deleting a BillPayment moves the linked bills' ``Balance``
and ``LinkedTxn`` (and so their ``SyncToken``), as QuickBooks does.

Callers hold the state lock; nothing here is thread-safe on its own.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from . import errors
from .company import NAME_LISTS, TRANSACTIONS
from .entities import (
    PAYMENT_LINK_TYPES,
    READ_ONLY,
    WriteContext,
    bill_paid_amount,
    payment_applications,
    prepare,
    set_home_amounts,
)
from .vendor_credits import credit_applications, settle_credits

DELETABLE = TRANSACTIONS
VOIDABLE = ("BillPayment",)


def save(
    ctx: WriteContext, entity: str, data: Any, *, operation: str | None = None, include: str | None = None
) -> dict:
    """Dispatch a ``POST /{entity}`` the way QuickBooks reads its query parameters.

    Returns the stored record (for delete: the ``{"status": "Deleted"}`` stub).
    """
    if not isinstance(data, dict):
        raise errors.invalid_property("Can not parse request body")
    includes = {part.strip().lower() for part in (include or "").split(",") if part.strip()}
    if operation == "delete":
        return delete(ctx, entity, data)
    if operation == "update" and "void" in includes:
        return void(ctx, entity, data)
    if operation not in (None, "", "create", "update"):
        raise errors.unsupported_operation(f"{operation} for entity {entity}")
    if data.get("Id") not in (None, ""):
        return update(ctx, entity, data)
    if operation == "update":
        raise errors.required_param("Id", element="Id")
    return create(ctx, entity, data)


def create(ctx: WriteContext, entity: str, data: dict) -> dict:
    record = prepare(ctx, entity, data, None)
    stored = ctx.company.insert(entity, record, ctx.now)
    if entity == "BillPayment":
        _settle_bills(ctx, stored, {}, payment_applications(stored))
        settle_credits(ctx, stored, {}, credit_applications(stored))
    return stored


def update(ctx: WriteContext, entity: str, data: dict) -> dict:
    existing = ctx.company.require(entity, data["Id"])
    check_sync_token(existing, data)
    if _truthy(data.get("sparse")):
        merged = {k: v for k, v in existing.items() if k not in READ_ONLY}
        for key, value in data.items():
            if key in READ_ONLY:
                continue
            if value is None or value == "":
                merged.pop(key, None)
            else:
                merged[key] = value
    else:
        merged = data
    before = payment_applications(existing) if entity == "BillPayment" else {}
    credits_before = credit_applications(existing) if entity == "BillPayment" else {}
    record = prepare(ctx, entity, merged, existing)
    stored = ctx.company.replace(entity, record, ctx.now)
    if entity == "BillPayment":
        _settle_bills(
            ctx, stored, before, payment_applications(stored), previous_pay_type=existing["PayType"]
        )
        settle_credits(ctx, stored, credits_before, credit_applications(stored))
    return stored


def delete(ctx: WriteContext, entity: str, data: dict) -> dict:
    if entity not in DELETABLE:
        raise errors.unsupported_operation(f"delete for entity {entity}")
    if data.get("Id") in (None, ""):
        raise errors.required_param("Id", element="Id")
    existing = ctx.company.require(entity, data["Id"])
    check_sync_token(existing, data)
    _closed_books(ctx, existing)
    if entity == "Bill" and existing.get("LinkedTxn"):
        raise errors.business_validation(
            "This bill has payments linked to it. You must unlink any linked transactions associated with "
            "the bill before deleting it."
        )
    if entity == "VendorCredit" and existing.get("LinkedTxn"):
        raise errors.business_validation(
            "This vendor credit was applied in a bill payment. Remove it from the payment before deleting it.")
    before = payment_applications(existing) if entity == "BillPayment" else {}
    ctx.company.remove(entity, existing["Id"], ctx.now)
    if entity == "BillPayment":
        _settle_bills(ctx, existing, before, {})
        settle_credits(ctx, existing, credit_applications(existing), {})
    return {"status": "Deleted", "domain": "QBO", "Id": existing["Id"]}


def void(ctx: WriteContext, entity: str, data: dict) -> dict:
    """Void a BillPayment: amounts zeroed, lines cleared, "Voided" in PrivateNote, bills reopened."""
    if entity not in VOIDABLE:
        raise errors.unsupported_operation(f"void for entity {entity}")
    if data.get("Id") in (None, ""):
        raise errors.required_param("Id", element="Id")
    existing = ctx.company.require(entity, data["Id"])
    check_sync_token(existing, data)
    _closed_books(ctx, existing)
    before = payment_applications(existing)
    credits_before = credit_applications(existing)
    record = copy.deepcopy(existing)
    record["TotalAmt"] = Decimal("0")
    record["Line"] = []
    note = existing.get("PrivateNote")
    record["PrivateNote"] = "Voided" if not note or note.startswith("Voided") else f"Voided - {note}"
    stored = ctx.company.replace(entity, record, ctx.now, op="void")
    _settle_bills(ctx, stored, before, {})
    settle_credits(ctx, stored, credits_before, {})
    return stored


def check_sync_token(existing: dict, data: dict) -> None:
    token = data.get("SyncToken")
    if token is None or token == "":
        raise errors.required_param("SyncToken", element="SyncToken")
    if str(token) != existing["SyncToken"]:
        raise errors.stale_object()


def is_name_list(entity: str) -> bool:
    return entity in NAME_LISTS


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _closed_books(ctx: WriteContext, existing: dict) -> None:
    close = ctx.company.settings.book_close_date
    if (
        close
        and existing.get("TxnDate")
        and date.fromisoformat(existing["TxnDate"]) <= date.fromisoformat(close)
    ):
        raise errors.period_closed()


def _settle_bills(
    ctx: WriteContext,
    payment: dict,
    before: dict[str, Decimal],
    after: dict[str, Decimal],
    *,
    previous_pay_type: str | None = None,
) -> None:
    """Move each affected bill's Balance and LinkedTxn to match the payment's new applications."""
    payment_id = payment["Id"]
    link_type = PAYMENT_LINK_TYPES[payment["PayType"]]
    type_changed = previous_pay_type is not None and previous_pay_type != payment["PayType"]
    for bill_id in sorted(set(before) | set(after), key=_id_key):
        if before.get(bill_id) == after.get(bill_id) and not type_changed:
            continue
        bill = ctx.company.get("Bill", bill_id)
        if bill is None:
            continue
        updated = copy.deepcopy(bill)
        links = [link for link in bill.get("LinkedTxn", []) if str(link["TxnId"]) != payment_id]
        if after.get(bill_id):
            links.append({"TxnId": payment_id, "TxnType": link_type})
        if links:
            updated["LinkedTxn"] = links
        else:
            updated.pop("LinkedTxn", None)
        updated["Balance"] = updated["TotalAmt"] - bill_paid_amount(ctx.company, updated)
        set_home_amounts(updated)
        ctx.company.replace("Bill", updated, ctx.now)


def _id_key(value: str) -> tuple[int, str]:
    return (int(value), value) if value.isdigit() else (0, value)
