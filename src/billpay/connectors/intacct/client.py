"""HTTP and sessions for one Intacct company: sign-in, one session reused until it expires, retries.

``call(functions, unique=...)`` sends up to 100 functions in one request and
returns their results in order. On the way:

- a session is taken from the connection's ``discovered`` cache; without one (or
  when it is about to expire) billpay signs in with the sender and user
  credentials and ``getAPISession``, in a request of its own, and follows the
  ``<endpoint>`` it returns when that is the host it signed in at or an
  ``intacct.com`` host. Each answer's ``<sessiontimeout>`` extends the session.
  A session Intacct refuses as expired or invalid is replaced once, and the
  request sent again (it was not executed: authentication failed first).
- every request holds one of the company's slots in the ``PlatformLimiter``
  (two in flight on Intacct's base tier) and goes through the ``RetryPolicy``:
  GW-0010 (HTTP 429), 5xx and timeouts are retried with backoff. Writes are
  sent with ``uniqueid=true`` and control ids derived from billpay's
  idempotency keys, so re-sending them can never record anything twice.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Callable, Sequence
from urllib.parse import urlsplit

import httpx

from billpay.connectors.base import xmlcodec
from billpay.connectors.base.errors import CONNECTION_FAILED, TIMEOUT, UNEXPECTED_RESPONSE, resolve_status
from billpay.connectors.base.limits import PlatformLimiter
from billpay.connectors.base.retry import RetryPolicy, parse_retry_after
from billpay.connectors.intacct import errors, wire
from billpay.connectors.intacct.errors import PLATFORM
from billpay.sync.ports import ConnectorError

log = logging.getLogger(__name__)

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: A session this close to its timeout is replaced before use.
SESSION_MARGIN = dt.timedelta(seconds=60)


@dataclass
class Session:
    session_id: str
    endpoint: str
    expires_at: dt.datetime
    #: The company's clock at the last answer (``<sessiontimestamp>``), for bookmarks.
    server_time: str | None = None


@dataclass(frozen=True)
class Credentials:
    sender_id: str
    sender_password: str
    company_id: str
    user_id: str
    user_password: str
    entity_id: str | None

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.sender_password, self.user_password) if s)


class IntacctClient:
    def __init__(self, http: httpx.Client, *, endpoint_url: str, credentials: Credentials, retry: RetryPolicy,
                 limiter: PlatformLimiter, discovered: dict, now: Callable[[], dt.datetime]) -> None:
        self._http = http
        self._endpoint = endpoint_url
        self.credentials = credentials
        self._retry = retry
        self._limiter = limiter
        self._now = now
        self._cache = discovered
        self._lock: threading.Lock = discovered.setdefault("session_lock", threading.Lock())
        self.calls = 0  # requests sent, sign-ins included
        self.last_server_time: str | None = None

    # -- sessions -------------------------------------------------------------------------------------------
    @property
    def session(self) -> Session | None:
        return self._cache.get("session")

    def _valid_session(self) -> Session:
        with self._lock:
            session = self._cache.get("session")
            if session is None or session.expires_at - SESSION_MARGIN <= self._now():
                session = self._sign_in()
                self._cache["session"] = session
            return session

    def _drop_session(self, stale: Session) -> None:
        with self._lock:
            if self._cache.get("session") is stale:
                self._cache.pop("session", None)

    def _sign_in(self) -> Session:
        c = self.credentials
        body, _ = wire.envelope(
            sender_id=c.sender_id, sender_password=c.sender_password,
            auth=wire.login_auth(c.user_id, c.company_id, c.user_password, c.entity_id),
            functions=[wire.Function(wire.get_api_session())], unique=False)
        response = self._post(self._endpoint, body, writes=False)
        if response.auth_status != "success":
            raise errors.error_from(response.auth_errors, secrets=c.secrets())
        (result,) = response.results[:1] or [None]
        if result is None or not result.ok or result.data is None:
            raise errors.error_from(result.errors if result else [], secrets=c.secrets())
        session_id = xmlcodec.text(result.data, "api/sessionid")
        if not session_id:
            raise UNEXPECTED_RESPONSE.error(platform=PLATFORM, raw={"getAPISession": "no sessionid"})
        endpoint = self._follow(xmlcodec.text(result.data, "api/endpoint") or "")
        expires = wire.parse_instant(response.session_timeout) or self._now() + dt.timedelta(minutes=30)
        log.info("Signed in to Sage Intacct company %s%s", c.company_id,
                 f" (entity {c.entity_id})" if c.entity_id else "")
        return Session(session_id, endpoint, expires, response.session_timestamp)

    def _follow(self, endpoint: str) -> str:
        """Use the endpoint ``getAPISession`` returned only on the same host or an intacct.com host."""
        if not endpoint:
            return self._endpoint
        mine, theirs = urlsplit(self._endpoint), urlsplit(endpoint)
        same = (theirs.scheme, theirs.netloc) == (mine.scheme, mine.netloc)
        official = theirs.scheme == "https" and (theirs.hostname or "").endswith(".intacct.com") and \
            (mine.hostname or "").endswith(".intacct.com")
        if same or official:
            return endpoint
        log.warning("Sage Intacct returned the endpoint %s; staying on %s", theirs.netloc, mine.netloc)
        return self._endpoint

    # -- calls ------------------------------------------------------------------------------------------------
    def call(self, functions: Sequence[wire.Function], *, unique: bool) -> list[wire.Result]:
        """Send ``functions`` (at most 100) in one request; results in the same order."""
        if not functions:
            return []
        if len(functions) > wire.MAX_FUNCTIONS:
            raise ValueError(f"one Intacct request carries at most {wire.MAX_FUNCTIONS} functions")

        def once() -> list[wire.Result]:
            for attempt in (1, 2):
                session = self._valid_session()
                body, ids = wire.envelope(
                    sender_id=self.credentials.sender_id, sender_password=self.credentials.sender_password,
                    auth=wire.session_auth(session.session_id), functions=functions, unique=unique)
                response = self._post(session.endpoint, body, writes=unique)
                if response.auth_status != "success":
                    if attempt == 1 and errors.is_invalid_session(response.auth_errors):
                        self._drop_session(session)
                        continue
                    raise errors.error_from(response.auth_errors, secrets=self.credentials.secrets())
                self._extend(session, response)
                return self._in_order(response.results, ids)
            raise AssertionError("unreachable")

        def on_retry(attempt: int, error: ConnectorError, wait: float) -> None:
            log.info("Sage Intacct request failed (%s, attempt %d); retrying in %.1fs", error.code, attempt, wait)

        return self._retry.run(once, replay_safe=True, on_retry=on_retry)

    def _extend(self, session: Session, response: wire.Response) -> None:
        expires = wire.parse_instant(response.session_timeout)
        with self._lock:
            if expires is not None:
                session.expires_at = expires
            if response.session_timestamp:
                session.server_time = response.session_timestamp
        self.last_server_time = response.session_timestamp

    @staticmethod
    def _in_order(results: list[wire.Result], ids: list[str]) -> list[wire.Result]:
        by_id = {r.control_id: r for r in results}
        ordered = []
        for control_id in ids:
            result = by_id.get(control_id)
            if result is None:
                raise UNEXPECTED_RESPONSE.error(platform=PLATFORM, raw={"missing_result": control_id},
                                                outcome_unknown=True)
            ordered.append(result)
        return ordered

    def _post(self, url: str, body: bytes, *, writes: bool) -> wire.Response:
        self.calls += 1
        try:
            with self._limiter.slot():
                response = self._http.post(url, content=body, headers={"Content-Type": "application/xml",
                                                                        "Accept": "application/xml"})
        except _NOT_SENT as exc:
            raise CONNECTION_FAILED.error(platform=PLATFORM, raw={"error": type(exc).__name__}) from None
        except httpx.TimeoutException as exc:
            raise TIMEOUT.error(platform=PLATFORM, raw={"error": type(exc).__name__}, outcome_unknown=writes) from None
        except httpx.TransportError as exc:
            raise CONNECTION_FAILED.error(platform=PLATFORM, raw={"error": type(exc).__name__},
                                          outcome_unknown=writes) from None
        return self._parse(response, writes=writes)

    def _parse(self, response: httpx.Response, *, writes: bool) -> wire.Response:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        try:
            parsed = wire.parse_response(response.content)
        except ValueError:
            parsed = None
        status = response.status_code
        if status != 200:
            unknown = writes and status >= 500
            if parsed is not None and parsed.control_errors:
                error = errors.error_from(parsed.control_errors, secrets=self.credentials.secrets(),
                                          outcome_unknown=unknown, retry_after=retry_after)
                if status == 429 or error.kind == "transient":
                    raise error
            resolution = resolve_status(status)
            raise resolution.error(platform=PLATFORM, raw={"status": status}, retry_after=retry_after,
                                   outcome_unknown=unknown)
        if parsed is None:
            raise UNEXPECTED_RESPONSE.error(platform=PLATFORM, raw={"status": status, "body": "not an Intacct "
                                            "response"}, outcome_unknown=writes)
        if parsed.control_status != "success":
            raise errors.error_from(parsed.control_errors, secrets=self.credentials.secrets())
        return parsed
