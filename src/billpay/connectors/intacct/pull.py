"""Reading many records: keyset-paged ``query`` for reference data, and the AP bill pull.

Pages are read in ``RECORDNO`` order with ``RECORDNO > <last seen>`` (keyset), so a
record created or deleted while billpay reads never shifts a page and makes it
skip or repeat a row, which offset paging would ("each call with a different
offset is a new query").

The bill pull packs independent queries into one request: the first request
of an incremental pull asks for changed bills (``WHENMODIFIED`` since the
bookmark) and for deletions from the audit trail (``AUDITHISTORY``) together,
so a pull with nothing changed is one request; every later request carries the
next page of bills and the lines (``APBILLITEM``) of the page before.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

from billpay.connectors.base import xmlcodec
from billpay.connectors.intacct import errors, transform, wire
from billpay.connectors.intacct.client import IntacctClient
from billpay.sync.ports import RemoteBill

#: Queries sent together in one request while pulling.
FUNCTIONS_PER_REQUEST = 20


@dataclass
class _Query:
    kind: str                      # bills | lines | deleted
    obj: str
    fields: tuple[str, ...]
    where: xmlcodec.Element | None
    after: int = 0                 # keyset: RECORDNO > after (0: from the start)
    offset: int = 0                # offset paging (the audit trail)
    keyset: bool = True

    def function(self) -> wire.Function:
        condition = wire.condition("greaterthan", "RECORDNO", self.after) if self.keyset and self.after else None
        where = wire.all_of(self.where, condition)
        order = "RECORDNO" if self.keyset else "ACCESSTIME"
        return wire.Function(wire.query(self.obj, self.fields, where=where, order_by=order,
                                        offset=0 if self.keyset else self.offset))


def query_all(client: IntacctClient, obj: str, fields: Sequence[str], where: xmlcodec.Element | None = None
              ) -> list[dict]:
    """Every row of ``obj`` matching ``where`` (keyset paged, 2,000 rows a request)."""
    rows: list[dict] = []
    pending = _Query("rows", obj, tuple(fields), where)
    while True:
        (result,) = client.call([pending.function()], unique=False)
        page = _page(result, client)
        rows.extend(page)
        if result.attr("numremaining") <= 0 or not page:
            return rows
        pending = _next(pending, page)


def _page(result: wire.Result, client: IntacctClient) -> list[dict]:
    if not result.ok:
        raise errors.error_from(result.errors, secrets=client.credentials.secrets())
    return result.records()


def _next(query: _Query, page: list[dict]) -> _Query:
    if query.keyset:
        return _Query(query.kind, query.obj, query.fields, query.where, after=max(_no(r) for r in page))
    return _Query(query.kind, query.obj, query.fields, query.where, offset=query.offset + len(page), keyset=False)


def _no(row: dict) -> int:
    try:
        return int(row.get("RECORDNO") or 0)
    except ValueError:
        return 0


@dataclass
class PulledBills:
    bills: list[RemoteBill]
    deleted_ids: list[str]
    #: ``<sessiontimestamp>`` of the first answer: the company's clock when the pull started.
    server_time: str | None
    rows_seen: int = 0
    requests: int = 0
    custom: dict[str, str] = field(default_factory=dict)


def pull_bills(client: IntacctClient, where: xmlcodec.Element | None, *, deleted_since: str | None,
               custom: dict[str, str] | None) -> PulledBills:
    """Bills matching ``where`` with their lines, and (incremental pulls) bills deleted since ``deleted_since``.

    ``custom`` is the company's ``GLDIM`` line fields (billpay code -> field) when known; when None the
    first request also asks ``getDimensions`` and the answer comes back in ``PulledBills.custom``."""
    pending: list[_Query] = [_Query("bills", "APBILL", transform.BILL_FIELDS, where)]
    if deleted_since is not None:
        audit = wire.all_of(wire.condition("equalto", "OBJECTTYPE", "apbill"),
                            wire.condition("equalto", "ACCESSMODE", "Deleted"),
                            wire.condition("greaterthanorequalto", "ACCESSTIME", deleted_since))
        pending.append(_Query("deleted", "AUDITHISTORY", ("OBJECTKEY", "ACCESSTIME"), audit, keyset=False))
    headers: dict[str, dict] = {}
    lines: dict[str, list[dict]] = defaultdict(list)
    deleted: list[str] = []
    out = PulledBills([], [], None)
    while pending:
        batch, pending = pending[:FUNCTIONS_PER_REQUEST], pending[FUNCTIONS_PER_REQUEST:]
        functions = [q.function() for q in batch]
        learning = custom is None
        if learning:
            functions.insert(0, wire.Function(wire.get_dimensions()))
        results = client.call(functions, unique=False)
        out.requests += 1
        if out.server_time is None:
            out.server_time = client.last_server_time
        if learning:
            custom = transform.custom_dimensions(_page_result(results[0], client))
            results = results[1:]
        line_fields = transform.LINE_FIELDS + tuple(sorted(set((custom or {}).values())))
        for query, result in zip(batch, results):
            page = _page(result, client)
            more = result.attr("numremaining") > 0 and bool(page)
            if query.kind == "bills":
                for row in page:
                    headers[str(row.get("RECORDNO"))] = row
                keys = [str(r.get("RECORDNO")) for r in page]
                for start in range(0, len(keys), wire.MAX_IN):
                    chunk = keys[start:start + wire.MAX_IN]
                    pending.append(_Query("lines", "APBILLITEM", line_fields,
                                          wire.condition("in", "RECORDKEY", *chunk)))
            elif query.kind == "lines":
                for row in page:
                    lines[str(row.get("RECORDKEY"))].append(row)
            else:
                deleted.extend(str(r.get("OBJECTKEY")) for r in page if r.get("OBJECTKEY"))
            if more:
                pending.append(_next(query, page))
    out.custom = custom or {}
    out.rows_seen = len(headers)
    out.bills = [transform.bill_from_wire(row, lines.get(key, []), out.custom) for key, row in headers.items()]
    out.deleted_ids = [d for d in dict.fromkeys(deleted) if d not in headers]
    return out


def _page_result(result: wire.Result, client: IntacctClient) -> wire.Result:
    if not result.ok:
        raise errors.error_from(result.errors, secrets=client.credentials.secrets())
    return result
