"""HTTP for one QuickBooks Online company: URLs, minorversion, auth, JSON, faults, retries.

Every call goes to ``{base_url}/company/{realm_id}/{path}`` with
``minorversion`` and ``Accept: application/json``; bodies are written and
read without floats (``codec``). Failures become ``ConnectorError`` through
``faults.fault_error`` and are retried by the ``RetryPolicy``:

- reads and queries are always safe to retry;
- writes are retried only when they carry a ``requestid`` (QuickBooks then
  replays the first answer instead of executing twice). A write that timed
  out is reported with ``outcome_unknown=True`` once retries run out.
- connection failures before the request was sent (connect errors and
  timeouts, pool timeouts) are safe to retry for every call.

Every request holds one of the realm's concurrent slots and spends one
``requests_per_minute`` token of the ``limiter`` (a ``/batch`` also one
``batches_per_minute`` token), so all workers together stay inside
QuickBooks' limits per realm when the limiter is shared.
"""
from __future__ import annotations

import logging
from typing import Any, Iterator

import httpx

from billpay.connectors.base import codec
from billpay.connectors.base.auth import OAuth2RefreshTokenAuth
from billpay.connectors.base.errors import CONNECTION_FAILED, TIMEOUT, UNEXPECTED_RESPONSE
from billpay.connectors.base.limits import LocalLimiter, PlatformLimiter
from billpay.connectors.base.pagination import OffsetPaginator, Page, PaginationStats, paginate
from billpay.connectors.base.retry import RetryPolicy, parse_retry_after
from billpay.connectors.quickbooks import faults, wire
from billpay.connectors.quickbooks.faults import PLATFORM, Operation
from billpay.sync.ports import ConnectorError

log = logging.getLogger(__name__)

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def api_root(base_url: str) -> str:
    """``https://quickbooks.api.intuit.com`` or ``.../v3`` -> the ``/v3`` root."""
    root = base_url.rstrip("/")
    return root if root.endswith("/v3") else root + "/v3"


class QuickBooksClient:
    """Low-level calls; the connector decides what to call, this decides how."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str,
        realm_id: str,
        auth: OAuth2RefreshTokenAuth,
        retry: RetryPolicy,
        minorversion: int = 75,
        limiter: PlatformLimiter | None = None,
    ) -> None:
        self._http = http
        self._limiter = limiter or LocalLimiter()
        self._root = f"{api_root(base_url)}/company/{realm_id}"
        self._auth = auth
        self._retry = retry
        self._minorversion = str(minorversion)
        self.calls = 0  # API requests sent (token refreshes not included)

    # -- generic verbs ---------------------------------------------------------
    def get(self, path: str, params: dict[str, str] | None = None, *, operation: Operation = "read") -> dict:
        return self._call("GET", path, params=params, operation=operation, replay_safe=True)

    def post(
        self,
        path: str,
        body: Any,
        *,
        params: dict[str, str] | None = None,
        requestid: str | None = None,
        operation: Operation = "write",
    ) -> dict:
        """POST a JSON body; with ``requestid`` QuickBooks de-duplicates and retries are safe."""
        params = dict(params or {})
        if requestid is not None:
            params["requestid"] = requestid
        return self._call(
            "POST", path, params=params, body=body, operation=operation,
            replay_safe=requestid is not None,
        )

    # -- queries -----------------------------------------------------------------
    def query(self, statement: str) -> dict:
        return self.get("query", {"query": statement}, operation="query")

    def query_pages(
        self,
        entity: str,
        where: str = "",
        *,
        order_by: str = "Id",
        page_size: int = wire.PAGE_SIZE,
        stats: PaginationStats | None = None,
    ) -> Iterator[dict]:
        """Every row of ``SELECT * FROM entity [WHERE ...] ORDERBY Id``, page by page.

        Offsets are 1-based; the stable order keeps a row from being skipped or
        read twice between pages.
        """
        base = f"SELECT * FROM {entity}"
        if where:
            base += f" WHERE {where}"
        if order_by:
            base += f" ORDERBY {order_by}"

        def fetch(start: int) -> Page[dict]:
            body = self.query(f"{base} STARTPOSITION {start} MAXRESULTS {page_size}")
            return Page(items=wire.query_entities(body, entity), body=body)

        return paginate(fetch, OffsetPaginator(page_size), stats=stats)

    def query_all(self, entity: str, where: str = "", **kwargs: Any) -> list[dict]:
        return list(self.query_pages(entity, where, **kwargs))

    def batch(self, items: list[wire.BatchItemRequest], *, requestid: str) -> dict:
        """POST /batch (at most ``wire.BATCH_SIZE`` items); per-item faults stay in the body."""
        if len(items) > wire.BATCH_SIZE:
            raise ValueError(f"a QuickBooks batch holds at most {wire.BATCH_SIZE} items")
        return self.post("batch", {"BatchItemRequest": items}, requestid=requestid)

    # -- plumbing ----------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None,
        operation: Operation,
        replay_safe: bool,
        body: Any = None,
    ) -> dict:
        def once() -> dict:
            self._limiter.spend("requests_per_minute")
            if path == "batch":
                self._limiter.spend("batches_per_minute")
            with self._limiter.slot():
                return self._send(method, path, params=params, body=body, operation=operation)

        def on_retry(attempt: int, error: ConnectorError, wait: float) -> None:
            log.info(
                "QuickBooks %s %s failed (%s, attempt %d); retrying in %.1fs",
                method, path, error.code, attempt, wait,
            )

        return self._retry.run(once, replay_safe=replay_safe, on_retry=on_retry)

    def _send(
        self, method: str, path: str, *, params: dict[str, str] | None, body: Any, operation: Operation
    ) -> dict:
        query = {**(params or {}), "minorversion": self._minorversion}
        headers = {"Accept": "application/json"}
        content: bytes | None = None
        if body is not None:
            content = codec.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        writes = operation in ("write", "delete")
        self.calls += 1
        try:
            response = self._http.request(
                method, f"{self._root}/{path}", params=query, content=content,
                headers=headers, auth=self._auth,
            )
        except _NOT_SENT as exc:
            raise CONNECTION_FAILED.error(platform=PLATFORM, raw={"error": type(exc).__name__}) from None
        except httpx.TimeoutException as exc:
            raise TIMEOUT.error(
                platform=PLATFORM, raw={"error": type(exc).__name__}, outcome_unknown=writes
            ) from None
        except httpx.TransportError as exc:
            raise CONNECTION_FAILED.error(
                platform=PLATFORM, raw={"error": type(exc).__name__}, outcome_unknown=writes
            ) from None
        return self._parse(response, operation)

    def _parse(self, response: httpx.Response, operation: Operation) -> dict:
        try:
            body = codec.loads(response.content) if response.content else None
        except ValueError:
            body = None  # e.g. an XML throttling page; the HTTP status decides below
        fault = wire.fault_of(body)
        if 200 <= response.status_code < 300 and fault is None:
            if isinstance(body, dict):
                return body
            raise UNEXPECTED_RESPONSE.error(
                platform=PLATFORM, raw={"status": response.status_code, "body": "not JSON"},
                outcome_unknown=operation in ("write", "delete"),
            )
        raise faults.fault_error(
            fault,
            status=response.status_code,
            operation=operation,
            secrets=self._auth.secrets(),
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            intuit_tid=response.headers.get("intuit_tid"),
        )
