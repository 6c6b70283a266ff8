"""Idempotency keys and the platform request ids derived from them.

The sync engine gives every write an idempotency key. The convention is
``"<record id>:<action>#<generation>"`` (see ``idempotency_key``); the
generation starts at 0 and the engine bumps it **only after a definitive
failure** of that write (a ``ConnectorError`` whose ``kind`` is ``rejected`` or
``config``, once a person fixed the cause), or after the record billpay
created was deleted on the platform and must be created again.

Why the bump matters: platforms that de-duplicate by request id (QuickBooks'
``requestid``) replay the *original* answer for a repeated id, including a
fault. Re-sending a fixed bill under the old key would return the old
"period closed" fault forever, and re-creating a bill deleted in the
platform under the old key would return the deleted bill's id ("ghost"
record). A new generation is a new request.

Within one generation, retries after timeouts, worker crashes or duplicate
queue messages reuse the same key and can therefore never create a second
record.
"""
from __future__ import annotations

import uuid

# Fixed namespace: request ids must be the same on every machine and release.
BILLPAY_NAMESPACE = uuid.UUID("7f1d6c1e-3b0a-5d7e-9a54-2f0b6e4c8a11")


def idempotency_key(record_id: str, action: str, generation: int = 0) -> str:
    """The conventional key for one write of one record, e.g. ``bill_123:create#0``."""
    if generation < 0:
        raise ValueError("generation must not be negative")
    return f"{record_id}:{action}#{generation}"


def record_of(key: str) -> str:
    """The record id of an idempotency key (``bill_123:create#0`` -> ``bill_123``)."""
    return key.rsplit(":", 1)[0] if ":" in key else key


def request_id(*parts: str) -> str:
    """A deterministic 36-character request id (UUID5) for the given key parts.

    36 characters fit QuickBooks' limits (50 for single requests, 36 for
    batch requests). Include anything that makes two requests different,
    e.g. the SyncToken of an update, so a retry after re-reading the record
    is a new request rather than a replay of the stale one.
    """
    if not parts:
        raise ValueError("request_id needs at least one part")
    return str(uuid.uuid5(BILLPAY_NAMESPACE, "\x1f".join(parts)))
