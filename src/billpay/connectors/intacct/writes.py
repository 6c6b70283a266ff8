"""Creating AP bills and AP payments in batches: up to 100 functions in one request.

Each request carries the creates (``<function controlid="<idempotency key>">``, ``uniqueid=true``) and, after
them, the queries that read back what billpay just recorded by its own key (``DOCNUMBER`` =
``billpay:<id>``). The read-back makes two cases cheap:

- a create Intacct refuses as "already been recorded with the control id …" (billpay's earlier attempt
  committed but its answer was lost) resolves to the record that attempt created — nothing is written twice;
- a payment refused because its bill has nothing left to pay is reported as already paid, whatever words
  Intacct used.

A request that fails as a whole (after retries) fails every item in it; later batches are not sent and
carry the same error, marked as certainly not written.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Generic, Sequence, TypeVar

from billpay.connectors.intacct import errors, transform, wire
from billpay.connectors.intacct.client import IntacctClient
from billpay.sync.ports import BillPayload, BillPaymentPayload, ConnectorError, RemoteRef, WriteResult

P = TypeVar("P")


@dataclass
class Batch(Generic[P]):
    obj: str
    what: str                                   # "AP bill" / "AP payment", for sentences
    build: Callable[[P], dict]
    marker: Callable[[P], str]
    readback: Callable[[Sequence[P]], list[wire.Function]]
    #: How many functions ``readback`` adds to each request.
    readbacks: int
    #: (payload, create result, read-back results) -> a ref, an error of its own, or None to report the
    #: create's own error.
    resolve: Callable[[P, wire.Result, list[wire.Result]], RemoteRef | ConnectorError | None]


def create_batched(client: IntacctClient, batch: Batch[P], items: Sequence[tuple[str, P]]) -> list[WriteResult]:
    results: dict[str, WriteResult] = {}
    ready: list[tuple[str, P, dict]] = []
    for key, payload in items:
        if key in results or any(k == key for k, _, _ in ready):
            continue  # the same key is one record: every occurrence gets the one result
        try:
            ready.append((key, payload, batch.build(payload)))
        except ConnectorError as error:
            results[key] = WriteResult(key=key, error=error)
    per_request = wire.MAX_FUNCTIONS - batch.readbacks
    halted: ConnectorError | None = None
    for start in range(0, len(ready), per_request):
        chunk = ready[start:start + per_request]
        if halted is not None:
            results.update({key: WriteResult(key=key, error=halted) for key, _, _ in chunk})
            continue
        functions = [wire.Function(wire.create(batch.obj, body), control_id=key) for key, _, body in chunk]
        extra = batch.readback([payload for _, payload, _ in chunk])
        try:
            answers = client.call(functions + extra, unique=True)
        except ConnectorError as error:
            results.update({key: WriteResult(key=key, error=error) for key, _, _ in chunk})
            halted = _not_sent(error)
            continue
        creates, readbacks = answers[:len(chunk)], answers[len(chunk):]
        for (key, payload, _), answer in zip(chunk, creates):
            results[key] = _outcome(client, batch, key, payload, answer, readbacks)
    return [results[key] for key, _ in items]


def _outcome(client: IntacctClient, batch: Batch[P], key: str, payload: P, answer: wire.Result,
             readbacks: list[wire.Result]) -> WriteResult:
    ref = batch.resolve(payload, answer, readbacks)
    if isinstance(ref, ConnectorError):
        return WriteResult(key=key, error=ref)
    if ref is not None:
        return WriteResult(key=key, ref=ref)
    if answer.ok or errors.is_already_recorded(answer.errors):
        error = errors.resolution_error(errors.DUPLICATE_REQUEST, what=batch.what, control_id=key,
                                        marker=batch.marker(payload), raw={"control_id": key})
        return WriteResult(key=key, error=error)
    return WriteResult(key=key, error=errors.error_from(answer.errors, secrets=client.credentials.secrets()))


def _not_sent(error: ConnectorError) -> ConnectorError:
    return ConnectorError(error.code, error.message, kind=error.kind, retry_after=error.retry_after,
                          raw={"not_sent": True, "after": error.raw}, outcome_unknown=False)


def rows_by(result: wire.Result | None, field: str) -> dict[str, dict]:
    if result is None or not result.ok:
        return {}
    return {str(row.get(field)): row for row in result.records() if row.get(field)}


# -- AP bills ---------------------------------------------------------------------------------------------------


def bill_readback(payloads: Sequence[BillPayload]) -> list[wire.Function]:
    markers = [transform.marker(p.bill_id) for p in payloads]
    return [wire.Function(wire.query("APBILL", ("RECORDNO", "DOCNUMBER", "WHENMODIFIED"),
                                     where=wire.condition("in", "DOCNUMBER", *markers), pagesize=wire.QUERY_PAGE))]


def resolve_bill(payload: BillPayload, answer: wire.Result, readbacks: list[wire.Result]) -> RemoteRef | None:
    row = rows_by(readbacks[0] if readbacks else None, "DOCNUMBER").get(transform.marker(payload.bill_id))
    if answer.ok:
        created = answer.records()
        recordno = str(created[0].get("RECORDNO")) if created else None
        if recordno:
            version = row.get("WHENMODIFIED") if row and str(row.get("RECORDNO")) == recordno else None
            return RemoteRef(recordno, version or None)
        return None
    if errors.is_already_recorded(answer.errors) and row is not None:
        return RemoteRef(str(row["RECORDNO"]), row.get("WHENMODIFIED") or None)
    return None


# -- AP payments ---------------------------------------------------------------------------------------------------


def payment_readback(payloads: Sequence[BillPaymentPayload]) -> list[wire.Function]:
    markers = [transform.marker(p.payment_id) for p in payloads]
    bills = list(dict.fromkeys(p.bill_external_id for p in payloads))
    return [wire.Function(wire.query("APPYMT", ("RECORDNO", "DOCNUMBER"),
                                     where=wire.condition("in", "DOCNUMBER", *markers))),
            wire.Function(wire.query("APBILL", ("RECORDNO", "TRX_TOTALDUE", "STATE"),
                                     where=wire.condition("in", "RECORDNO", *bills)))]


def resolve_payment(payload: BillPaymentPayload, answer: wire.Result, readbacks: list[wire.Result]
                    ) -> RemoteRef | ConnectorError | None:
    row = rows_by(readbacks[0] if readbacks else None, "DOCNUMBER").get(transform.marker(payload.payment_id))
    if answer.ok:
        created = answer.records()
        return RemoteRef(str(created[0]["RECORDNO"])) if created and created[0].get("RECORDNO") else None
    if errors.is_already_recorded(answer.errors):
        return RemoteRef(str(row["RECORDNO"])) if row is not None else None
    bill = rows_by(readbacks[1] if len(readbacks) > 1 else None, "RECORDNO").get(payload.bill_external_id)
    due = wire.parse_amount(bill.get("TRX_TOTALDUE")) if bill else None
    if due is not None and due <= Decimal("0"):  # the bill's state decides, whatever words the refusal used
        return errors.resolution_error(errors.BILL_ALREADY_PAID, raw={
            "errors": [e.raw() for e in answer.errors], "bill": payload.bill_external_id})
    return None
