"""One process runs each minute's tick, however many consumers fire their periodic task.

Every ``serve`` and ``billpay worker`` process runs Huey's periodic task once a minute; only the one that
moves the ``scheduler_runs`` row of that name to the current minute runs the tick. The move is a
conditional ``UPDATE … WHERE minute < :this_minute`` (a row lock on PostgreSQL, the write lock on
SQLite), so exactly one process wins each minute on any number of machines, a process that died holds
nothing, and a slow process whose periodic task fires late in the minute finds it taken. Nothing to run
besides the database.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..db import tables as t
from .lease import WORKER_ID


def minute_of(now: dt.datetime) -> dt.datetime:
    return now.replace(second=0, microsecond=0)


def elect(container, name: str, now: dt.datetime, runner: str = WORKER_ID) -> bool:  # noqa: ANN001
    """True for exactly one caller per ``name`` and minute of ``now``."""
    minute = minute_of(now)
    with container.sessionmaker() as s, s.begin():
        won = s.execute(update(t.SchedulerRun).where(t.SchedulerRun.name == name, t.SchedulerRun.minute < minute)
                        .values(minute=minute, runner=runner[:80])).rowcount
        if won:
            return True
        insert = pg_insert if s.bind.dialect.name == "postgresql" else sqlite_insert
        inserted = s.execute(insert(t.SchedulerRun).values(name=name, minute=minute, runner=runner[:80])
                             .on_conflict_do_nothing(index_elements=["name"]).returning(t.SchedulerRun.name)).first()
        return inserted is not None
