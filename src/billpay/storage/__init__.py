"""Original files (uploads, e-mails, bank files) stored unchanged, where every billpay process can read them.

``BILLPAY_STORAGE`` chooses the backend: ``local`` (a directory in the data dir: the
embedded default), ``database`` (a table in the app's PostgreSQL database: the
scale-out default) or ``s3://bucket/prefix`` (S3-compatible object storage). The
interface and its errors are in :mod:`.base`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from ..config import Settings
from .base import (
    DocumentStore,
    ObjectCorrupt,
    ObjectMissing,
    ObjectUnreadable,
    StorageError,
    make_key,
    parse_key,
)
from .database import DatabaseStorage
from .local import LocalStorage
from .s3 import S3Storage

__all__ = ["DocumentStore", "StorageError", "ObjectUnreadable", "ObjectMissing", "ObjectCorrupt", "LocalStorage",
           "DatabaseStorage", "S3Storage", "LocalFallback", "open_storage", "copy_local", "make_key", "parse_key"]
log = logging.getLogger("billpay.storage")


class LocalFallback:
    """A shared store that still reads what an older release left in this machine's data dir.

    Writes go to the shared store only; run ``billpay storage import-local`` once on that
    machine so that other machines' workers can read those older files too.
    """

    def __init__(self, primary: DocumentStore, local: LocalStorage) -> None:
        self.primary = primary
        self.local = local

    def put(self, org_id: str, data: bytes, suffix: str = "") -> tuple[str, str]:
        return self.primary.put(org_id, data, suffix)

    def get(self, key: str) -> bytes:
        try:
            return self.primary.get(key)
        except ObjectMissing:
            if not self.local.exists(key):
                raise
            return self.local.get(key)

    def exists(self, key: str) -> bool:
        return self.primary.exists(key) or self.local.exists(key)

    def delete(self, key: str) -> None:
        self.primary.delete(key)
        self.local.delete(key)

    def close(self) -> None:
        getattr(self.primary, "close", lambda: None)()


def open_storage(settings: Settings, engine: Engine) -> DocumentStore:
    """The backend ``settings`` choose (see :attr:`Settings.resolved_storage`)."""
    choice = settings.resolved_storage
    if choice == "local":
        return LocalStorage(settings.files_dir)
    shared = (DatabaseStorage(engine) if choice == "database"
              else S3Storage.from_url(choice, endpoint_url=settings.s3_endpoint_url))
    old = settings.data_dir / "files"
    if old.is_dir() and any(old.iterdir()):
        log.warning("documents stored in %s before the switch to %s storage are read from there; run "
                    "`billpay storage import-local` so that every process can read them", old,
                    "S3" if choice.startswith("s3://") else choice)
        return LocalFallback(shared, LocalStorage(old))
    return shared


@dataclass
class CopyReport:
    copied: int = 0
    already_there: int = 0
    damaged: list[str] | None = None


def copy_local(source: LocalStorage, target: DocumentStore) -> CopyReport:
    """Copy every file of a local store into ``target`` under the same key (idempotent)."""
    report = CopyReport(damaged=[])
    for key in source.keys():
        if target.exists(key):
            report.already_there += 1
            continue
        try:
            data = source.get(key)
        except ObjectCorrupt:
            report.damaged.append(key)
            continue
        org_id, _, suffix = parse_key(key)
        stored, _ = target.put(org_id, data, suffix)
        assert stored == key, "keys are the same in every backend"
        report.copied += 1
    return report
