"""HTTP for one Business Central company: URLs, sign-in, JSON, limits, retries, errors, ``$batch``, paging.

Every request goes through the platform limiter (``connectors.base.limits``): one of the
company's slots in flight (BC processes 5 requests per user at once and refuses more with 429) and
the per-minute request budget. Failures become ``ConnectorError`` (``errors.error_from``) and are
retried by the ``RetryPolicy``, which waits the ``Retry-After`` BC sends with a 429:

- reads are always safe to retry;
- writes are retried only while their outcome is known (429, 503, a connection that never opened);
  a write that timed out is reported with ``outcome_unknown=True`` and the caller looks the record
  up by its business key before writing again (BC has no idempotency key).
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
from billpay.connectors.base.pagination import CursorPaginator, Page, paginate
from billpay.connectors.base.retry import RetryPolicy, parse_retry_after
from billpay.connectors.business_central import errors, wire
from billpay.connectors.business_central.auth import ClientCredentialsAuth
from billpay.sync.ports import ConnectorError

log = logging.getLogger(__name__)

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass
class Answer:
    """One operation's answer inside a ``$batch``: a body, or an error."""

    status: int
    body: Any = None
    error: ConnectorError | None = None
    etag: str | None = None


class BusinessCentralClient:
    """Low-level calls; the connector decides what to call, this decides how."""

    def __init__(self, http: httpx.Client, *, api_root: str, company_id: str, auth: ClientCredentialsAuth,
                 retry: RetryPolicy, limiter: PlatformLimiter, page_size: int = wire.PAGE_SIZE) -> None:
        self._http = http
        self.api_root = api_root.rstrip("/")
        self.company_id = company_id
        self.company_path = f"companies({company_id})"
        self._auth = auth
        self._retry = retry
        self._limiter = limiter
        self.page_size = page_size
        self.calls = 0
        #: The server's clock (HTTP ``Date``) at the last answer; the earliest value when a proxy adds its own.
        self.server_time: dt.datetime | None = None
        #: ``server_time`` of the first page of the last ``pages()`` walk.
        self.first_page_time: dt.datetime | None = None

    def url(self, path: str) -> str:
        return f"{self.api_root}/{self.company_path}/{path}"

    # -- verbs ---------------------------------------------------------------------------------------
    def get(self, path: str, params: dict[str, str] | None = None) -> dict:
        return self._call("GET", self.url(path), params=params, operation="read")

    def pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[dict]:
        """Every entity of a collection, following ``@odata.nextLink`` verbatim."""
        headers = {"Prefer": f"odata.maxpagesize={self.page_size}"}

        def fetch(next_link: str | None) -> Page[dict]:
            if next_link is None:
                body = self._call("GET", self.url(path), params=params, operation="read", headers=headers)
                self.first_page_time = self.server_time
            else:
                body = self._call("GET", next_link, params=None, operation="read", headers=headers)
            value = body.get("value")
            if not isinstance(value, list):
                raise UNEXPECTED_RESPONSE.error(platform=errors.PLATFORM, raw={"where": path, "body": "no value"})
            return Page(items=value, body=body, next_token=body.get("@odata.nextLink"))

        return paginate(fetch, CursorPaginator())

    def post(self, path: str, body: Any, *, params: dict[str, str] | None = None) -> dict:
        return self._call("POST", self.url(path), params=params, body=body, operation="write")

    def action(self, path: str) -> None:
        """A bound action (``…/Microsoft.NAV.post``): POST without a body, 204."""
        self._call("POST", self.url(path), params=None, operation="write")

    def patch(self, path: str, body: Any, etag: str) -> dict:
        return self._call("PATCH", self.url(path), params=None, body=body, operation="write",
                          headers={"If-Match": etag})

    def delete(self, path: str, etag: str = "*") -> None:
        self._call("DELETE", self.url(path), params=None, operation="write", headers={"If-Match": etag})

    def batch(self, operations: list[dict], *, atomic: bool = False) -> list[Answer]:
        """Run up to 100 operations (``{"method", "url", "body"?, "headers"?}``, URLs relative to the
        company) in one ``$batch``; one ``Answer`` per operation, in order."""
        if len(operations) > wire.BATCH_SIZE:
            raise ValueError(f"a Business Central $batch holds at most {wire.BATCH_SIZE} operations")
        requests = []
        for index, op in enumerate(operations):
            request = {"id": str(index + 1), "method": op["method"], "url": f"{self.company_path}/{op['url']}",
                       "headers": {"Content-Type": "application/json", **op.get("headers", {})}}
            if op.get("body") is not None:
                request["body"] = op["body"]
            if op.get("depends_on"):
                request["dependsOn"] = [str(op["depends_on"])]
            requests.append(request)
        writes = any(op["method"] != "GET" for op in operations)
        headers = {"Isolation": "snapshot"} if atomic else {}
        body = self._call("POST", f"{self.api_root}/$batch", params=None, body={"requests": requests},
                          operation="write" if writes else "read", headers=headers)
        answers = {str(item.get("id")): item for item in body.get("responses") or [] if isinstance(item, dict)}
        out = []
        for index, op in enumerate(operations):
            item = answers.get(str(index + 1))
            if item is None:
                out.append(Answer(0, error=UNEXPECTED_RESPONSE.error(
                    platform=errors.PLATFORM, raw={"where": "$batch", "missing": index + 1},
                    outcome_unknown=op["method"] != "GET")))
                continue
            status = int(item.get("status") or 0)
            item_headers = {str(k).lower(): v for k, v in (item.get("headers") or {}).items()}
            if status >= 400:
                out.append(Answer(status, item.get("body"), errors.error_from(
                    status, item.get("body"), operation="write" if op["method"] != "GET" else "read",
                    secrets=self._auth.secrets(), retry_after=parse_retry_after(item_headers.get("retry-after")))))
            else:
                out.append(Answer(status, item.get("body"), etag=item_headers.get("etag")))
        return out

    # -- plumbing ------------------------------------------------------------------------------------
    def _call(self, method: str, url: str, *, params: dict[str, str] | None, operation: errors.Operation,
              body: Any = None, headers: dict[str, str] | None = None) -> Any:
        def once() -> Any:
            return self._send(method, url, params=params, body=body, operation=operation, headers=headers)

        def on_retry(attempt: int, error: ConnectorError, wait: float) -> None:
            log.info("Business Central %s %s failed (%s, attempt %d); retrying in %.1fs",
                     method, url.split("?")[0].rsplit("/", 1)[-1], error.code, attempt, wait)

        return self._retry.run(once, replay_safe=operation == "read", on_retry=on_retry)

    def _send(self, method: str, url: str, *, params: dict[str, str] | None, body: Any,
              operation: errors.Operation, headers: dict[str, str] | None) -> Any:
        all_headers = {"Accept": "application/json", **(headers or {})}
        content: bytes | None = None
        if body is not None:
            content = codec.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        writes = operation == "write"
        self._limiter.spend("requests_per_minute")
        with self._limiter.slot():
            self.calls += 1
            try:
                response = self._http.request(method, url, params=params, content=content, headers=all_headers,
                                              auth=self._auth)
            except _NOT_SENT as exc:
                raise CONNECTION_FAILED.error(platform=errors.PLATFORM, raw={"error": type(exc).__name__}) from None
            except httpx.TimeoutException as exc:
                raise TIMEOUT.error(platform=errors.PLATFORM, raw={"error": type(exc).__name__},
                                    outcome_unknown=writes) from None
            except httpx.TransportError as exc:
                raise CONNECTION_FAILED.error(platform=errors.PLATFORM, raw={"error": type(exc).__name__},
                                              outcome_unknown=writes) from None
        return self._parse(response, operation)

    def _parse(self, response: httpx.Response, operation: errors.Operation) -> Any:
        self.server_time = _date_header(response)
        try:
            body = codec.loads(response.content) if response.content else None
        except ValueError:
            body = None
        if 200 <= response.status_code < 300:
            if response.status_code == 204 or body is not None:
                return body
            raise UNEXPECTED_RESPONSE.error(platform=errors.PLATFORM, raw={"status": response.status_code},
                                            outcome_unknown=operation == "write")
        raise errors.error_from(response.status_code, body, operation=operation, secrets=self._auth.secrets(),
                                retry_after=parse_retry_after(response.headers.get("Retry-After")))


def _date_header(response: httpx.Response) -> dt.datetime | None:
    stamps = []
    for value in response.headers.get_list("date"):
        try:
            stamps.append(email.utils.parsedate_to_datetime(value))
        except (TypeError, ValueError):
            continue
    return min(stamps) if stamps else None
