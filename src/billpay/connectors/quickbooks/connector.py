"""``QuickBooksConnector``: billpay's ``AccountingConnector`` for QuickBooks Online.

Reading
    Reference data is paged ``SELECT`` queries including inactive records
    (``Active IN (true, false)``). ``locations`` returns ``[]``: QuickBooks
    has one location-like dimension, the Department (labelled "Location" in
    its UI when the company chooses so); billpay exposes it as
    ``departments`` and maps both a bill's department and location onto it.

    ``pull_bills(None, start)`` scans every Bill with ``TxnDate >= start``;
    ``pull_bills(bookmark, start)`` asks ChangeDataCapture for Bills changed
    since the bookmark (deletions as ``deleted_ids``) and falls back to a full
    scan when the bookmark is older than CDC's 30-day window or CDC's
    1000-object answer is full. The next bookmark is the server's ``time`` of
    the first response of the pull minus ``BOOKMARK_OVERLAP``, so changes made
    while the pull runs are seen next time (a few are seen twice). A full scan
    cannot list deletions (QuickBooks hard-deletes): a bill billpay knows but
    a full scan no longer returns was deleted.

Writing
    Bills and bill payments are created through ``/batch`` (30 per request).
    Every write carries a ``requestid`` derived from the idempotency key
    (see ``billpay.connectors.base.idempotency`` for the key and its
    generation), so a re-send after a timeout is replayed by QuickBooks, not
    executed twice. A batch's ``requestid`` covers that exact batch: after a
    crash or with a different set of items, call ``find_bill`` /
    ``find_bill_payment`` before pushing again (the port's contract). The
    billpay id is kept in ``PrivateNote`` (``billpay:<id>``) for those finds.
    A create refused as a duplicate invoice number is answered with the
    existing bill when that bill carries the same billpay id.

    ``update_bill`` is a sparse update with the SyncToken billpay last wrote;
    a stale token (5010: changed in QuickBooks since) is raised for the
    engine to re-read and merge, never overwritten. ``void_bill`` deletes (bills
    have no void in QuickBooks); a bill already gone counts as success, a bill
    with payments linked is refused with ``platform_bill_has_payments``.
"""
from __future__ import annotations

import base64
import datetime as dt
import logging
import time
from decimal import Decimal
from typing import Callable, Iterable, Mapping, Sequence

import httpx

from billpay.connectors.base.auth import OAuth2RefreshTokenAuth, OAuthTokens, TokenStore, utc_now
from billpay.connectors.base.errors import NOT_FOUND
from billpay.connectors.base.idempotency import record_of, request_id
from billpay.connectors.base.limits import LocalLimiter, PlatformLimiter
from billpay.connectors.base.pagination import PaginationStats
from billpay.connectors.base.retry import RetryPolicy
from billpay.connectors.quickbooks import extras, faults, wire
from billpay.connectors.quickbooks.client import QuickBooksClient
from billpay.connectors.quickbooks.faults import PLATFORM
from billpay.connectors.quickbooks.payments import BillPaymentWriter
from billpay.connectors.quickbooks.plugin import PLUGIN
from billpay.connectors.quickbooks.transform import (
    CompanyCurrency,
    bill_from_wire,
    bill_to_wire,
    bill_update_to_wire,
    billpay_id_of,
    company_currency_from_preferences,
    is_deleted,
    is_foreign,
    paid_by_payment,
    parse_date,
    ref_value,
    reference_from_wire,
    to_decimal,
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
    VendorCreditPayload,
    VendorPayload,
    WriteResult,
)

log = logging.getLogger(__name__)

BOOKMARK_OVERLAP = dt.timedelta(minutes=2)
#: Intuit's token revocation endpoint (its OpenID discovery document's ``revocation_endpoint``).
REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
#: Bookmarks older than this go to a full scan (CDC looks back 30 days; keep a day's margin).
CDC_SAFE_WINDOW = wire.CDC_WINDOW - dt.timedelta(days=1)
DEFAULT_HOME_CURRENCY = "USD"


