"""Writing purchase invoices: create (looked up first), re-sync, void.

BC has no idempotency key, so every create is preceded by a lookup on the invoice's business key
(vendor + ``vendorInvoiceNumber``); billpay's own invoice is told from a person's by the comment
line ``billpay:<bill id>``. Per 100 bills a push takes one ``$batch`` of lookups, one of creates
(each invoice with its lines and dimensions in one deep-insert request, so an invoice never exists
half-written) and one of ``Microsoft.NAV.post`` + re-read pairs (50 bills each).

- A create whose answer was lost (timeout after BC committed) is found by the next lookup, inside
  the same push while retries remain, or by ``find_bill`` later. A draft of billpay's that was never
  posted is brought up to date and posted; finding it completes the interrupted create.
- A live invoice with the same vendor and number that billpay did not create is reported as
  ``platform_duplicate_number``; nothing is created.
- **Re-sync.** A draft is PATCHed with ``If-Match`` (re-read and re-applied when BC answers 409),
  its lines replaced in one atomic ``$batch``, then posted. A posted invoice cannot change in BC
  ("The invoice has been posted and can no longer be modified."), so when its coding changed billpay
  does what BC's *Correct* action does: a corrective credit memo cancels the invoice and a new invoice
  with the new coding is posted (a new external id). A paid invoice is refused in words.
- **Void.** A draft is deleted; an open posted invoice is cancelled with a corrective credit memo
  (what a BC controller does with a posted invoice that should not exist); a paid one is refused
  (``platform_bill_has_payments``). Already deleted or cancelled is success.
"""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Sequence
from urllib.parse import quote as url_quote

from billpay.connectors.base.errors import NOT_FOUND
from billpay.connectors.base.idempotency import record_of
from billpay.connectors.business_central import errors, transform, wire
from billpay.connectors.business_central.errors import PLATFORM
from billpay.sync.ports import BillPayload, ConnectorError, RemoteRef, WriteResult

if TYPE_CHECKING:  # pragma: no cover - types only
    from billpay.connectors.business_central.connector import BusinessCentralConnector

log = logging.getLogger(__name__)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
EXPAND = f"$expand={wire.LINE_PATH_EXPAND}"
LIVE = ("Draft", "In Review", "Open", "Paid")


def _q(text: str) -> str:
    return url_quote(text, safe="")


