"""``BusinessCentralConnector``: billpay's ``AccountingConnector`` for Business Central API v2.0.

Signing in
    Entra ID client credentials (``auth.ClientCredentialsAuth``): the access token is kept in the
    connection's token store, so every worker reuses it, and fetched again five minutes before it
    expires or after a 401.

Reading
    Reference data: ``vendors`` (blocked ones inactive), ``accounts`` (only posting accounts with
    direct posting that are not blocked are active), ``terms`` (payment terms), and one kind per
    dimension the plugin declares (``departments``, ``projects``, ``areas``: the values of the
    company's DEPARTMENT, PROJECT and AREA dimensions). Facts read once per connection are kept in
    ``discovered`` (local currency, dimension ids, payment journals).

    ``pull_bills`` reads purchase invoices with ``invoiceDate >= start`` that are not drafts, with
    their lines and dimension set lines, ``lastModifiedDateTime gt <bookmark>`` when there is a
    bookmark, following ``@odata.nextLink``. Open and paid invoices come back as bills; cancelled
    ones (a corrective credit memo) as ``deleted_ids``. The next bookmark is the time the pull
    started — the earlier of billpay's clock and BC's (the HTTP ``Date`` of the first answer) —
    minus ``BOOKMARK_OVERLAP``, so an invoice changed while the pull ran, or stamped by a clock that
    runs behind, is seen next time. A quiet incremental pull is one request.

Writing
    See ``bills.py`` (purchase invoices: lookup before create, ``$batch``, post, re-sync, void) and
    ``payments.py`` (vendor payments in the chosen journal, posted).
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any, Callable, Mapping, Sequence

import httpx

from billpay.connectors.base.auth import TokenStore, utc_now
from billpay.connectors.base.errors import check_unchanged
from billpay.connectors.base.limits import LocalLimiter, PlatformLimiter
from billpay.connectors.base.retry import RetryPolicy
from billpay.connectors.business_central import transform, wire
from billpay.connectors.business_central.auth import ClientCredentialsAuth
from billpay.connectors.business_central.bills import BillWriter
from billpay.connectors.business_central.client import BusinessCentralClient
from billpay.connectors.business_central.payments import PaymentWriter
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
CONCURRENCY = 5
#: BC allows 6,000 requests per 5 minutes; a bucket of 1,000 per minute (burst 1,000) stays inside it.
REQUESTS_PER_MINUTE = 1000


class BusinessCentralConnector:
    """Business Central API v2.0 behind ``billpay.sync.ports.AccountingConnector``.

    ``http`` is the transport seam; ``tokens`` keeps the access token; ``discovered`` is the
    per-connection dict for facts read once; ``options`` the organization's choices (payment
    journals). ``sleep``/``max_retries``/``retry`` shape retries, ``limiter`` the platform limits
    (default: 5 in flight, ``REQUESTS_PER_MINUTE``), ``now`` the clock for tokens and bookmarks.
    """

    platform = "business_central"

    def __init__(self, http: httpx.Client, *, base_url: str, tenant_id: str, environment: str, company_id: str,
                 client_id: str, client_secret: str, token_url: str, tokens: TokenStore,
                 options: Mapping[str, Any] | None = None, discovered: dict | None = None,
                 dimension_codes: Sequence[str] = ("department", "project", "area"),
                 dimension_kinds: Mapping[str, str] | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_retries: int = 4, retry: RetryPolicy | None = None,
                 limiter: PlatformLimiter | None = None, now: Callable[[], dt.datetime] = utc_now,
                 page_size: int = wire.PAGE_SIZE) -> None:
        self.company_id = company_id
        self.options = dict(options or {})
        self.discovered = discovered if discovered is not None else {}
        self.dimension_codes = tuple(dimension_codes)
        self.dimension_kinds = dict(dimension_kinds or {})
        self.retry = retry or RetryPolicy(max_attempts=max_retries + 1, sleep=sleep)
        self.limiter = limiter or LocalLimiter(CONCURRENCY, {"requests_per_minute": REQUESTS_PER_MINUTE})
        self._now = now
        self.auth = ClientCredentialsAuth(token_url=token_url, client_id=client_id, client_secret=client_secret,
                                          store=tokens, now=now)
        self.client = BusinessCentralClient(http, api_root=wire.api_root(base_url, tenant_id, environment),
                                            company_id=company_id, auth=self.auth, retry=self.retry,
                                            limiter=self.limiter, page_size=page_size)
        self._bills = BillWriter(self)
        self._payments = PaymentWriter(self)

    def __repr__(self) -> str:
        return f"BusinessCentralConnector(company_id={self.company_id!r})"

    # -- company facts -------------------------------------------------------------------------------
    def facts(self) -> transform.CompanyFacts:
        facts = self.discovered.get("facts")
        if facts is None:
            info = self.client.get("companyInformation", {"$select": "id,currencyCode"}).get("value") or [{}]
            dims = list(self.client.pages("dimensions", {"$select": "id,code"}))
            facts = transform.CompanyFacts(local_currency=str(info[0].get("currencyCode") or "USD"),
                                           dimension_ids={str(d["code"]).upper(): str(d["id"]) for d in dims})
            self.discovered["facts"] = facts
        return facts

    def company_info(self) -> CompanyInfo:
        info = (self.client.get("companyInformation").get("value") or [{}])[0]
        home = str(info.get("currencyCode") or "USD")
        currencies = [str(c["code"]) for c in self.client.pages("currencies", {"$select": "code"})]
        banks = [ReferenceItem(id=str(b["id"]), name=str(b.get("displayName") or b.get("number")),
                               active=not b.get("blocked"), kind="bank_accounts",
                               extra={"number": b.get("number"), "currency": b.get("currencyCode") or home})
                 for b in self.client.pages("bankAccounts")]
        return CompanyInfo(home_currency=home, currencies=[home, *[c for c in currencies if c != home]],
                           bank_accounts=banks, name=info.get("displayName"))

    # -- reference data ------------------------------------------------------------------------------
    def fetch_reference_data(self, kind: ReferenceKind) -> list[ReferenceItem]:
        if kind == "vendors":
            return [transform.vendor_item(r) for r in self.client.pages("vendors")]
        if kind == "accounts":
            return [transform.account_item(r) for r in self.client.pages("accounts")]
        if kind == "terms":
            return [transform.terms_item(r) for r in self.client.pages("paymentTerms")]
        code = next((c for c in self.dimension_codes if self.dimension_kinds.get(c, c + "s") == kind), None)
        if code is None:
            raise ValueError(f"unknown reference kind {kind!r}")
        dimension_id = self.facts().dimension_ids.get(code.upper())
        if dimension_id is None:
            log.warning("Business Central company %s has no dimension %s", self.company_id, code.upper())
            return []
        return [transform.dimension_value_item(r, kind, code.upper())
                for r in self.client.pages(f"dimensions({dimension_id})/dimensionValues")]

    # -- bills ---------------------------------------------------------------------------------------------
    def push_bills(self, items: Sequence[tuple[str, BillPayload]]) -> list[WriteResult]:
        return self._bills.push(items)

    def update_bill(self, ref: RemoteRef, payload: BillPayload, idempotency_key: str) -> RemoteRef:
        """A purchase invoice changed in Business Central since billpay wrote ``ref.version`` (its ETag) is
        refused for the engine to merge, never overwritten."""
        if ref.version is not None:
            check_unchanged(self.read_bill(ref), ref, "Business Central", "purchase invoice")
        return self._bills.update(ref, payload, idempotency_key)

    def void_bill(self, ref: RemoteRef, idempotency_key: str) -> None:
        self._bills.void(ref, idempotency_key)

    def find_bill(self, idempotency_key: str, payload: BillPayload) -> RemoteRef | None:
        return self._bills.find(idempotency_key, payload)

    def read_raw(self, external_id: str) -> dict | None:
        """The purchase invoice with lines and dimensions; None when it does not exist."""
        try:
            return self.client.get(f"purchaseInvoices({external_id})", {"$expand": wire.LINE_PATH_EXPAND})
        except ConnectorError as error:
            if error.kind == "not_found":
                return None
            raise

    def read_bill(self, ref: RemoteRef) -> RemoteBill | None:
        raw = self.read_raw(ref.external_id)
        if raw is None:
            return None
        bill = transform.bill_from_wire(raw)
        return None if bill.deleted else bill

    def pull_bills(self, bookmark: str | None, start_date: dt.date) -> PullResult:
        since = wire.parse_datetime(bookmark) if bookmark else None
        if bookmark and since is None:
            log.warning("Business Central bookmark %r is not a timestamp; doing a full scan", bookmark)
        signpost = self._now()
        where = f"invoiceDate ge {start_date.isoformat()} and status ne 'Draft'"
        if since is not None:
            where = f"lastModifiedDateTime gt {wire.format_datetime(since)} and {where}"
        bills, deleted = [], []
        self.client.first_page_time = None
        for row in self.client.pages("purchaseInvoices", {"$filter": where, "$expand": wire.LINE_PATH_EXPAND}):
            remote = transform.bill_from_wire(row)
            if remote.deleted:
                deleted.append(remote.external_id)
            else:
                bills.append(remote)
        if self.client.first_page_time is not None:  # BC's clock when it answered the first page
            signpost = min(signpost, self.client.first_page_time)
        next_bookmark = signpost - BOOKMARK_OVERLAP
        if since is not None:
            next_bookmark = max(since, next_bookmark)
        return PullResult(bills=bills, deleted_ids=deleted, bookmark=wire.format_datetime(next_bookmark),
                          full=since is None)

    # -- bill payments ---------------------------------------------------------------------------------
    def push_bill_payments(self, items: Sequence[tuple[str, BillPaymentPayload]]) -> list[WriteResult]:
        return self._payments.push(items)

    def find_bill_payment(self, idempotency_key: str, payload: BillPaymentPayload) -> RemoteRef | None:
        return self._payments.find(idempotency_key, payload)

    def close(self) -> None:
        """Nothing pooled of its own: the ``httpx.Client`` belongs to the caller."""
