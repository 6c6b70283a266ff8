"""Bill payments as vendor payments in a vendor payment journal, then posted.

The journal is the organization's choice (``settings.options``: ``{"payment_journal": "CHECKING"}``
or per currency ``{"payment_journals": {"USD": "CHECKING", "EUR": "EUR-BANK"}}``, by code or id);
its balancing account is the bank G/L account the money leaves from. Without a choice billpay
refuses in words (``platform_payment_journal_missing``) rather than guess a bank.

Each payment becomes one ``vendorPayments`` line: ``vendorId``, ``postingDate`` (the settlement
date), ``amount``, ``appliesToInvoiceId`` (the purchase invoice's id, which BC keeps through
posting), ``externalDocumentNumber`` = the billpay payment id and ``documentNumber`` =
``BP<16 hex><generation>``. Posting the journal (``journals({id})/Microsoft.NAV.post``) applies each
payment to its invoice, whose status becomes **Paid**.

Before writing, one ``$batch`` (33 payments at a time) reads each invoice and looks for the payment
both as an unposted journal line (by ``externalDocumentNumber``) and as posted G/L entries (by the
``documentNumber`` stem, any generation): a payment already posted is never posted again, an
unposted line of billpay's is posted instead of entered twice. Posting a journal posts every line
in it, so billpay refuses to post a journal holding lines it did not enter, and removes its own
lines that belong to no payment of this run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence
from urllib.parse import quote as url_quote

from billpay.connectors.base.errors import PAYLOAD_INVALID
from billpay.connectors.base.idempotency import record_of
from billpay.connectors.business_central import errors, wire
from billpay.connectors.business_central.errors import PLATFORM
from billpay.sync.ports import BillPaymentPayload, ConnectorError, RemoteRef, WriteResult

if TYPE_CHECKING:  # pragma: no cover - types only
    from billpay.connectors.business_central.connector import BusinessCentralConnector

PER_LOOKUP_BATCH = wire.BATCH_SIZE // 3


@dataclass
class Pending:
    key: str
    payload: BillPaymentPayload
    journal_id: str
    document_number: str
    external_number: str
    line: dict | None = None


def _q(text: str) -> str:
    return url_quote(text, safe="")


class PaymentWriter:
    def __init__(self, connector: BusinessCentralConnector) -> None:
        self.connector = connector
        self.client = connector.client

    # -- the journal ------------------------------------------------------------------------------------
    def journal_for(self, currency: str) -> str:
        options = self.connector.options
        chosen = (options.get("payment_journals") or {}).get(currency.upper()) or options.get("payment_journal")
        if not chosen:
            raise errors.resolution_error(errors.JOURNAL_MISSING, detail=currency.upper())
        journals = self.connector.discovered.get("payment_journals")
        if journals is None or str(chosen).upper() not in journals:
            rows = list(self.client.pages("vendorPaymentJournals", {"$select": "id,code"}))
            journals = {str(r["code"]).upper(): str(r["id"]) for r in rows}
            journals.update({str(r["id"]).upper(): str(r["id"]) for r in rows})
            self.connector.discovered["payment_journals"] = journals
        journal_id = journals.get(str(chosen).upper())
        if journal_id is None:
            raise errors.resolution_error(errors.JOURNAL_NOT_FOUND, detail=str(chosen))
        return journal_id

    # -- push -------------------------------------------------------------------------------------------
    def push(self, items: Sequence[tuple[str, BillPaymentPayload]]) -> list[WriteResult]:
        results: dict[str, WriteResult] = {}
        pending: list[Pending] = []
        seen: set[str] = set()
        for key, payload in items:
            if key in seen:
                continue
            seen.add(key)
            try:
                if payload.amount <= 0:
                    raise PAYLOAD_INVALID.error(platform=PLATFORM, detail="a bill payment must be a positive amount")
                pending.append(Pending(key, payload, self.journal_for(payload.currency),
                                       wire.payment_document_number(payload.payment_id, wire.generation_of(key)),
                                       wire.payment_external_number(payload.payment_id)))
            except ConnectorError as error:
                results[key] = WriteResult(key=key, error=error)
        attempts = self.connector.retry.max_attempts
        for attempt in range(1, attempts + 1):
            if not pending:
                break
            try:
                unknown = self._round(pending, results)
            except ConnectorError as error:
                results.update({p.key: WriteResult(key=p.key, error=error) for p in pending if p.key not in results})
                break
            pending = unknown
        for p in pending:
            results.setdefault(p.key, WriteResult(key=p.key, error=ConnectorError(
                "platform_timeout", "Business Central did not confirm the vendor payment in time. billpay looks it "
                "up before trying again, so it is never posted twice.", kind="transient", outcome_unknown=True)))
        return [results[key] for key, _ in items]

    def _round(self, pending: list[Pending], results: dict[str, WriteResult]) -> list[Pending]:
        """Look up, enter the missing lines, post; returns the payments whose outcome is unknown."""
        to_enter: list[Pending] = []
        to_post: list[Pending] = []
        for p, (invoice, line, posted) in zip(pending, self._lookup(pending)):
            if posted:
                results[p.key] = WriteResult(key=p.key, ref=RemoteRef(posted))
            elif line is not None and line.get("documentNumber") == p.document_number:
                p.line = line
                to_post.append(p)
            elif invoice is None or invoice.get("status") in ("Canceled", "Corrective"):
                results[p.key] = WriteResult(key=p.key, error=errors.resolution_error(
                    errors.BILL_DELETED, raw={"invoice": p.payload.bill_external_id}))
            elif invoice.get("status") == "Paid":
                results[p.key] = WriteResult(key=p.key, error=errors.resolution_error(
                    errors.BILL_ALREADY_PAID, raw={"invoice": invoice.get("number")}))
            elif invoice.get("status") != "Open":
                results[p.key] = WriteResult(key=p.key, error=errors.resolution_error(
                    errors.BILL_NOT_POSTED, raw={"invoice": invoice.get("number"), "status": invoice.get("status")}))
            elif str(invoice.get("currencyCode") or "").upper() != p.payload.currency.upper():
                results[p.key] = WriteResult(key=p.key, error=PAYLOAD_INVALID.error(
                    platform=PLATFORM, detail=f"the payment is in {p.payload.currency} but the purchase invoice is in "
                    f"{invoice.get('currencyCode')}"))
            else:
                to_enter.append(p)
        unknown = self._enter(to_enter, results)
        to_post += [p for p in to_enter if p.line is not None]
        unknown += self._post(to_post, results)
        return unknown

    def _lookup(self, pending: list[Pending]) -> list[tuple[dict | None, dict | None, str | None]]:
        out = []
        for start in range(0, len(pending), PER_LOOKUP_BATCH):
            chunk = pending[start:start + PER_LOOKUP_BATCH]
            ops = []
            for p in chunk:
                stem = wire.payment_stem(p.payload.payment_id)
                ops.append({"method": "GET", "url": f"purchaseInvoices({p.payload.bill_external_id})"
                            "?$select=id,number,status,vendorId,currencyCode,totalAmountIncludingTax"})
                ops.append({"method": "GET", "url": f"vendorPaymentJournals({p.journal_id})/vendorPayments?$filter="
                            + _q(f"externalDocumentNumber eq {wire.quote(p.external_number)}")})
                ops.append({"method": "GET", "url": "generalLedgerEntries?$top=1&$filter="
                            + _q(f"startswith(documentNumber,{wire.quote(stem)}) and documentType eq 'Payment'")})
            answers = self.client.batch(ops)
            for index, _ in enumerate(chunk):
                invoice, lines, posted = answers[3 * index: 3 * index + 3]
                for answer in (lines, posted):
                    if answer.error is not None:
                        raise answer.error
                if invoice.error is not None and invoice.error.kind != "not_found":
                    raise invoice.error
                rows = list((lines.body or {}).get("value") or [])
                entries = list((posted.body or {}).get("value") or [])
                out.append((invoice.body if invoice.error is None else None, rows[0] if rows else None,
                            str(entries[0]["documentNumber"]) if entries else None))
        return out

    def _enter(self, items: list[Pending], results: dict[str, WriteResult]) -> list[Pending]:
        unknown: list[Pending] = []
        for start in range(0, len(items), wire.BATCH_SIZE):
            chunk = items[start:start + wire.BATCH_SIZE]
            ops = [{"method": "POST", "url": f"vendorPaymentJournals({p.journal_id})/vendorPayments", "body": {
                "vendorId": p.payload.vendor_external_id, "postingDate": p.payload.pay_date.isoformat(),
                "documentNumber": p.document_number, "externalDocumentNumber": p.external_number,
                "amount": p.payload.amount, "appliesToInvoiceId": p.payload.bill_external_id,
                "description": (p.payload.memo or "billpay payment")[: wire.DESCRIPTION_LENGTH]}} for p in chunk]
            try:
                answers = self.client.batch(ops)
            except ConnectorError as error:
                if not error.outcome_unknown:
                    raise
                unknown += chunk
                continue
            for p, answer in zip(chunk, answers):
                if answer.error is None and isinstance(answer.body, dict):
                    p.line = answer.body
                elif answer.error is not None and not answer.error.outcome_unknown:
                    results[p.key] = WriteResult(key=p.key, error=answer.error)
                else:
                    unknown.append(p)
        return unknown

    def _post(self, items: list[Pending], results: dict[str, WriteResult]) -> list[Pending]:
        unknown: list[Pending] = []
        by_journal: dict[str, list[Pending]] = {}
        for p in items:
            by_journal.setdefault(p.journal_id, []).append(p)
        for journal_id, group in by_journal.items():
            try:
                self._clear_journal(journal_id, group)
                self.client.action(f"journals({journal_id})/Microsoft.NAV.post")
            except ConnectorError as error:
                if error.outcome_unknown:
                    unknown += group
                    continue
                results.update({p.key: WriteResult(key=p.key, error=error) for p in group})
                continue
            results.update({p.key: WriteResult(key=p.key, ref=RemoteRef(p.document_number)) for p in group})
        return unknown

    def _clear_journal(self, journal_id: str, group: list[Pending]) -> None:
        """Refuse a journal with lines billpay did not enter; delete billpay's lines of no current payment."""
        wanted = {p.document_number for p in group}
        lines = list(self.client.pages(f"vendorPaymentJournals({journal_id})/vendorPayments",
                                       {"$select": "id,documentNumber,externalDocumentNumber"}))
        foreign = [ln for ln in lines if not str(ln.get("documentNumber") or "").startswith("BP")
                   or len(str(ln.get("documentNumber"))) != 20]
        if foreign:
            code = next((c for c, i in (self.connector.discovered.get("payment_journals") or {}).items()
                         if i == journal_id and c != journal_id.upper()), journal_id)
            raise errors.resolution_error(errors.JOURNAL_SHARED, detail=code,
                                          raw={"foreign_lines": len(foreign)})
        stale = [ln for ln in lines if ln.get("documentNumber") not in wanted]
        if stale:
            for answer in self.client.batch([{"method": "DELETE", "url": f"vendorPaymentJournals({journal_id})/"
                                              f"vendorPayments({ln['id']})", "headers": {"If-Match": "*"}}
                                             for ln in stale[: wire.BATCH_SIZE]]):
                if answer.error is not None and answer.error.kind != "not_found":
                    raise answer.error

    # -- find -------------------------------------------------------------------------------------------
    def find(self, idempotency_key: str, payload: BillPaymentPayload) -> RemoteRef | None:
        p = Pending(idempotency_key, payload, self.journal_for(payload.currency),
                    wire.payment_document_number(payload.payment_id, wire.generation_of(idempotency_key)),
                    wire.payment_external_number(payload.payment_id or record_of(idempotency_key)))
        ((invoice, line, posted),) = self._lookup([p])
        if posted:
            return RemoteRef(posted)
        if line is None or line.get("documentNumber") != p.document_number:
            return None
        p.line = line
        results: dict[str, WriteResult] = {}
        if self._post([p], results) or p.key not in results:
            return None
        outcome = results[p.key]
        if outcome.error is not None:
            raise outcome.error
        return outcome.ref
