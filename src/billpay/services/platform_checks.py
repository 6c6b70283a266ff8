"""Everything the connected platform would refuse, checked before money moves (at Send to Payments).

A refusal names every problem at once, each with the fix in words and, where a page fixes it,
a link, so a person is not sent round the loop one error at a time, and no payment draft exists
for a bill the platform will not take. The company's settings (home currency, multicurrency,
books closed through) come from ``company_info()`` kept by ``sync.company_facts`` for the connection they
were read from; when they were never read, only what billpay knows itself (vendor mapping, G/L accounts)
is checked.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ..connectors import registry
from ..db import tables as t
from ..domain.errors import ValidationError
from ..ids import new_id
from ..sync.ports import CompanyInfo
from .context import Ctx
from .vendors import mapped_vendor_id

STREAM = "company_info"


def _row(ctx: Ctx, connection_id: str, create: bool = False) -> t.SyncState | None:
    row = ctx.session.scalars(select(t.SyncState).where(t.SyncState.org_id == ctx.org_id,
                                                        t.SyncState.connection_id == connection_id,
                                                        t.SyncState.stream == STREAM)).first()
    if row is None and create:
        row = t.SyncState(id=new_id("sst"), org_id=ctx.org_id, connection_id=connection_id, stream=STREAM)
        ctx.session.add(row)
    return row


def store(ctx: Ctx, connection_id: str, info: CompanyInfo, *, platform: str) -> dict:
    facts = {"platform": platform, "name": info.name, "home_currency": info.home_currency,
             "currencies": list(info.currencies),
             "closed_through": info.closed_through.isoformat() if info.closed_through else None}
    row = _row(ctx, connection_id, create=True)
    row.last_result, row.last_run_at = facts, ctx.now()
    return facts


def facts(ctx: Ctx, connection_id: str) -> dict | None:
    row = _row(ctx, connection_id)
    return row.last_result if row is not None else None


def platform_words(conn: t.Connection) -> str:
    try:
        return registry.get(conn.platform).display_name
    except LookupError:
        return "the accounting platform"


def problems_for(ctx: Ctx, conn: t.Connection, bill: t.Bill, vendor: t.Vendor | None,
                 lines: list[t.BillLine]) -> list[dict]:
    """What ``conn``'s platform would refuse about ``bill``, as ``{code, detail, fix, link}``."""
    name = platform_words(conn)
    found: list[dict] = []
    if vendor is not None and not mapped_vendor_id(vendor, conn.id):
        found.append({"code": "vendor_not_mapped", "link": f"/vendors/{vendor.id}",
                      "detail": f"Vendor {vendor.name} is not mapped to a vendor of {name}.",
                      "fix": f"Map it on the vendor's page, or create it in {name} from there."})
    if bill.kind != "credit" or lines:
        missing = [ln.position + 1 for ln in lines
                   if not ((ln.attributes or {}).get("gl_account") or (bill.attributes or {}).get("gl_account"))]
        if missing:
            found.append({"code": "attributes_incomplete", "link": f"/bills/{bill.id}#splits", "lines": missing,
                          "detail": f"{name} needs a G/L account on every line; "
                                    + (f"line {missing[0]} has none." if len(missing) == 1 else
                                       f"lines {', '.join(map(str, missing))} have none."),
                          "fix": "Choose a G/L account for the bill (or for each split line)."})
    known = facts(ctx, conn.id) or {}
    currencies = known.get("currencies") or []
    if currencies and bill.currency not in currencies:
        home = known.get("home_currency") or currencies[0]
        found.append({"code": "currency_not_supported",
                      "detail": f"The {name} company keeps its books in {home} and does not take bills in "
                                f"{bill.currency} (multicurrency is off).",
                      "fix": f"Turn on multicurrency in {name} and refresh reference data on the Connections page, "
                             f"or enter the bill in {home} if that is what the vendor charges."})
    closed = known.get("closed_through")
    if closed and bill.invoice_date and bill.invoice_date <= dt.date.fromisoformat(closed):
        found.append({"code": "period_closed",
                      "detail": f"The books in {name} are closed through {closed}; a bill dated "
                                f"{bill.invoice_date.isoformat()} would be refused.",
                      "fix": f"Ask whoever closed the books to reopen that period in {name}, then refresh "
                             "reference data on the Connections page; or record the bill in the first open period "
                             "there by hand and void it here."})
    return found


def check_send(ctx: Ctx, conn: t.Connection, bill: t.Bill, vendor: t.Vendor | None,
               lines: list[t.BillLine]) -> None:
    """Refuse Send to Payments with every problem listed; the first one's code is the error's code."""
    found = problems_for(ctx, conn, bill, vendor, lines)
    if not found:
        return
    first = found[0]
    detail = " ".join(f"{p['detail']} {p['fix']}" for p in found)
    extra = {"problems": found}
    if first["code"] == "vendor_not_mapped":
        extra["vendor_id"] = vendor.id
    if first["code"] == "attributes_incomplete":
        extra.update(lines=first["lines"], attribute="gl_account")
    raise ValidationError(detail, code=first["code"], extra=extra)