class BillWriter:
    def __init__(self, connector: BusinessCentralConnector) -> None:
        self.connector = connector
        self.client = connector.client

    # -- lookups ------------------------------------------------------------------------------------
    def lookup_operation(self, payload: BillPayload) -> dict:
        if not _GUID.match(payload.vendor_external_id or ""):
            raise errors.resolution_error(errors.REFERENCE_MISSING, detail="the vendor is not a Business Central "
                                          "vendor id; map the vendor again")
        where = (f"vendorId eq {payload.vendor_external_id} and vendorInvoiceNumber eq "
                 f"{wire.quote(payload.invoice_number.upper())}")
        return {"method": "GET", "url": f"purchaseInvoices?$filter={_q(where)}&{EXPAND}"}

    def classify(self, rows: list[dict], bill_id: str) -> tuple[str, dict | None]:
        """``posted`` / ``draft`` (billpay's), ``foreign`` (someone else's), or ``none``."""
        live = [r for r in rows if r.get("status") in LIVE]
        ours = [r for r in live if transform.is_ours(r, bill_id)]
        posted = [r for r in ours if r.get("status") != "Draft"]
        if posted:
            return "posted", posted[0]
        if ours:
            return "draft", ours[0]
        if live:
            return "foreign", live[0]
        return "none", None

    def lookup_many(self, items: Sequence[tuple[str, BillPayload]]) -> dict[str, tuple[str, dict | None]]:
        out: dict[str, tuple[str, dict | None]] = {}
        for start in range(0, len(items), wire.BATCH_SIZE):
            chunk = items[start:start + wire.BATCH_SIZE]
            answers = self.client.batch([self.lookup_operation(p) for _, p in chunk])
            for (key, payload), answer in zip(chunk, answers):
                if answer.error is not None:
                    raise answer.error
                out[key] = self.classify(list((answer.body or {}).get("value") or []), payload.bill_id)
        return out

    # -- push ------------------------------------------------------------------------------------------
    def push(self, items: Sequence[tuple[str, BillPayload]]) -> list[WriteResult]:
        results: dict[str, WriteResult] = {}
        pending: list[tuple[str, BillPayload]] = []
        seen: set[str] = set()
        try:
            facts = self.connector.facts()
        except ConnectorError as error:
            return [WriteResult(key=key, error=error) for key, _ in items]
        bodies: dict[str, dict] = {}
        for key, payload in items:
            if key in seen:
                continue
            seen.add(key)
            try:
                bodies[key] = transform.bill_to_wire(payload, facts)
                self.lookup_operation(payload)
            except ConnectorError as error:
                results[key] = WriteResult(key=key, error=error)
                continue
            pending.append((key, payload))
        attempts = self.connector.retry.max_attempts
        for attempt in range(1, attempts + 1):
            if not pending:
                break
            try:
                found = self.lookup_many(pending)
            except ConnectorError as error:
                results.update({key: WriteResult(key=key, error=error) for key, _ in pending})
                break
            to_create, to_post = [], []
            for key, payload in pending:
                state, row = found[key]
                if state == "posted":
                    results[key] = WriteResult(key=key, ref=RemoteRef(str(row["id"]), row.get("@odata.etag")))
                elif state == "draft":
                    to_post.append((key, payload, row))
                elif state == "foreign":
                    results[key] = WriteResult(key=key, error=errors.resolution_error(
                        errors.DUPLICATE_NUMBER, raw={"existing": row.get("id"), "number": row.get("number")}))
                else:
                    to_create.append((key, payload))
            created, unknown = self._create_many(to_create, bodies, results)
            to_post += self._settle_twins(created, results)
            unknown += self._post_many(to_post, results, facts)
            if unknown and attempt < attempts:
                log.info("Business Central did not confirm %d purchase invoice(s); looking them up", len(unknown))
            pending = [(key, payload) for key, payload in unknown]
            if attempt == attempts:
                for key, _ in pending:
                    results.setdefault(key, WriteResult(key=key, error=self._unknown_error()))
        return [results[key] for key, _ in items]

    def _settle_twins(self, created: list[tuple[str, BillPayload, dict]],
                      results: dict[str, WriteResult]) -> list[tuple[str, BillPayload, dict]]:
        """Business Central has no idempotency key: a worker that lost its lease in a slow call may have
        written the same bill's draft while another wrote it too. Before posting, look again: where another
        copy of the same billpay bill exists, one survivor is kept (a posted copy, else the draft with the
        lowest number, the same choice on every worker) and this draft, never posted, is deleted."""
        if not created:
            return created
        keep: list[tuple[str, BillPayload, dict]] = []
        for start in range(0, len(created), wire.BATCH_SIZE):
            chunk = created[start:start + wire.BATCH_SIZE]
            answers = self.client.batch([self.lookup_operation(p) for _, p, _ in chunk])
            for (key, payload, row), answer in zip(chunk, answers):
                rows = [] if answer.error is not None else list((answer.body or {}).get("value") or [])
                ours = [r for r in rows if r.get("status") in LIVE and transform.is_ours(r, payload.bill_id)]
                if len(ours) < 2 or all(r.get("id") != row.get("id") for r in ours):
                    keep.append((key, payload, row))
                    continue
                posted = [r for r in ours if r.get("status") != "Draft"]
                survivor = posted[0] if posted else min(ours, key=lambda r: (str(r.get("number")), str(r.get("id"))))
                if survivor.get("id") == row.get("id"):
                    keep.append((key, payload, row))
                    continue
                self.client.delete(f"purchaseInvoices({row['id']})", row.get("@odata.etag") or "*")
                if posted:
                    results[key] = WriteResult(key=key, ref=RemoteRef(str(survivor["id"]),
                                                                      survivor.get("@odata.etag")))
                else:
                    keep.append((key, payload, survivor))
        return keep

    def _unknown_error(self) -> ConnectorError:
        return ConnectorError("platform_timeout", "Business Central did not confirm the purchase invoice in time. "
                              "billpay looks it up before trying again, so it is never created twice.",
                              kind="transient", outcome_unknown=True)

    def _create_many(self, items: list[tuple[str, BillPayload]], bodies: dict[str, dict],
                     results: dict[str, WriteResult]) -> tuple[list[tuple[str, BillPayload, dict]],
                                                               list[tuple[str, BillPayload]]]:
        created, unknown = [], []
        halted: ConnectorError | None = None
        for start in range(0, len(items), wire.BATCH_SIZE):
            chunk = items[start:start + wire.BATCH_SIZE]
            if halted is not None:
                results.update({key: WriteResult(key=key, error=halted) for key, _ in chunk})
                continue
            ops = [{"method": "POST", "url": "purchaseInvoices", "body": bodies[key]} for key, _ in chunk]
            try:
                answers = self.client.batch(ops)
            except ConnectorError as error:
                if error.outcome_unknown:
                    unknown += chunk
                else:
                    results.update({key: WriteResult(key=key, error=error) for key, _ in chunk})
                    halted = error
                continue
            for (key, payload), answer in zip(chunk, answers):
                if answer.error is None and isinstance(answer.body, dict) and answer.body.get("id"):
                    created.append((key, payload, answer.body))
                elif answer.error is not None and not answer.error.outcome_unknown:
                    results[key] = WriteResult(key=key, error=answer.error)
                else:
                    unknown.append((key, payload))
        return created, unknown

    def _post_many(self, items: list[tuple[str, BillPayload, dict]], results: dict[str, WriteResult],
                   facts: transform.CompanyFacts) -> list[tuple[str, BillPayload]]:
        """Post drafts (a found draft is brought up to date first); returns the items whose outcome is unknown."""
        unknown: list[tuple[str, BillPayload]] = []
        ready: list[tuple[str, BillPayload, dict]] = []
        for key, payload, row in items:
            if "purchaseInvoiceLines" in row and row.get("status") == "Draft":
                try:
                    row = self.sync_draft(row, payload, facts)
                except ConnectorError as error:
                    if error.outcome_unknown:
                        unknown.append((key, payload))
                    else:
                        results[key] = WriteResult(key=key, error=error)
                    continue
            ready.append((key, payload, row))
        per_batch = wire.BATCH_SIZE // 2
        for start in range(0, len(ready), per_batch):
            chunk = ready[start:start + per_batch]
            ops: list[dict] = []
            for index, (_, _, row) in enumerate(chunk):
                path = f"purchaseInvoices({row['id']})"
                ops.append({"method": "POST", "url": f"{path}/Microsoft.NAV.post"})
                ops.append({"method": "GET", "url": f"{path}?$select=id,number,status", "depends_on": 2 * index + 1})
            try:
                answers = self.client.batch(ops)
            except ConnectorError as error:
                if error.outcome_unknown:
                    unknown += [(key, payload) for key, payload, _ in chunk]
                else:
                    results.update({key: WriteResult(key=key, error=error) for key, _, _ in chunk})
                continue
            for index, (key, payload, row) in enumerate(chunk):
                posted, read = answers[2 * index], answers[2 * index + 1]
                if posted.error is not None and not posted.error.outcome_unknown:
                    results[key] = WriteResult(key=key, error=posted.error)
                elif read.error is None and isinstance(read.body, dict) and read.body.get("status") != "Draft":
                    results[key] = WriteResult(key=key, ref=RemoteRef(str(row["id"]), read.body.get("@odata.etag")))
                else:
                    unknown.append((key, payload))
        return unknown

    # -- find -----------------------------------------------------------------------------------------
    def find(self, idempotency_key: str, payload: BillPayload) -> RemoteRef | None:
        bill_id = record_of(idempotency_key)
        (answer,) = self.client.batch([self.lookup_operation(payload)])
        if answer.error is not None:
            raise answer.error
        state, row = self.classify(list((answer.body or {}).get("value") or []), bill_id)
        if state == "posted":
            return RemoteRef(str(row["id"]), row.get("@odata.etag"))
        if state != "draft":
            return None
        results: dict[str, WriteResult] = {}
        unknown = self._post_many([(idempotency_key, payload, row)], results, self.connector.facts())
        result = results.get(idempotency_key)
        if unknown or result is None:
            raise self._unknown_error()
        if result.error is not None:
            raise result.error
        return result.ref

    # -- drafts -----------------------------------------------------------------------------------------
    def sync_draft(self, row: dict, payload: BillPayload, facts: transform.CompanyFacts) -> dict:
        """Bring billpay's draft in line with ``payload``: header by PATCH with If-Match (re-read and
        re-applied on 409), lines and header dimensions replaced in one atomic ``$batch``."""
        path = f"purchaseInvoices({row['id']})"
        for attempt in (1, 2, 3):
            changes = transform.header_changes(payload, row, facts)
            if not changes:
                break
            try:
                self.client.patch(path, changes, row["@odata.etag"])
                break
            except ConnectorError as error:
                if error.code != errors.STALE_VERSION.code or attempt == 3:
                    raise
                row = self.connector.read_raw(str(row["id"]))
                if row is None:
                    raise NOT_FOUND.error(platform=PLATFORM, raw={"id": path}) from None
        wanted_lines = transform.bill_lines(payload, facts)
        wanted_dims = transform.dimension_lines(payload.dimensions, facts)
        fresh = self.connector.read_raw(str(row["id"]))
        if fresh is None:
            raise NOT_FOUND.error(platform=PLATFORM, raw={"id": path})
        if _lines_match(fresh, wanted_lines) and _dims_match(fresh.get("dimensionSetLines"), wanted_dims):
            return fresh
        ops: list[dict] = []
        for line in fresh.get("purchaseInvoiceLines") or []:
            ops.append({"method": "DELETE", "url": f"{path}/purchaseInvoiceLines({line['id']})",
                        "headers": {"If-Match": "*"}})
        for dim in fresh.get("dimensionSetLines") or []:
            ops.append({"method": "DELETE", "url": f"{path}/dimensionSetLines({dim['id']})", "headers": {"If-Match": "*"}})
        ops += [{"method": "POST", "url": f"{path}/dimensionSetLines", "body": dim} for dim in wanted_dims]
        ops += [{"method": "POST", "url": f"{path}/purchaseInvoiceLines", "body": line} for line in wanted_lines]
        if len(ops) > wire.BATCH_SIZE:
            raise errors.resolution_error(errors.VALUE_TOO_LONG, detail="the bill has more lines than billpay "
                                          "replaces at once in Business Central")
        for answer in self.client.batch(ops, atomic=True):
            if answer.error is not None and answer.status != 424:
                raise answer.error
        again = self.connector.read_raw(str(row["id"]))
        if again is None:
            raise NOT_FOUND.error(platform=PLATFORM, raw={"id": path})
        return again

    # -- re-sync ----------------------------------------------------------------------------------------
    def update(self, ref: RemoteRef, payload: BillPayload, idempotency_key: str) -> RemoteRef:
        row = self.connector.read_raw(ref.external_id)
        if row is None or row.get("status") not in LIVE:
            raise NOT_FOUND.error(platform=PLATFORM, raw={"id": ref.external_id, "status": (row or {}).get("status")})
        facts = self.connector.facts()
        if row.get("status") == "Draft":
            results: dict[str, WriteResult] = {}
            unknown = self._post_many([(idempotency_key, payload, row)], results, facts)
            if unknown or idempotency_key not in results:
                raise self._unknown_error()
            outcome = results[idempotency_key]
            if outcome.error is not None:
                raise outcome.error
            return outcome.ref  # type: ignore[return-value]
        if _unchanged(row, payload, facts):
            return RemoteRef(str(row["id"]), row.get("@odata.etag"))
        if row.get("status") != "Open":
            raise errors.resolution_error(errors.POSTED, raw={"id": row["id"], "status": row.get("status")})
        log.info("Business Central purchase invoice %s is posted; correcting it (credit memo + new invoice)",
                 row.get("number"))
        self.cancel(row)
        (result,) = self.push([(f"{idempotency_key}:corrected", payload)])
        if result.error is not None:
            raise result.error
        return result.ref  # type: ignore[return-value]

    # -- void / cancel -----------------------------------------------------------------------------------
    def void(self, ref: RemoteRef, idempotency_key: str) -> None:
        for attempt in (1, 2, 3):
            row = self.connector.read_raw(ref.external_id)
            if row is None or row.get("status") not in LIVE:
                return
            if row.get("status") == "Paid":
                raise errors.resolution_error(errors.BILL_HAS_PAYMENTS, raw={"id": row["id"], "status": "Paid"})
            if row.get("status") != "Draft":
                self.cancel(row)
                return
            try:
                self.client.delete(f"purchaseInvoices({row['id']})", row.get("@odata.etag") or "*")
                return
            except ConnectorError as error:
                if error.kind == "not_found":
                    return
                if error.code != errors.STALE_VERSION.code or attempt == 3:
                    raise

    def cancel(self, row: dict) -> None:
        """Cancel a posted invoice with a corrective credit memo (reusing a draft one left by a crash)."""
        drafts = self.client.get("purchaseCreditMemos", {
            "$filter": f"invoiceId eq {row['id']} and status eq 'Draft'", "$select": "id,status"}).get("value") or []
        if drafts:
            memo_id = drafts[0]["id"]
        else:
            lines = []
            for line in row.get("purchaseInvoiceLines") or []:
                if line.get("lineType") != "Account":
                    continue
                body = {"lineType": "Account", "accountId": line["accountId"], "quantity": line.get("quantity", 1),
                        "unitCost": line.get("unitCost", 0), "description": line.get("description") or ""}
                dims = [{"id": d["id"], "valueId": d["valueId"]} for d in line.get("dimensionSetLines") or []]
                if dims:
                    body["dimensionSetLines"] = dims
                lines.append(body)
            memo = self.client.post("purchaseCreditMemos", {
                "vendorId": row["vendorId"], "invoiceId": row["id"], "creditMemoDate": row.get("postingDate"),
                "postingDate": row.get("postingDate"), "purchaseCreditMemoLines": lines})
            memo_id = memo["id"]
        self.client.action(f"purchaseCreditMemos({memo_id})/Microsoft.NAV.post")


