"""Error resolution: a platform's failure -> one stable billpay error.

Every connector keeps the decision "what does this failure mean and who must
act" in a table of ``Resolution`` values (airbyte-cdk's error-resolution
habit), and executes it in one place. A ``Resolution`` carries the stable
``code``, the sentence shown to a controller, and the ``kind`` that tells the
sync engine what to do (see ``billpay.sync.ports.ConnectorError``).

Messages may contain ``{platform}``; it is filled with the platform's display
name when the error is raised, so the shared resolutions below read naturally
for every connector.

Secrets: ``redact``/``scrub`` remove known secret values (tokens, client
secrets) and token-looking fragments from text and from the ``raw`` detail
kept for support, so nothing secret reaches logs, the UI or the database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from billpay.sync.ports import ConnectorError, ErrorKind


@dataclass(frozen=True)
class Resolution:
    """What a failure means: stable code, plain sentence, who must act."""

    code: str
    message: str
    kind: ErrorKind

    def error(
        self,
        *,
        platform: str,
        raw: dict | str | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
        **fields: Any,
    ) -> ConnectorError:
        """Build the ``ConnectorError``; ``fields`` fill ``{placeholders}`` in the message."""
        message = self.message.format_map(_Defaults(platform=platform, **fields))
        return ConnectorError(
            self.code,
            message,
            kind=self.kind,
            raw=raw,
            retry_after=retry_after,
            outcome_unknown=outcome_unknown,
        )


class _Defaults(dict):
    """``str.format_map`` helper: unknown placeholders render as an empty string."""

    def __missing__(self, key: str) -> str:
        return ""


# Shared resolutions: failures every platform has in common. Platform tables
# (e.g. ``quickbooks.faults``) add their own codes next to these.
RATE_LIMITED = Resolution(
    "platform_rate_limited",
    "{platform} asked billpay to slow down (too many requests). The sync will try again shortly.",
    "transient",
)
UNAVAILABLE = Resolution(
    "platform_unavailable",
    "{platform} is temporarily unavailable. The sync will try again shortly.",
    "transient",
)
TIMEOUT = Resolution(
    "platform_timeout",
    "{platform} did not answer in time. The sync will check what was saved and try again.",
    "transient",
)
CONNECTION_FAILED = Resolution(
    "platform_connection_failed",
    "billpay could not reach {platform}. The sync will try again shortly.",
    "transient",
)
AUTH_EXPIRED = Resolution(
    "platform_auth_expired",
    "{platform} did not accept billpay's sign-in. If this keeps happening, an admin must "
    "reconnect {platform} in Settings > Connections.",
    "auth",
)
AUTH_REVOKED = Resolution(
    "platform_auth_revoked",
    "billpay's connection to {platform} has expired or was revoked. An admin must reconnect "
    "{platform} in Settings > Connections before syncing can continue.",
    "auth",
)
AUTH_MISSING = Resolution(
    "platform_auth_missing",
    "billpay has no stored sign-in for {platform}. An admin must connect {platform} in "
    "Settings > Connections.",
    "auth",
)
CLIENT_INVALID = Resolution(
    "platform_client_invalid",
    "{platform} rejected billpay's app credentials (client id or secret). An admin must "
    "check the connection settings.",
    "config",
)
AUTH_ENDPOINT_INVALID = Resolution(
    "platform_auth_endpoint_invalid",
    "billpay could not find {platform}'s sign-in service at the configured address. An admin "
    "must check the connection settings.",
    "config",
)
FORBIDDEN = Resolution(
    "platform_forbidden",
    "{platform} refused access to this company for billpay. The user who connected it may "
    "have lost admin rights; an admin must reconnect {platform}.",
    "config",
)
NOT_FOUND = Resolution(
    "platform_not_found",
    "The record no longer exists in {platform} (it was deleted there).",
    "not_found",
)
VALIDATION = Resolution(
    "platform_validation",
    "{platform} rejected the record: {detail}.",
    "rejected",
)
UNEXPECTED_RESPONSE = Resolution(
    "platform_unexpected_response",
    "{platform} sent an answer billpay does not understand. The sync will try again; if it "
    "keeps failing, contact support.",
    "transient",
)
PAYLOAD_INVALID = Resolution(
    "payload_invalid",
    "billpay did not send this record because it is inconsistent: {detail}.",
    "rejected",
)
UNSUPPORTED = Resolution(
    "platform_unsupported",
    "{platform} cannot store this as billpay has it: {detail}.",
    "rejected",
)

#: HTTP status -> resolution, for answers that carry no platform error code.
HTTP_STATUS_RESOLUTIONS: Mapping[int, Resolution] = {
    400: VALIDATION,
    401: AUTH_EXPIRED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    408: TIMEOUT,
    409: Resolution(
        "platform_conflict",
        "{platform} reported a conflicting change; billpay will re-read the record and retry.",
        "conflict",
    ),
    429: RATE_LIMITED,
    500: UNAVAILABLE,
    502: UNAVAILABLE,
    503: UNAVAILABLE,
    504: TIMEOUT,
}


def resolve_status(status: int) -> Resolution:
    """The shared resolution for an HTTP status without a usable error body."""
    if status in HTTP_STATUS_RESOLUTIONS:
        return HTTP_STATUS_RESOLUTIONS[status]
    if status >= 500:
        return UNAVAILABLE
    if status >= 400:
        return VALIDATION
    return UNEXPECTED_RESPONSE


@dataclass(frozen=True)
class Rule:
    """A table row: platform error code (and optionally a text pattern) -> resolution."""

    code: str
    resolution: Resolution
    pattern: re.Pattern[str] | None = None


class ResolutionTable:
    """Ordered rules keyed by platform code; the first rule whose pattern matches wins.

    Rules with a pattern are tried before the catch-all rule for the same code,
    because some platforms reuse one code for several situations (QuickBooks'
    6000 "business validation error" covers closed periods, inactive records
    and more; only the detail text tells them apart).
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        self._rules: dict[str, list[Rule]] = {}
        for rule in rules:
            self._rules.setdefault(rule.code, []).append(rule)
        for bucket in self._rules.values():
            bucket.sort(key=lambda r: r.pattern is None)

    def lookup(self, code: str, text: str = "") -> Resolution | None:
        for rule in self._rules.get(code, ()):
            if rule.pattern is None or rule.pattern.search(text):
                return rule.resolution
        return None

    def codes(self) -> set[str]:
        return set(self._rules)


