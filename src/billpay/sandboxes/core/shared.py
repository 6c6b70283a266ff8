"""A sandbox's state shared by every process of an installation, through one row of ``sandbox_states``.

The built-in sandboxes serve ``billpay serve`` and any number of ``billpay worker`` processes, on any number of
machines: they must all see one sandbox company per organization. The state stays an ordinary object in each
process (the sandbox's code does not change); ``SharedLock`` takes the place of its ``threading.RLock``. The
outermost ``with state.lock:`` of a thread opens a database transaction that locks the state's row
(``FOR UPDATE`` on PostgreSQL; SQLite's write lock), reloads the state when another process wrote a newer
version, and, when the block changed the state (``changed()``, called where the state used to save its file),
writes it back as the next version before committing. So every operation sees the latest state and no two
processes overwrite each other.

What is shared is what the state's ``to_dict`` holds (companies, apps and tokens, the clock); fault settings,
request counters and rate-limit windows stay with each process (``restore`` leaves them alone).

Where: the installation's PostgreSQL database; with SQLite a database file of its own next to the app's
(``<name>.sandboxes.sqlite3``), because SQLite has one writer at a time and a sandbox call made while a request
holds the app's write lock (connecting to the sandbox happens inside a request's transaction) must not wait
for it.
"""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from ...db.engine import make_engine
from ...db.tables import SandboxState
from . import persistence

TABLE = SandboxState.__table__
_engines_lock = threading.Lock()
_sqlite_engines: dict[str, Engine] = {}


def installation_engine(engine: Engine) -> Engine:
    """The database the installation's built-in sandboxes keep their state in (see module docstring)."""
    if engine.dialect.name != "sqlite":
        return engine
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("the built-in sandboxes need a database file or PostgreSQL to share their state")
    path = Path(database)
    shared = path.with_name(f"{path.stem}.sandboxes.sqlite3").resolve()
    with _engines_lock:
        found = _sqlite_engines.get(str(shared))
        if found is None:
            # No pool: nothing stays open between sandbox calls (an installation may have many such files).
            found = _sqlite_engines[str(shared)] = make_engine(f"sqlite:///{shared}", poolclass=NullPool)
            TABLE.create(found, checkfirst=True)
        return found


class SharedLock:
    """A re-entrant lock whose outermost holder works on the latest shared version of the state.

    ``dump()`` returns the state as plain data (``to_dict``); ``restore(data)`` replaces the shared part of the
    state with ``data`` (None: nothing stored yet).
    """

    def __init__(self, engine: Engine, name: str, *, dump: Callable[[], dict],
                 restore: Callable[[dict | None], None]) -> None:
        self.engine, self.name = engine, name
        self._dump, self._restore = dump, restore
        self._rlock = threading.RLock()
        self._depth = 0
        self._conn: Connection | None = None
        self._dirty = False
        self.version: int | None = None  # the version this process holds; None: never loaded

    # -- the lock --------------------------------------------------------------------------------------
    def __enter__(self) -> SharedLock:
        self._rlock.acquire()
        self._depth += 1
        if self._depth == 1:
            try:
                self._begin()
            except BaseException:
                self._depth -= 1
                self._rlock.release()
                raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._depth == 1:
                self._finish()  # still held: a nested ``with`` in dump() is not a new transaction
        finally:
            self._depth -= 1
            self._rlock.release()

    def acquire(self) -> bool:
        self.__enter__()
        return True

    def release(self) -> None:
        self.__exit__(None, None, None)

    def changed(self) -> None:
        """The state changed: write it back when the outermost block ends."""
        if self._depth == 0:
            with self:
                self._dirty = True
        else:
            self._dirty = True

    # -- the row ------------------------------------------------------------------------------------------
    def _begin(self) -> None:
        conn = self.engine.connect()
        try:
            conn.begin()
            version = self._locked_version(conn)
            if version != self.version:
                data = conn.execute(select(TABLE.c.data).where(TABLE.c.name == self.name)).scalar()
                self._restore(persistence.decode(data) if data else None)
                self.version = version
        except BaseException:
            conn.rollback()
            conn.close()
            self.version = None
            raise
        self._conn, self._dirty = conn, False

    def _locked_version(self, conn: Connection) -> int:
        query = select(TABLE.c.version).where(TABLE.c.name == self.name).with_for_update()
        row = conn.execute(query).first()
        if row is not None:
            return int(row.version)
        try:
            with conn.begin_nested():
                conn.execute(insert(TABLE).values(name=self.name, version=0, data="", updated_at=_now()))
        except IntegrityError:
            pass  # another process created it first
        return int(conn.execute(query).scalar_one())

    def _finish(self) -> None:
        conn, self._conn = self._conn, None
        assert conn is not None
        try:
            if self._dirty:
                new = (self.version or 0) + 1
                conn.execute(update(TABLE).where(TABLE.c.name == self.name).values(
                    version=new, data=persistence.encode(self._dump()), updated_at=_now()))
                conn.commit()
                self.version = new
            else:
                conn.commit()
        except BaseException:
            conn.rollback()
            self.version = None  # what this process holds may differ from what is stored: reload next time
            raise
        finally:
            self._dirty = False
            conn.close()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def shared_lock_for(engine: Engine, name: str, state: Any) -> SharedLock:
    """A ``SharedLock`` for a sandbox state with ``to_dict()`` and ``restore(data, shared=True)``."""
    return SharedLock(installation_engine(engine), name, dump=state.to_dict,
                      restore=lambda data: state.restore(data, shared=True))