def default_limiter() -> LocalLimiter:
    """Limits within this process only, from the plugin's capabilities (the sync engine hands a shared one)."""
    caps = PLUGIN.capabilities
    return LocalLimiter(caps.concurrency, caps.limits)


class QuickBooksConnector:
    """QuickBooks Online Accounting API v3 behind ``billpay.sync.ports.AccountingConnector``.

    ``http`` is the transport seam (tests pass a client on the sandbox's
    in-process transport). ``tokens`` persists rotated OAuth tokens.
    ``discovered`` is a dict shared between connectors of one connection where
    facts read once from the company are kept. ``max_retries`` bounds retries of transient failures (429, 5xx,
    timeouts) per call; ``sleep`` is the backoff's wait (inject a fake in
    tests). ``bank_accounts`` maps a currency to the QuickBooks Bank account
    bill payments in it are drawn on (a payment may name its own); with none
    chosen a payment is refused, never drawn on the first account found.
    ``revoke_url`` is Intuit's token revocation endpoint (``revoke()``).
    ``limiter`` holds the realm's limits (concurrent requests, requests and
    batches per minute); default: this process only.
    """

    platform = "quickbooks"

    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str,
        token_url: str,
        realm_id: str,
        client_id: str,
        client_secret: str,
        tokens: TokenStore,
        minorversion: int = 75,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 4,
        bank_accounts: Mapping[str, str] | None = None,
        revoke_url: str = REVOKE_URL,
        now: Callable[[], dt.datetime] = utc_now,
        on_token_rotate: Callable[[OAuthTokens], None] | None = None,
        retry: RetryPolicy | None = None,
        discovered: dict | None = None,
        limiter: PlatformLimiter | None = None,
    ) -> None:
        self.realm_id = realm_id
        self._now = now
        self.auth = OAuth2RefreshTokenAuth(
            token_url=token_url, client_id=client_id, client_secret=client_secret,
            store=tokens, platform=PLATFORM, now=now, on_rotate=on_token_rotate,
        )
        self.retry = retry or RetryPolicy(
            max_attempts=max_retries + 1, base_delay=2.0, max_delay=60.0, sleep=sleep
        )
        self.client = QuickBooksClient(
            http, base_url=base_url, realm_id=realm_id, auth=self.auth,
            retry=self.retry, minorversion=minorversion, limiter=limiter or default_limiter(),
        )
        # Facts read from the company once (home currency, bank account), shared by the connectors
        # built for the same connection so each batch does not read them again.
        self.discovered = discovered if discovered is not None else {}
        self._company: CompanyCurrency | None = self.discovered.get("company")
        self._payments = BillPaymentWriter(self, bank_accounts=dict(bank_accounts or {}))
        self._http, self._revoke_url = http, revoke_url
        self._client_id, self._client_secret, self._tokens = client_id, client_secret, tokens

    def __repr__(self) -> str:
        return f"QuickBooksConnector(realm_id={self.realm_id!r})"

    # -- company settings -----------------------------------------------------------
    def company_currency(self) -> CompanyCurrency:
        """Home currency and multicurrency flag, read once from ``GET /preferences``."""
        if self._company is None:
            body = self.client.get("preferences")
            company = company_currency_from_preferences(body)
            if company is None:
                log.warning("QuickBooks preferences carry no home currency; assuming %s",
                            DEFAULT_HOME_CURRENCY)
                company = CompanyCurrency(home=DEFAULT_HOME_CURRENCY)
            self._company = self.discovered["company"] = company
        return self._company

    def rate_for(self, currency: str, stated: Decimal | None, as_of: dt.date) -> Decimal | None:
        """The exchange rate a foreign-currency transaction is recorded at: the one it states, else QuickBooks' own
        for ``as_of`` (``GET /exchangerate``, read once per currency and day). None for the home currency."""
        if not is_foreign(currency, self.company_currency()):
            return None
        if stated is not None:
            return stated
        key = f"exchange_rate:{currency.upper()}:{as_of.isoformat()}"
        if key not in self.discovered:
            body = self.client.get("exchangerate", {"sourcecurrencycode": currency.upper(),
                                                    "asofdate": as_of.isoformat()})
            rate = to_decimal((body.get("ExchangeRate") or {}).get("Rate"))
            if rate <= 0:
                raise ConnectorError("platform_exchange_rate_missing", f"QuickBooks Online has no exchange rate for "
                                     f"{currency.upper()} on {as_of.isoformat()}; enter one in its currency center "
                                     "or state it on the bill, then sync again.", kind="rejected", raw=body)
            self.discovered[key] = rate
        return self.discovered[key]

    # -- optional abilities (ports.ConnectorExtras), in extras.py ---------------------------
    def company_info(self) -> CompanyInfo:
        return extras.company_info(self)

    def push_vendor_credits(self, items: Sequence[tuple[str, VendorCreditPayload]]) -> list[WriteResult]:
        return extras.push_vendor_credits(self, items)

    def find_vendor_credit(self, idempotency_key: str, payload: VendorCreditPayload) -> RemoteRef | None:
        return extras.find_vendor_credit(self, idempotency_key, payload)

    def create_vendor(self, payload: VendorPayload, idempotency_key: str) -> ReferenceItem:
        return extras.create_vendor(self, payload, idempotency_key)

    def _remote(self, obj: dict) -> RemoteBill:
        if self._company is None and ref_value(obj.get("CurrencyRef")):
            company = CompanyCurrency(home=ref_value(obj.get("CurrencyRef")) or "")
        else:
            company = self.company_currency()
        return bill_from_wire(obj, company)

    # -- reference data -------------------------------------------------------------
    def fetch_reference_data(self, kind: ReferenceKind) -> list[ReferenceItem]:
        """Active and inactive records of one kind (``locations``: always ``[]``, see module doc)."""
        if kind == "locations":
            return []
        entity = wire.ENTITY_FOR_KIND.get(kind)
        if entity is None:
            raise ValueError(f"unknown reference kind {kind!r}")
        rows = self.client.query_all(entity, "Active IN (true, false)")
        return [reference_from_wire(kind, row) for row in rows]

    # -- bills: create ------------------------------------------------------------------
    def push_bills(self, items: Sequence[tuple[str, BillPayload]]) -> list[WriteResult]:
        try:
            company = self.company_currency()
        except ConnectorError as error:
            return [WriteResult(key=key, error=error) for key, _ in items]

        def build(payload: BillPayload) -> dict:
            return bill_to_wire(payload, company, self.rate_for(payload.currency, payload.exchange_rate,
                                                                 payload.invoice_date))

        results = self.write_in_batches("Bill", items, build)
        payloads = dict(items)
        for index, result in enumerate(results):
            if result.error is not None and result.error.code == faults.DUPLICATE_NUMBER.code:
                results[index] = self._recover_duplicate(result, payloads[result.key])
        return results

    def _recover_duplicate(self, result: WriteResult, payload: BillPayload) -> WriteResult:
        """A duplicate invoice number may be billpay's own earlier create whose answer was lost."""
        try:
            ref = self.find_bill(payload.bill_id, payload)
        except ConnectorError:
            return result
        return WriteResult(key=result.key, ref=ref) if ref is not None else result

    def write_in_batches(
        self,
        entity: str,
        items: Sequence[tuple[str, object]],
        build: Callable[[object], dict],
    ) -> list[WriteResult]:
        """Create ``entity`` records through ``/batch``; one ``WriteResult`` per item, in order.

        Items whose payload cannot be built get that error and are not sent.
        A key given twice is written once and both positions get its result.
        When a whole batch fails (after retries), the remaining batches are not
        sent: they carry the same error code with ``outcome_unknown=False``.
        """
        results: dict[str, WriteResult] = {}
        ready: list[tuple[str, dict]] = []
        seen: set[str] = set()
        for key, payload in items:
            if key in seen:
                continue  # same key, same record: every occurrence gets the one result
            seen.add(key)
            try:
                ready.append((key, build(payload)))
            except ConnectorError as error:
                results[key] = WriteResult(key=key, error=error)
        halted: ConnectorError | None = None
        for start in range(0, len(ready), wire.BATCH_SIZE):
            chunk = ready[start:start + wire.BATCH_SIZE]
            if halted is not None:
                results.update({key: WriteResult(key=key, error=halted) for key, _ in chunk})
                continue
            chunk_results, failure = self._create_batch(entity, chunk)
            results.update(chunk_results)
            if failure is not None:
                halted = _not_sent(failure)
        return [results[key] for key, _ in items]

    def _create_batch(
        self, entity: str, chunk: list[tuple[str, dict]]
    ) -> tuple[dict[str, WriteResult], ConnectorError | None]:
        keys = [key for key, _ in chunk]
        requests: list[wire.BatchItemRequest] = [
            {"bId": str(index), "operation": "create", entity: body}  # type: ignore[misc]
            for index, (_, body) in enumerate(chunk)
        ]
        try:
            body = self.client.batch(requests, requestid=request_id("batch", entity, *keys))
        except ConnectorError as error:
            return {key: WriteResult(key=key, error=error) for key in keys}, error
        answers = {str(item.get("bId")): item for item in wire.batch_items(body)}
        results: dict[str, WriteResult] = {}
        for index, key in enumerate(keys):
            results[key] = self._batch_item_result(key, entity, answers.get(str(index)))
        return results, None

    def _batch_item_result(self, key: str, entity: str, item: dict | None) -> WriteResult:
        if item is None:
            error = ConnectorError(
                "platform_unexpected_response",
                "QuickBooks Online did not say whether this record was saved. billpay will check "
                "before trying again.",
                kind="transient", outcome_unknown=True,
            )
            return WriteResult(key=key, error=error)
        fault = wire.fault_of(item)
        if fault is not None:
            return WriteResult(key=key, error=faults.fault_error(
                fault, status=400, operation="write", secrets=self.auth.secrets()))
        record = item.get(entity)
        if not isinstance(record, dict) or not record.get("Id"):
            return WriteResult(key=key, error=ConnectorError(
                "platform_unexpected_response",
                "QuickBooks Online answered without the saved record. billpay will check before "
                "trying again.", kind="transient", outcome_unknown=True, raw={"bId": item.get("bId")},
            ))
        return WriteResult(key=key, ref=RemoteRef(str(record["Id"]), _token(record)))

    # -- bills: update and void ---------------------------------------------------------
    def update_bill(self, ref: RemoteRef, payload: BillPayload, idempotency_key: str) -> RemoteRef:
        """Sparse update with the SyncToken billpay last wrote (``ref.version``; read when unknown). A bill changed in
        QuickBooks since then is refused by QuickBooks (5010) and raised as ``platform_stale_version``: the engine
        re-reads it and merges billpay's coding into it instead of overwriting a person's edits."""
        company = self.company_currency()
        sync_token = ref.version
        if sync_token is None:
            sync_token = _token(self._read_existing(ref.external_id))
        body = bill_update_to_wire(payload, company, external_id=ref.external_id, sync_token=str(sync_token))
        answer = self.client.post("bill", body, requestid=request_id(idempotency_key, "update", str(sync_token)))
        record = answer.get("Bill") or {}
        return RemoteRef(str(record.get("Id") or ref.external_id), _token(record))

    def void_bill(self, ref: RemoteRef, idempotency_key: str) -> None:
        """Delete the bill (QuickBooks bills have no void); already gone is success."""
        current = self.read_raw_bill(ref.external_id)
        for attempt in (1, 2):
            if current is None:
                return
            if paid_by_payment(current):
                raise faults.resolution_error(faults.BILL_HAS_PAYMENTS,
                                              raw={"LinkedTxn": current.get("LinkedTxn")})
            sync_token = _token(current) or "0"
            try:
                self.client.post(
                    "bill", {"Id": ref.external_id, "SyncToken": sync_token},
                    params={"operation": "delete"},
                    requestid=request_id(idempotency_key, "delete", sync_token),
                    operation="delete",
                )
                return
            except ConnectorError as error:
                if error.kind == "not_found":
                    return
                if error.code != faults.STALE_VERSION.code or attempt == 2:
                    raise
                current = self.read_raw_bill(ref.external_id)

    # -- bills: read and find -----------------------------------------------------------
    def read_bill(self, ref: RemoteRef) -> RemoteBill | None:
        raw = self.read_raw_bill(ref.external_id)
        return None if raw is None else self._remote(raw)

    def read_raw_bill(self, external_id: str) -> dict | None:
        """The bill as QuickBooks returns it; None when it was deleted (404 / fault 610)."""
        return self.read_raw("Bill", external_id)

    def read_raw(self, entity: str, external_id: str) -> dict | None:
        """A transaction (``Bill``, ``BillPayment``) as QuickBooks returns it; None when it was deleted."""
        try:
            body = self.client.get(f"{entity.lower()}/{external_id}")
        except ConnectorError as error:
            if error.kind == "not_found":
                return None
            raise
        record = body.get(entity)
        if not isinstance(record, dict) or is_deleted(record):
            return None
        return record

    def _read_existing(self, external_id: str) -> dict:
        record = self.read_raw_bill(external_id)
        if record is None:
            raise NOT_FOUND.error(platform=PLATFORM, raw={"Id": external_id})
        return record

    def find_bill(self, idempotency_key: str, payload: BillPayload) -> RemoteRef | None:
        """The bill created with this key: the vendor's bill with the invoice number that was sent (one query by
        the bill's own key) carrying billpay's mark ``billpay:<bill id>`` in its note (QuickBooks cannot filter on
        ``PrivateNote``; the mark is matched here). Fails safe: a bill of that number with no billpay mark at all
        (its memo was edited) may be billpay's, so ``platform_bill_unconfirmed`` is raised rather than "not
        there"; a bill sent without a number cannot be looked up narrowly, and says so. Never a search of the
        vendor's bills by date."""
        bill_id = record_of(idempotency_key)
        if not payload.invoice_number:
            raise faults.resolution_error(faults.BILL_UNCONFIRMED, detail=(
                "the bill has no invoice number, so it cannot be looked up by its own key"))
        where = (f"VendorRef = {wire.quote(payload.vendor_external_id)} AND "
                 f"DocNumber = {wire.quote(payload.invoice_number)}")
        unmarked = []
        for row in self.client.query_pages("Bill", where):
            mark = billpay_id_of(row)
            if mark == bill_id:
                return RemoteRef(str(row["Id"]), _token(row))
            if mark is None:
                unmarked.append(str(row.get("Id")))
        if unmarked:
            raise faults.resolution_error(faults.BILL_UNCONFIRMED, raw={"bills": unmarked}, detail=(
                f"the vendor's bill {payload.invoice_number} there (id {', '.join(unmarked)}) no longer carries "
                "billpay's mark in its memo"))
        return None

    # -- bills: pull ----------------------------------------------------------------------
    def pull_bills(self, bookmark: str | None, start_date: dt.date) -> PullResult:
        since = wire.parse_datetime(bookmark) if bookmark else None
        if bookmark and since is None:
            log.warning("QuickBooks bookmark %r is not a timestamp; doing a full scan", bookmark)
        if since is not None and since > self._now() - CDC_SAFE_WINDOW:
            return self._pull_changes(since, start_date)
        return self._pull_full(start_date)

    def _pull_full(self, start_date: dt.date, *, deleted_ids: Iterable[str] = (),
                   signpost: dt.datetime | None = None) -> PullResult:
        stats = PaginationStats()
        rows = list(self.client.query_pages(
            "Bill", f"TxnDate >= {wire.quote(start_date.isoformat())}", stats=stats))
        signpost = signpost or wire.server_time(stats.first_body) or self._now()
        return PullResult(
            bills=[self._remote(row) for row in rows],
            deleted_ids=list(deleted_ids),
            bookmark=wire.format_datetime(signpost - BOOKMARK_OVERLAP),
            full=True,
        )

    def _pull_changes(self, since: dt.datetime, start_date: dt.date) -> PullResult:
        try:
            body = self.client.get(
                "cdc", {"entities": "Bill", "changedSince": wire.format_datetime(since)}
            )
        except ConnectorError as error:
            if error.code != faults.REQUEST_INVALID.code:
                raise
            # QuickBooks refuses a changedSince outside its window (clocks disagree
            # about "30 days ago"): a full scan is always a correct answer.
            log.warning("QuickBooks refused CDC since %s (%s); doing a full scan", since, error.code)
            return self._pull_full(start_date)
        rows = wire.cdc_entities(body, "Bill")
        signpost = wire.server_time(body) or self._now()
        changed: dict[str, dict] = {}
        deleted: dict[str, None] = {}
        for row in rows:
            external_id = str(row.get("Id"))
            if is_deleted(row):
                deleted[external_id] = None
                changed.pop(external_id, None)
            else:
                changed[external_id] = row
                deleted.pop(external_id, None)
        if len(rows) >= wire.CDC_MAX_OBJECTS:
            log.info("QuickBooks CDC answer is full (%d objects); doing a full scan", len(rows))
            return self._pull_full(start_date, deleted_ids=deleted, signpost=signpost)
        bills = [
            self._remote(row) for row in changed.values()
            if (parse_date(row.get("TxnDate")) or start_date) >= start_date
        ]
        next_bookmark = max(since, signpost - BOOKMARK_OVERLAP)
        return PullResult(bills=bills, deleted_ids=list(deleted),
                          bookmark=wire.format_datetime(next_bookmark), full=False)

    # -- bill payments --------------------------------------------------------------------
    def push_bill_payments(self, items: Sequence[tuple[str, BillPaymentPayload]]) -> list[WriteResult]:
        return self._payments.push(items)

    def find_bill_payment(self, idempotency_key: str, payload: BillPaymentPayload) -> RemoteRef | None:
        return self._payments.find(record_of(idempotency_key), payload)

    def revoke(self) -> None:
        """Disconnect: revoke billpay's grant at Intuit (RFC 7009; the refresh token revokes the whole grant).
        A token already revoked or expired is success."""
        tokens = self._tokens.load()
        if tokens is None or not tokens.refresh_token:
            return
        basic = base64.b64encode(f"{self._client_id}:{self._client_secret}".encode()).decode()
        try:
            answer = self._http.post(self._revoke_url, json={"token": tokens.refresh_token},
                                     headers={"Authorization": f"Basic {basic}", "Accept": "application/json"})
        except httpx.HTTPError as error:
            raise ConnectorError("platform_unavailable", "QuickBooks Online could not be reached to revoke "
                                 "billpay's access; billpay tries again.", kind="transient",
                                 raw={"error": type(error).__name__}) from None
        if answer.status_code == 200 or (answer.status_code == 400 and _revoked_already(answer)):
            return
        raise ConnectorError("platform_revoke_failed", "QuickBooks Online did not revoke billpay's access "
                             f"(HTTP {answer.status_code}); billpay tries again.",
                             kind="transient" if answer.status_code >= 500 or answer.status_code == 429
                             else "rejected", raw={"status": answer.status_code})

    def void_bill_payment(self, ref: RemoteRef, idempotency_key: str) -> None:
        """Void the BillPayment after a bank return: QuickBooks keeps it at zero and reopens its bills."""
        self._payments.void(ref, idempotency_key)


def _not_sent(error: ConnectorError) -> ConnectorError:
    """The error for items skipped after ``error``: same cause, but certainly not written."""
    return ConnectorError(
        error.code, error.message, kind=error.kind, retry_after=error.retry_after,
        raw={"not_sent": True, "after": error.raw}, outcome_unknown=False,
    )


def _revoked_already(answer: httpx.Response) -> bool:
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("error") in ("invalid_token", "invalid_grant")


def _token(record: dict) -> str | None:
    value = record.get("SyncToken")
    return None if value is None else str(value)
