"""Engine and session factory. SQLite gets WAL and foreign keys; PostgreSQL as is."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def _json_default(o: object) -> object:
    if isinstance(o, Decimal):
        return str(o)  # exact; never a float
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


def _dumps(o: object) -> str:
    return json.dumps(o, default=_json_default)


def make_engine(url: str, **options: object) -> Engine:
    """``options`` go to ``create_engine`` (e.g. ``poolclass``)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               json_serializer=_dumps, **options)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):  # noqa: ANN001
            # Take the write lock at BEGIN so two writers queue instead of failing mid-transaction.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        # Let SQLAlchemy's begin event issue BEGIN itself.
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn, _):  # noqa: ANN001
            dbapi_conn.isolation_level = None

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, json_serializer=_dumps, **options)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
