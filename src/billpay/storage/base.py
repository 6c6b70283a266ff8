"""The document storage interface, its keys and its errors.

Every backend stores bytes unchanged under a content-addressed, tenant-scoped key
``<org_id>/<sha256[:2]>/<sha256><suffix>``: the same bytes of one organization are
stored once, and a key names its organization. Keys are only ever looked up through
rows that are themselves filtered by organization (``Document``, ``BankFile``,
``InboundMessage``), so one organization's key is never served to another.

A backend is written when serve, a worker on another machine and the CLI must all
read what one of them stored. To add one, implement :class:`DocumentStore` and raise
the errors below; ``tests/integration/test_storage.py`` runs every backend through
the same checks.
"""
from __future__ import annotations

import hashlib
import re
from typing import Protocol, runtime_checkable

from ..domain.errors import BillPayError

_ORG = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_KEY = re.compile(r"^(?P<org>[A-Za-z0-9_-]{1,40})/(?P<fan>[0-9a-f]{2})/(?P<sha>[0-9a-f]{64})(?P<suffix>[^/\\\x00]*)$")
MAX_KEY = 300  # the storage_key columns are String(300)


class StorageError(BillPayError):
    """The document store could not be used (a backend outage or a wrong setting): try again later."""

    status = 503
    code = "storage_unavailable"


class ObjectUnreadable(StorageError):
    """The stored original cannot be read and will not become readable by retrying."""


class ObjectMissing(ObjectUnreadable):
    status = 404
    code = "document_missing"


class ObjectCorrupt(ObjectUnreadable):
    status = 500
    code = "document_corrupt"


def unavailable(cause: Exception) -> StorageError:
    return StorageError(f"billpay's document storage could not be reached ({type(cause).__name__}); "
                        "try again in a moment.")


def missing() -> ObjectMissing:
    return ObjectMissing("The original file is not in billpay's document storage. An administrator should check "
                         "that every billpay process uses the same storage (BILLPAY_STORAGE).")


def corrupt() -> ObjectCorrupt:
    return ObjectCorrupt("The stored original file is damaged (its contents no longer match its fingerprint), "
                         "so billpay will not use it.")


def make_key(org_id: str, data: bytes, suffix: str = "") -> tuple[str, str]:
    """The key and SHA-256 for ``data``; refuses an organization id or suffix that could leave its place."""
    if not _ORG.match(org_id or ""):
        raise ValueError("storage keys need a plain organization id")
    if any(c in suffix for c in "/\\\x00"):
        raise ValueError("a storage key suffix cannot contain a path separator")
    sha = hashlib.sha256(data).hexdigest()
    key = f"{org_id}/{sha[:2]}/{sha}{suffix}"
    if len(key) > MAX_KEY:
        raise ValueError("storage key too long")
    return key, sha


def parse_key(key: str) -> tuple[str, str, str]:
    """``(org_id, sha256, suffix)`` of a key made by :func:`make_key`; ``ValueError`` for anything else."""
    m = _KEY.match(key or "")
    if m is None or m["fan"] != m["sha"][:2]:
        raise ValueError("not a billpay storage key")
    return m["org"], m["sha"], m["suffix"]


def verified(key: str, data: bytes) -> bytes:
    """``data`` if it still hashes to the key's SHA-256, else :class:`ObjectCorrupt`."""
    if hashlib.sha256(data).hexdigest() != parse_key(key)[1]:
        raise corrupt()
    return data


@runtime_checkable
class DocumentStore(Protocol):
    """Where original files (uploads, e-mails, bank files) live, reachable from every billpay process.

    ``put`` is idempotent and durable when it returns (the caller then commits the row that
    holds the key, so a reader that sees the row finds the bytes). ``get`` returns exactly the
    bytes stored or raises :class:`ObjectMissing`, :class:`ObjectCorrupt` (never the wrong
    bytes) or :class:`StorageError` (backend unreachable; retry). ``delete`` removes one key
    and is a no-op when it is gone: a retention job must first check that no row of the
    organization still holds the key (the same bytes are stored once).
    """

    def put(self, org_id: str, data: bytes, suffix: str = "") -> tuple[str, str]: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...
