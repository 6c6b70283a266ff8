"""``NetSuiteConnector``: billpay's ``AccountingConnector`` for NetSuite (SuiteTalk REST web services).

Reading
    Reference data, bills and company facts come from SuiteQL, paged by
    following the absolute ``next`` links. ``pull_bills(None, start)`` reads
    every vendor bill dated on or after ``start`` (open, paid or not);
    ``pull_bills(bookmark, start)`` reads the bills whose ``lastmodifieddate`` is
    on or after the bookmark plus the bills deleted since (``deletedrecord``), in
    one query. The next bookmark is NetSuite's own clock (the ``Date`` of the
    pull's first answer) less ``BOOKMARK_OVERLAP``, so a change made while the
    pull runs is seen next time (a few are seen twice).

Writing
    NetSuite REST has no batch for synchronous writes, so each bill or payment is
    one request; ``push_bills``/``push_bill_payments`` run them concurrently, as
    many at once as the account's limiter allows (five on the Standard tier).
    Every create is ``PUT …/eid:<external id>`` (upsert) with the external id
    derived from the idempotency key, so a retry after a timeout finds and
    updates the record it created instead of creating another; ``find_bill`` is
    one ``GET …/eid:``. Re-sync is ``PATCH ?replace=expense`` with the full line
    set, after a read that tells a bill changed in NetSuite since (merged by the
    engine, never overwritten). Void deletes the bill while nothing is paid on it and is refused in
    words once it is.

Bill payments
    A ``vendorPayment`` from the bank account chosen for the payment's currency
    (``options["bank_accounts"][currency]``) applied to the bill; a bill already
    paid in full is refused (``platform_bill_already_paid``) unless the payment
    there is billpay's own earlier one. A payment the bank returned after
    settlement is deleted (``void_bill_payment``), which reopens its bill.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Mapping, Sequence, TypeVar

import httpx

from billpay.connectors.base.auth import TokenStore, utc_now
from billpay.connectors.base.errors import NOT_FOUND
from billpay.connectors.base.limits import LocalLimiter, PlatformLimiter
from billpay.connectors.base.retry import RetryPolicy
from billpay.connectors.netsuite import errors, wire
from billpay.connectors.netsuite.client import NetSuiteClient
from billpay.connectors.netsuite.payments import PaymentWriter
from billpay.connectors.netsuite.transform import (
    bill_from_record,
    bill_to_wire,
    bills_from_rows,
    money,
    payload_version,
    reference_from_row,
    truthy,
)
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
DEFAULT_CONCURRENCY = 5
T = TypeVar("T")


class NetSuiteConnector:
    """NetSuite behind ``billpay.sync.ports.AccountingConnector`` (see the module docstring).

    ``auth`` is an ``httpx.Auth`` (``TokenBasedAuth`` or ``ClientCredentialsAuth``); ``limiter`` holds the
    account's concurrent-request slots; ``bank_accounts`` maps a currency to the NetSuite bank account
    bill payments in that currency are drawn on; ``discovered`` caches facts read once (currencies).
    """

    platform = "netsuite"

    def __init__(self, http: httpx.Client, *, base_url: str, account_id: str, auth: httpx.Auth,
                 tokens: TokenStore | None = None, limiter: PlatformLimiter | None = None,
                 bank_accounts: Mapping[str, str] | None = None, sleep: Callable[[float], None] = time.sleep,
                 max_retries: int = 5, now: Callable[[], dt.datetime] = utc_now, retry: RetryPolicy | None = None,
                 discovered: dict | None = None, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.account_id = account_id
        self.auth = auth
        self._now = now
        self.limiter = limiter or LocalLimiter(concurrency)
        self.concurrency = max(1, getattr(self.limiter, "concurrency", concurrency))
        self.retry = retry or RetryPolicy(max_attempts=max_retries + 1, base_delay=1.0, max_delay=30.0, sleep=sleep)
        self.client = NetSuiteClient(http, base_url=base_url, auth=auth, retry=self.retry, limiter=self.limiter)
        self.discovered = discovered if discovered is not None else {}
        self.payments = PaymentWriter(self, dict(bank_accounts or {}))

    def __repr__(self) -> str:
        return f"NetSuiteConnector(account_id={self.account_id!r})"

    # -- helpers --------------------------------------------------------------------------------------------
    def fan_out(self, work: Callable[[T], WriteResult], items: Sequence[T]) -> list[WriteResult]:
        """Run ``work`` for every item, as many at once as the account's concurrency allows."""
        if len(items) <= 1 or self.concurrency == 1:
            return [work(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items)),
                                thread_name_prefix="netsuite") as pool:
            return list(pool.map(work, items))

    def currencies(self) -> dict[str, str]:
        """Currency symbol -> internal id (read once per connection)."""
        if "currencies" not in self.discovered:
            rows = self.client.suiteql(wire.CURRENCIES)
            self.discovered["currencies"] = {r["symbol"]: str(r["id"]) for r in rows if r.get("symbol")}
            self.discovered["home_currency"] = next((r["symbol"] for r in rows if truthy(r.get("isbasecurrency"))),
                                                    None)
        return self.discovered["currencies"]

    def currency_id(self, symbol: str) -> str:
        found = self.currencies().get(symbol.upper())
        if found is None:
            raise errors.resolution_error(errors.VALIDATION_CURRENCY, raw={"currency": symbol}, currency=symbol)
        return found

    def vendors(self, ids: Sequence[str]) -> dict[str, dict]:
        wanted = sorted({i for i in ids if i and i.isdigit()}, key=int)
        found: dict[str, dict] = {}
        for start in range(0, len(wanted), 900):
            for row in self.client.suiteql(wire.vendors_by_id_query(wanted[start:start + 900])):
                found[str(row["id"])] = row
        return found

    # -- reference data -------------------------------------------------------------------------------------
    def fetch_reference_data(self, kind: ReferenceKind) -> list[ReferenceItem]:
        query = wire.REFERENCE_QUERIES.get(kind)
        if query is None:
            raise ValueError(f"unknown reference kind {kind!r}")
        return [reference_from_row(kind, row) for row in self.client.suiteql(query)]

    def company_info(self) -> CompanyInfo:
        symbols = self.currencies()
        accounts = self.fetch_reference_data("accounts")
        banks = [a for a in accounts if a.active and a.extra.get("type") == "Bank"]
        return CompanyInfo(home_currency=self.discovered.get("home_currency") or "USD", currencies=sorted(symbols),
                           bank_accounts=banks, name=f"NetSuite account {self.account_id}")

    # -- bills: create, find, read -------------------------------------------------------------------------
    def push_bills(self, items: Sequence[tuple[str, BillPayload]]) -> list[WriteResult]:
        unique: dict[str, BillPayload] = {}
        for key, payload in items:
            unique.setdefault(key, payload)
        try:
            vendors = self.vendors([p.vendor_external_id for p in unique.values()])
            self.currencies()
        except ConnectorError as error:
            return [WriteResult(key=key, error=error) for key, _ in items]

        def create(entry: tuple[str, BillPayload]) -> WriteResult:
            key, payload = entry
            try:
                body = bill_to_wire(payload, subsidiary=self._subsidiary(payload, vendors),
                                    currency_id=self.currency_id(payload.currency),
                                    external_id=wire.external_id(key))
                answer = self.client.upsert("vendorBill", wire.external_id(key), body, replace="expense")
                return WriteResult(key=key, ref=RemoteRef(self._location_id(answer), payload_version(payload)))
            except ConnectorError as error:
                return WriteResult(key=key, error=error)

        done = {r.key: r for r in self.fan_out(create, list(unique.items()))}
        return [done[key] for key, _ in items]

    def _subsidiary(self, payload: BillPayload, vendors: Mapping[str, dict]) -> str | None:
        """The bill's subsidiary: the one billpay coded, else the vendor's (NetSuite requires them to match)."""
        coded = payload.dimensions.get("subsidiary")
        vendor = vendors.get(payload.vendor_external_id) or {}
        return coded or vendor.get("subsidiary")

    def _location_id(self, answer) -> str:  # noqa: ANN001
        rid = answer.record_id
        if not rid:
            raise errors.resolution_error(errors.UNEXPECTED_LOCATION, raw={"status": answer.status})
        return rid

    def find_bill(self, idempotency_key: str, payload: BillPayload) -> RemoteRef | None:
        """The bill with billpay's external id for this key (one ``GET …/eid:``), or None."""
        raw = self.read_raw("vendorBill", f"eid:{wire.external_id(idempotency_key)}")
        if raw is None:
            return None
        return RemoteRef(str(raw["id"]), bill_from_record(raw).version)

    def read_raw(self, rtype: str, key: str, *, expand: bool = True) -> dict | None:
        try:
            return self.client.get(rtype, key, {"expandSubResources": "true"} if expand else None).body
        except ConnectorError as error:
            if error.kind == "not_found":
                return None
            raise

    def read_bill(self, ref: RemoteRef) -> RemoteBill | None:
        raw = self.read_raw("vendorBill", ref.external_id)
        return None if raw is None else bill_from_record(raw)

    # -- bills: re-sync and void ------------------------------------------------------------------------------
    def update_bill(self, ref: RemoteRef, payload: BillPayload, idempotency_key: str) -> RemoteRef:
        """``PATCH ?replace=expense`` with the full state. NetSuite has no version check of its own, so the bill is
        read first: one changed in NetSuite since billpay wrote ``ref.version`` (a fingerprint of its content) is
        raised as ``platform_stale_version`` for the engine to merge, never overwritten."""
        if ref.version is not None:
            current = self.read_raw("vendorBill", ref.external_id)
            if current is None:
                raise errors.resolution_error(NOT_FOUND, raw={"bill": ref.external_id})
            now = bill_from_record(current).version
            if now != ref.version:
                raise errors.resolution_error(errors.CHANGED_SINCE, raw={"written": ref.version, "now": now})
        vendors = self.vendors([payload.vendor_external_id])
        body = bill_to_wire(payload, subsidiary=self._subsidiary(payload, vendors),
                            currency_id=self.currency_id(payload.currency))
        self.client.patch("vendorBill", ref.external_id, body, replace="expense")
        return RemoteRef(ref.external_id, payload_version(payload))

    def void_bill(self, ref: RemoteRef, idempotency_key: str) -> None:
        """Delete the vendor bill while nothing is paid on it; already gone is success."""
        current = self.read_raw("vendorBill", ref.external_id, expand=False)
        if current is None:
            return
        if money(current.get("amountRemaining")) < money(current.get("total")):
            raise errors.resolution_error(errors.BILL_HAS_PAYMENTS, raw={
                "total": str(current.get("total")), "amountRemaining": str(current.get("amountRemaining"))})
        try:
            self.client.delete("vendorBill", ref.external_id)
        except ConnectorError as error:
            if error.kind != "not_found":
                raise

    # -- bills: pull --------------------------------------------------------------------------------------------
    def pull_bills(self, bookmark: str | None, start_date: dt.date) -> PullResult:
        since = wire.parse_timestamp(bookmark) if bookmark else None
        if bookmark and since is None:
            log.warning("NetSuite bookmark %r is not a timestamp; doing a full scan", bookmark)
        rows: list[dict] = []
        signpost: dt.datetime | None = None
        for page in self.client.suiteql_pages(wire.bills_query(start_date, since)):
            signpost = signpost or page.server_time
            rows.extend(page.body.get("items", []))
        bills, deleted = bills_from_rows(rows)
        signpost = signpost or self._now()
        next_mark = signpost - BOOKMARK_OVERLAP
        if since is not None:
            next_mark = max(next_mark, since)
        return PullResult(bills=bills, deleted_ids=deleted, bookmark=wire.format_timestamp(next_mark),
                          full=since is None)

    # -- bill payments ------------------------------------------------------------------------------------------
    def push_bill_payments(self, items: Sequence[tuple[str, BillPaymentPayload]]) -> list[WriteResult]:
        return self.payments.push(items)

    def find_bill_payment(self, idempotency_key: str, payload: BillPaymentPayload) -> RemoteRef | None:
        raw = self.read_raw("vendorPayment", f"eid:{wire.external_id(idempotency_key)}", expand=False)
        return None if raw is None else RemoteRef(str(raw["id"]))

    def void_bill_payment(self, ref: RemoteRef, idempotency_key: str) -> None:
        """Reverse a vendor payment after a bank return: delete it (REST has no void), which unapplies it from its
        bills, so they are open again; already gone is success."""
        try:
            self.client.delete("vendorPayment", ref.external_id)
        except ConnectorError as error:
            if error.kind != "not_found":
                raise

    def close(self) -> None:
        """Nothing pooled of its own: the HTTP client belongs to the caller."""
