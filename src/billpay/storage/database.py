"""Documents in the app's PostgreSQL database (the scale-out default: nothing more to run).

Bytes go in ``document_blobs`` (bytea), one row per content-addressed key. ``put``
commits on its own connection before it returns, so the row the caller commits
afterwards never points at bytes another process cannot see yet. Not offered on
SQLite: there a second connection would wait behind the caller's write lock, and a
single machine is served as well by the local directory.

Its connections come from a small pool of their own: ``put`` runs while the caller's
transaction holds a connection of the app's pool, and drawing the second one from that
same pool could starve under a burst of uploads.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, delete, exc, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from ..db.tables import DocumentBlob
from .base import make_key, missing, parse_key, unavailable, verified


class DatabaseStorage:
    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("BILLPAY_STORAGE=database needs PostgreSQL (BILLPAY_DATABASE_URL); "
                             "with SQLite use BILLPAY_STORAGE=local")
        self.engine = create_engine(engine.url, pool_size=2, max_overflow=8, pool_pre_ping=True)

    def close(self) -> None:
        self.engine.dispose()

    def put(self, org_id: str, data: bytes, suffix: str = "") -> tuple[str, str]:
        key, sha = make_key(org_id, data, suffix)
        try:
            with self.engine.begin() as conn:
                if conn.scalar(select(DocumentBlob.key).where(DocumentBlob.key == key)) is None:
                    conn.execute(insert(DocumentBlob).values(
                        key=key, org_id=org_id, sha256=sha, size=len(data), data=data,
                        created_at=dt.datetime.now(dt.timezone.utc)).on_conflict_do_nothing(index_elements=["key"]))
        except exc.OperationalError as e:
            raise unavailable(e) from e
        return key, sha

    def get(self, key: str) -> bytes:
        parse_key(key)
        try:
            with self.engine.connect() as conn:
                data = conn.scalar(select(DocumentBlob.data).where(DocumentBlob.key == key))
        except exc.OperationalError as e:
            raise unavailable(e) from e
        if data is None:
            raise missing()
        return verified(key, bytes(data))

    def exists(self, key: str) -> bool:
        parse_key(key)
        with self.engine.connect() as conn:
            return conn.scalar(select(DocumentBlob.key).where(DocumentBlob.key == key)) is not None

    def delete(self, key: str) -> None:
        parse_key(key)
        with self.engine.begin() as conn:
            conn.execute(delete(DocumentBlob).where(DocumentBlob.key == key))
