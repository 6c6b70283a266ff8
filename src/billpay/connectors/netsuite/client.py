"""HTTP for one NetSuite account: URLs, sign-in, JSON, the concurrency slot, ``nsError`` and retries.

Every request runs inside one slot of the account's ``PlatformLimiter`` (NetSuite
governs requests *in flight* per account, five on the Standard tier), so the
connector never causes a ``CONCURRENCY_LIMIT_EXCEEDED`` itself; one that comes
anyway (another integration on the account) is retried with backoff, and the
wait happens outside the slot.

Retries: reads, SuiteQL, ``PUT …/eid:`` upserts, PATCH with the full state and
DELETE are all safe to send again (the same external id, the same body, an
already deleted record), so every call is retried on transient failures,
including a timeout after NetSuite may have committed.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import logging
from dataclasses import dataclass
from typing import Any, Iterator

import httpx

from billpay.connectors.base import codec
from billpay.connectors.base.errors import CONNECTION_FAILED, TIMEOUT, UNEXPECTED_RESPONSE
from billpay.connectors.base.limits import PlatformLimiter
from billpay.connectors.base.retry import RetryPolicy, parse_retry_after
from billpay.connectors.netsuite.errors import PLATFORM, Operation, ns_error
from billpay.sync.ports import ConnectorError

log = logging.getLogger(__name__)

PAGE_SIZE = 1000
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass
class Answer:
    status: int
    body: Any
    headers: httpx.Headers

    @property
    def record_id(self) -> str | None:
        """The internal id at the end of the ``Location`` of a 204."""
        location = self.headers.get("location")
        return location.rstrip("/").rsplit("/", 1)[-1] if location else None

    @property
    def server_time(self) -> dt.datetime | None:
        try:
            return email.utils.parsedate_to_datetime(self.headers.get("date", ""))
        except (TypeError, ValueError):
            return None


class NetSuiteClient:
    """Low-level calls; the connector decides what to call, this decides how."""

    def __init__(self, http: httpx.Client, *, base_url: str, auth: Any, retry: RetryPolicy,
                 limiter: PlatformLimiter) -> None:
        self._http = http
        self.rest = base_url.rstrip("/").removesuffix("/services/rest") + "/services/rest"
        self._auth = auth
        self._retry = retry
        self._limiter = limiter
        self.calls = 0

    def record_url(self, rtype: str, key: str | None = None) -> str:
        return f"{self.rest}/record/v1/{rtype}" + (f"/{key}" if key is not None else "")

    # -- verbs -------------------------------------------------------------------------------------------
    def get(self, rtype: str, key: str, params: dict[str, str] | None = None) -> Answer:
        return self.call("GET", self.record_url(rtype, key), params=params, operation="read")

    def upsert(self, rtype: str, external_id: str, body: dict, *, replace: str | None = None) -> Answer:
        params = {"replace": replace} if replace else None
        return self.call("PUT", self.record_url(rtype, f"eid:{external_id}"), params=params, body=body,
                         operation="write")

    def patch(self, rtype: str, key: str, body: dict, *, replace: str | None = None) -> Answer:
        params = {"replace": replace} if replace else None
        return self.call("PATCH", self.record_url(rtype, key), params=params, body=body, operation="write")

    def delete(self, rtype: str, key: str) -> Answer:
        return self.call("DELETE", self.record_url(rtype, key), operation="delete")

    def suiteql_pages(self, query: str, params: list | None = None) -> Iterator[Answer]:
        """Every page of a SuiteQL query, following the absolute ``next`` link verbatim."""
        url: str | None = f"{self.rest}/query/v1/suiteql?limit={PAGE_SIZE}&offset=0"
        body: dict[str, Any] = {"q": query, **({"params": params} if params else {})}
        seen: set[str] = set()
        while url:
            if url in seen:
                raise UNEXPECTED_RESPONSE.error(platform=PLATFORM, raw={"repeated_link": url})
            seen.add(url)
            answer = self.call("POST", url, body=body, operation="query", headers={"Prefer": "transient"})
            yield answer
            page = answer.body if isinstance(answer.body, dict) else {}
            url = next((link.get("href") for link in page.get("links", []) if link.get("rel") == "next"), None) \
                if page.get("hasMore") else None

    def suiteql(self, query: str, params: list | None = None) -> list[dict]:
        return [row for page in self.suiteql_pages(query, params) for row in page.body.get("items", [])]

    # -- plumbing ----------------------------------------------------------------------------------------
    def call(self, method: str, url: str, *, operation: Operation, params: dict[str, str] | None = None,
             body: Any = None, headers: dict[str, str] | None = None) -> Answer:
        def once() -> Answer:
            with self._limiter.slot():
                return self._send(method, url, params=params, body=body, operation=operation, headers=headers)

        def on_retry(attempt: int, error: ConnectorError, wait: float) -> None:
            log.info("NetSuite %s %s failed (%s, attempt %d); retrying in %.1fs", method, url.split("?")[0],
                     error.code, attempt, wait)

        return self._retry.run(once, replay_safe=True, on_retry=on_retry)

    def _send(self, method: str, url: str, *, params: dict[str, str] | None, body: Any, operation: Operation,
              headers: dict[str, str] | None) -> Answer:
        all_headers = {"Accept": "application/json", **(headers or {})}
        content: bytes | None = None
        if body is not None:
            content = codec.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        writes = operation in ("write", "delete")
        self.calls += 1
        try:
            response = self._http.request(method, url, params=params, content=content, headers=all_headers,
                                          auth=self._auth)
        except _NOT_SENT as exc:
            raise CONNECTION_FAILED.error(platform=PLATFORM, raw={"error": type(exc).__name__}) from None
        except httpx.TimeoutException as exc:
            raise TIMEOUT.error(platform=PLATFORM, raw={"error": type(exc).__name__}, outcome_unknown=writes) from None
        except httpx.TransportError as exc:
            raise CONNECTION_FAILED.error(platform=PLATFORM, raw={"error": type(exc).__name__},
                                          outcome_unknown=writes) from None
        try:
            parsed = codec.loads(response.content) if response.content else None
        except ValueError:
            parsed = None
        if 200 <= response.status_code < 300:
            if response.status_code != 204 and not isinstance(parsed, dict):
                raise UNEXPECTED_RESPONSE.error(platform=PLATFORM, raw={"status": response.status_code},
                                                outcome_unknown=writes)
            return Answer(response.status_code, parsed, response.headers)
        raise ns_error(parsed, status=response.status_code, operation=operation, secrets=self._auth.secrets(),
                       retry_after=parse_retry_after(response.headers.get("Retry-After")))
