"""``IntacctConnector``: billpay's ``AccountingConnector`` for Sage Intacct (XML Web Services).

Reading
    Reference data is keyset-paged ``query`` (2,000 rows a request, inactive
    records included). ``pull_bills(None, start)`` scans posted AP bills dated on
    or after ``start``; ``pull_bills(bookmark, start)`` asks for bills whose
    ``WHENMODIFIED`` is at or after the bookmark and for deletions recorded in
    the audit trail since then, in one request. The bookmark is the company's
    clock (``<sessiontimestamp>`` of the pull's first answer) minus
    ``BOOKMARK_OVERLAP``: Intacct timestamps carry no time zone, and the
    server's own clock is the one ``WHENMODIFIED`` is written on.

Writing
    Bills and payments are created 99 and 98 to a request, each create a
    function whose control id is billpay's idempotency key, sent with
    ``uniqueid=true``: Intacct refuses a control id that already completed, and
    the read-back in the same request turns that refusal into the record the
    first attempt created. billpay's id is the record's reference number
    (``DOCNUMBER`` = ``billpay:<id>``), which is what ``find_bill`` and
    ``find_bill_payment`` look up — never the vendor, amount or memo.
    ``update_bill`` replaces the header and every line; ``void_bill`` deletes an
    unpaid bill (Intacct keeps no voided copy) and refuses in words once it has
    payments. Payments are drawn on the checking account chosen for their
    currency in the connection's options (``{"bank_accounts": {"USD": "BOA"}}``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from typing import Any, Callable, Mapping, Sequence

import httpx

from billpay.connectors.base import xmlcodec
from billpay.connectors.base.auth import utc_now
from billpay.connectors.base.errors import check_unchanged
from billpay.connectors.base.idempotency import record_of
from billpay.connectors.base.limits import LocalLimiter, PlatformLimiter
from billpay.connectors.base.retry import RetryPolicy
from billpay.connectors.intacct import errors, pull, transform, wire, writes
from billpay.connectors.intacct.client import Credentials, IntacctClient
from billpay.connectors.intacct.plugin import PLUGIN
from billpay.sync.ports import (
    BillPayload,
    BillPaymentPayload,
    CompanyInfo,
    ConnectorError,
    PullResult,
    ReferenceItem,
    ReferenceKind,
    RemoteBill,
    RemoteRef,
    WriteResult,
)

log = logging.getLogger(__name__)

BOOKMARK_OVERLAP = dt.timedelta(minutes=2)
BOOKMARK_FORMAT = "%Y-%m-%dT%H:%M:%S"


class IntacctConnector:
    """Sage Intacct behind ``billpay.sync.ports.AccountingConnector`` (see the module docstring).

    ``http`` is the transport seam. ``discovered`` is shared by the connectors of one connection: the
    session, the entity's currency, the company's custom dimensions and the default limiter live there.
    ``limiter`` holds the company's two request slots (default: an in-process ``LocalLimiter``).
    ``sleep``/``max_retries``/``retry`` shape the backoff; ``now`` is the clock sessions expire on.
    """

    platform = "intacct"

    def __init__(self, http: httpx.Client, *, endpoint_url: str, sender_id: str, sender_password: str,
                 company_id: str, user_id: str, user_password: str, entity_id: str | None = None,
                 options: Mapping[str, Any] | None = None, discovered: dict | None = None,
                 limiter: PlatformLimiter | None = None, sleep: Callable[[float], None] = time.sleep,
                 max_retries: int = 4, retry: RetryPolicy | None = None,
                 now: Callable[[], dt.datetime] = utc_now) -> None:
        self.company_id = company_id
        self.entity_id = entity_id or None
        self.options = dict(options or {})
        self.discovered = discovered if discovered is not None else {}
        self.retry = retry or RetryPolicy(max_attempts=max_retries + 1, base_delay=2.0, max_delay=60.0, sleep=sleep)
        self.limiter = limiter or self.discovered.setdefault(
            "limiter", LocalLimiter(PLUGIN.capabilities.concurrency, PLUGIN.capabilities.limits))
        self.client = IntacctClient(
            http, endpoint_url=endpoint_url, retry=self.retry, limiter=self.limiter, discovered=self.discovered,
            now=now, credentials=Credentials(sender_id, sender_password, company_id, user_id, user_password,
                                             self.entity_id))

    def __repr__(self) -> str:
        return f"IntacctConnector(company_id={self.company_id!r}, entity_id={self.entity_id!r})"

    def close(self) -> None:
        """Nothing to release: the session stays cached for the connection until it expires."""

    # -- company facts ------------------------------------------------------------------------------------------
    def _call_one(self, function: xmlcodec.Element) -> wire.Result:
        (result,) = self.client.call([wire.Function(function)], unique=False)
        if not result.ok:
            raise errors.error_from(result.errors, secrets=self.client.credentials.secrets())
        return result

    def home_currency(self) -> str | None:
        """The base currency of the entity billpay signs in to (None at the top level: Intacct decides)."""
        if "home_currency" not in self.discovered:
            currency = None
            if self.entity_id:
                rows = pull.query_all(self.client, "LOCATIONENTITY", ("LOCATIONID", "CURRENCY"),
                                      wire.condition("equalto", "LOCATIONID", self.entity_id))
                currency = next((r.get("CURRENCY") for r in rows if r.get("CURRENCY")), None)
            self.discovered["home_currency"] = currency
        return self.discovered["home_currency"]

    def custom_dimensions(self) -> dict[str, str]:
        """The company's user-defined dimensions: billpay code (``fund``) -> line field (``GLDIMFUND``)."""
        if "custom_dimensions" not in self.discovered:
            self.discovered["custom_dimensions"] = transform.custom_dimensions(self._call_one(wire.get_dimensions()))
        return self.discovered["custom_dimensions"]

    def company_info(self) -> CompanyInfo:
        results = self.client.call([
            wire.Function(wire.query(*_reference_query("entities"))),
            wire.Function(wire.query(*_reference_query("bank_accounts")))], unique=False)
        for result in results:
            if not result.ok:
                raise errors.error_from(result.errors, secrets=self.client.credentials.secrets())
        entities = [transform.reference_from_wire("entities", r, "LOCATIONID", "NAME") for r in results[0].records()]
        banks = [transform.reference_from_wire("bank_accounts", r, "BANKACCOUNTID", "BANKNAME")
                 for r in results[1].records()]
        mine = next((e for e in entities if e.id == self.entity_id), entities[0] if entities else None)
        home = str(mine.extra.get("currency")) if mine and mine.extra.get("currency") else "USD"
        self.discovered.setdefault("home_currency", home if self.entity_id else None)
        currencies = sorted({home} | {str(e.extra["currency"]) for e in entities if e.extra.get("currency")}
                            | {str(b.extra["currency"]) for b in banks if b.extra.get("currency")})
        usable = [b for b in banks if b.active and (not self.entity_id or b.extra.get("location") in
                                                    (None, self.entity_id))]
        return CompanyInfo(home_currency=home, currencies=currencies, bank_accounts=usable,
                           name=mine.name if mine else self.company_id)

    # -- reference data -------------------------------------------------------------------------------------------
    def fetch_reference_data(self, kind: ReferenceKind) -> list[ReferenceItem]:
        """Active and inactive records of one kind; a custom dimension's kind is its object name (``fund``)."""
        if kind in transform.REFERENCE_QUERIES:
            obj, fields, id_field, name_field = transform.REFERENCE_QUERIES[kind]
        elif kind in self.custom_dimensions():
            obj, fields, id_field, name_field = kind.upper(), ("RECORDNO", "ID", "NAME", "STATUS"), "ID", "NAME"
        else:
            raise ValueError(f"unknown reference kind {kind!r}")
        rows = pull.query_all(self.client, obj, fields)
        if kind == "locations" and self.entity_id and "home_currency" not in self.discovered:
            # the entity is a location too: its currency is the entity's base currency (saves a query later)
            mine = next((r for r in rows if r.get("LOCATIONID") == self.entity_id and r.get("CURRENCY")), None)
            if mine is not None:
                self.discovered["home_currency"] = mine["CURRENCY"]
        return [transform.reference_from_wire(kind, row, id_field, name_field) for row in rows]

    # -- AP bills: create ---------------------------------------------------------------------------------------------
    def _bill_wire(self, payload: BillPayload) -> dict:
        standard = set(transform.LINE_DIMENSIONS)
        needs_custom = any(set(line.dimensions) - standard for line in payload.lines) or \
            bool(set(payload.dimensions) - standard)
        return transform.bill_to_wire(payload, entity_id=self.entity_id, home_currency=self.home_currency(),
                                      custom_dimensions=self.custom_dimensions() if needs_custom else {})

    def push_bills(self, items: Sequence[tuple[str, BillPayload]]) -> list[WriteResult]:
        batch = writes.Batch("APBILL", "AP bill", self._bill_wire, lambda p: transform.marker(p.bill_id),
                             writes.bill_readback, 1, writes.resolve_bill)
        return writes.create_batched(self.client, batch, items)

    # -- AP bills: update, void, read, find -----------------------------------------------------------------------
    def update_bill(self, ref: RemoteRef, payload: BillPayload, idempotency_key: str) -> RemoteRef:
        """Replace the bill's header and lines; the control id covers this exact content. Intacct has no version
        check of its own: a bill changed there since billpay wrote ``ref.version`` is refused for the engine to merge."""
        if ref.version is not None:
            check_unchanged(self.read_bill(ref), ref, "Sage Intacct", "AP bill")
        values = self._bill_wire(payload)
        values = {"RECORDNO": ref.external_id, **{k: v for k, v in values.items()
                                                  if k not in ("EXCH_RATE_DATE", "EXCH_RATE_TYPE_ID",
                                                               "EXCHANGE_RATE", "CURRENCY", "DOCNUMBER")}}
        body = wire.update("APBILL", values)
        digest = hashlib.sha256(xmlcodec.to_bytes(body, declaration=False)).hexdigest()[:16]
        control_id = f"{idempotency_key}~{digest}"
        check = wire.query("APBILL", ("RECORDNO", "WHENMODIFIED"),
                           where=wire.condition("equalto", "RECORDNO", ref.external_id))
        answer, readback = self.client.call([wire.Function(body, control_id), wire.Function(check)], unique=True)
        rows = readback.records() if readback.ok else []
        if not rows:
            raise errors.resolution_error(errors.NOT_FOUND, raw={"RECORDNO": ref.external_id})
        if not answer.ok and not errors.is_already_recorded(answer.errors):
            raise errors.error_from(answer.errors, secrets=self.client.credentials.secrets())
        return RemoteRef(ref.external_id, rows[0].get("WHENMODIFIED") or None)

    def void_bill(self, ref: RemoteRef, idempotency_key: str) -> None:
        """Delete the bill while nothing is paid; already gone is success; paid is refused in words."""
        check = wire.query("APBILL", ("RECORDNO", "TRX_TOTALPAID", "STATE"),
                           where=wire.condition("equalto", "RECORDNO", ref.external_id))
        (found,) = self.client.call([wire.Function(check)], unique=False)
        rows = found.records() if found.ok else []
        if not rows:
            return
        paid = wire.parse_amount(rows[0].get("TRX_TOTALPAID"))
        if paid and paid > 0:
            raise errors.resolution_error(errors.BILL_HAS_PAYMENTS, raw={"RECORDNO": ref.external_id,
                                                                          "TRX_TOTALPAID": str(paid)})
        control_id = f"{idempotency_key}~{ref.external_id}"
        (answer,) = self.client.call([wire.Function(wire.delete("APBILL", [ref.external_id]), control_id)],
                                     unique=True)
        if answer.ok or errors.is_already_recorded(answer.errors):
            return
        error = errors.error_from(answer.errors, secrets=self.client.credentials.secrets())
        if error.code == errors.REFERENCE_INVALID.code and self.read_bill(ref) is None:
            return  # deleted in Intacct between the check and the delete
        raise error

    def read_bill(self, ref: RemoteRef) -> RemoteBill | None:
        result = self._call_one(wire.read("APBILL", [ref.external_id]))
        records = result.records()
        if not records:
            return None
        return transform.bill_from_wire(records[0], custom_fields=self.discovered.get("custom_dimensions"))

    def find_bill(self, idempotency_key: str, payload: BillPayload) -> RemoteRef | None:
        """The bill whose reference number is billpay's marker for this bill.

        A bill of the same vendor and bill number that carries no billpay marker is reported
        (``platform_duplicate_number``) rather than ignored: its marker may have been edited in Intacct,
        and creating again could record the bill twice."""
        wanted = transform.marker(record_of(idempotency_key))
        where = wire.condition("equalto", "DOCNUMBER", wanted)
        if payload.invoice_number:
            where = wire.any_of(where, wire.all_of(
                wire.condition("equalto", "VENDORID", payload.vendor_external_id),
                wire.condition("equalto", "RECORDID", payload.invoice_number)))
        rows = pull.query_all(self.client, "APBILL", ("RECORDNO", "DOCNUMBER", "WHENMODIFIED", "VENDORID",
                                                      "RECORDID"), where)
        ours = [r for r in rows if r.get("DOCNUMBER") == wanted]
        if ours:
            row = min(ours, key=lambda r: int(r.get("RECORDNO") or 0))
            return RemoteRef(str(row["RECORDNO"]), row.get("WHENMODIFIED") or None)
        unmarked = [r for r in rows if not transform.is_marker(r.get("DOCNUMBER"))]
        if unmarked:
            raise errors.resolution_error(
                errors.DUPLICATE_NUMBER, raw={"RECORDNO": [r.get("RECORDNO") for r in unmarked]},
                detail=f"bill {payload.invoice_number} of vendor {payload.vendor_external_id}, record "
                       f"{unmarked[0].get('RECORDNO')}, has no billpay reference number")
        return None

    # -- AP bills: pull --------------------------------------------------------------------------------------------------
    def pull_bills(self, bookmark: str | None, start_date: dt.date) -> PullResult:
        since = _parse_bookmark(bookmark)
        if bookmark and since is None:
            log.warning("Sage Intacct bookmark %r is not a timestamp; doing a full scan", bookmark)
        where = wire.all_of(wire.condition("greaterthanorequalto", "WHENCREATED", start_date),
                            wire.condition("notequalto", "STATE", "Draft"),
                            wire.condition("greaterthanorequalto", "WHENMODIFIED", wire.format_timestamp(since))
                            if since else None)
        pulled = pull.pull_bills(self.client, where, deleted_since=wire.format_timestamp(since) if since else None,
                                 custom=self.discovered.get("custom_dimensions"))
        self.discovered["custom_dimensions"] = pulled.custom
        signpost = _server_clock(pulled.server_time)
        if signpost is None:
            seen = [b.updated_at for b in pulled.bills if b.updated_at]
            signpost = max(seen + ([since] if since else [])) if (seen or since) else None
            log.warning("Sage Intacct sent no session timestamp; bookmark from the records seen")
        next_mark = signpost - BOOKMARK_OVERLAP if signpost else since
        if since and next_mark and next_mark < since:
            next_mark = since
        return PullResult(bills=pulled.bills, deleted_ids=pulled.deleted_ids,
                          bookmark=next_mark.strftime(BOOKMARK_FORMAT) if next_mark else "", full=since is None)

    # -- AP payments ----------------------------------------------------------------------------------------------------
    def _bank_account(self, payload: BillPaymentPayload) -> str:
        if payload.bank_account_id:
            return payload.bank_account_id
        chosen = (self.options.get("bank_accounts") or {}).get(payload.currency)
        if not chosen:
            raise ConnectorError(
                "platform_bank_account_missing",
                f"No Sage Intacct checking account is chosen for AP payments in {payload.currency}. An admin must "
                f"choose one (bank accounts › {payload.currency}) in the Sage Intacct connection settings.",
                kind="config", raw={"currency": payload.currency})
        return str(chosen)

    def _payment_wire(self, payload: BillPaymentPayload) -> dict:
        return transform.payment_to_wire(payload, bank_account_id=self._bank_account(payload),
                                         methods=self.options.get("payment_methods") or {})

    def push_bill_payments(self, items: Sequence[tuple[str, BillPaymentPayload]]) -> list[WriteResult]:
        batch = writes.Batch("APPYMT", "AP payment", self._payment_wire, lambda p: transform.marker(p.payment_id),
                             writes.payment_readback, 2, writes.resolve_payment)
        return writes.create_batched(self.client, batch, items)

    def find_bill_payment(self, idempotency_key: str, payload: BillPaymentPayload) -> RemoteRef | None:
        rows = pull.query_all(self.client, "APPYMT", ("RECORDNO", "DOCNUMBER"),
                              wire.condition("equalto", "DOCNUMBER", transform.marker(record_of(idempotency_key))))
        return RemoteRef(str(rows[0]["RECORDNO"])) if rows else None


def _reference_query(kind: str) -> tuple[str, tuple[str, ...]]:
    obj, fields, _, _ = transform.REFERENCE_QUERIES[kind]
    return obj, fields


def _parse_bookmark(bookmark: str | None) -> dt.datetime | None:
    if not bookmark:
        return None
    try:
        return dt.datetime.strptime(bookmark, BOOKMARK_FORMAT)
    except ValueError:
        return None


def _server_clock(timestamp: str | None) -> dt.datetime | None:
    """The company's wall clock from ``<sessiontimestamp>`` (its offset dropped: Intacct timestamps have none)."""
    moment = wire.parse_instant(timestamp)
    return moment.replace(tzinfo=None) if moment else None