def _line_key(line: dict) -> tuple:
    dims = sorted((str(d.get("id") or "").lower(), str(d.get("valueId") or "").lower())
                  for d in line.get("dimensionSetLines") or [])
    return (line.get("lineType"), str(line.get("accountId") or "").lower(), str(line.get("quantity", 0)),
            str(wire.amount(line.get("unitCost", 0)).normalize()) if line.get("lineType") == "Account" else "",
            line.get("description") or "", tuple(dims) if line.get("lineType") == "Account" else ())


def _lines_match(row: dict, wanted: list[dict]) -> bool:
    have = [_line_key(line) for line in row.get("purchaseInvoiceLines") or []]
    return have == [_line_key({**line, "quantity": line.get("quantity", 0)}) for line in wanted]


def _dims_match(have: object, wanted: list[dict]) -> bool:
    return sorted((str(d.get("id")).lower(), str(d.get("valueId")).lower()) for d in have or []) == \
        sorted((str(d["id"]).lower(), str(d["valueId"]).lower()) for d in wanted)


def _unchanged(row: dict, payload: BillPayload, facts: transform.CompanyFacts) -> bool:
    return (not transform.header_changes(payload, row, facts)
            and _lines_match(row, transform.bill_lines(payload, facts))
            and _dims_match(row.get("dimensionSetLines"), transform.dimension_lines(payload.dimensions, facts)))