# Token-looking fragments that platforms echo back in error details, e.g.
# QuickBooks' "Token expired: AB0173..." or an echoed "Bearer eyJ...".
_TOKEN_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"),
    re.compile(r"(?i)(token(?:\s+expired)?\s*[:=]\s*)[A-Za-z0-9\-._~+/]{8,}=*"),
    re.compile(r"(?i)((?:access|refresh)_token[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9\-._~+/]{8,}=*"),
)
REDACTED = "[redacted]"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with known secret values and token-looking fragments replaced."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def scrub(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like value with every string passed through ``redact``."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {key: scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item, secrets) for item in value]
    return value


def stale_version(platform: str, bill_word: str, *, written: str | None, now: str | None) -> ConnectorError:
    """The bill changed on the platform since billpay wrote ``written``: never overwritten, the engine merges."""
    return ConnectorError(
        "platform_stale_version",
        f"The {bill_word} was changed in {platform} since billpay last wrote it; billpay reads it again and "
        "applies only its own coding on top.",
        kind="conflict", raw={"written": written, "now": now})


def check_unchanged(current, ref, platform: str, bill_word: str) -> None:  # noqa: ANN001
    """Optimistic concurrency for platforms without a version check of their own: ``current`` (the bill read
    now, or None when gone) must still carry ``ref.version``."""
    if current is None:
        raise ConnectorError("platform_record_deleted", f"The {bill_word} was deleted in {platform}.",
                             kind="not_found", raw={"external_id": ref.external_id})
    if ref.version is not None and current.version != ref.version:
        raise stale_version(platform, bill_word, written=ref.version, now=current.version)
