"""Migrations go up from empty on SQLite and PostgreSQL and produce exactly the tables the code declares."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from billpay.db.migrate import downgrade, upgrade
from billpay.db.tables import Base


def _fresh_pg(pg_server: str, name: str) -> str:
    eng = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(text(f"CREATE DATABASE {name}"))
    eng.dispose()
    return pg_server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    return _fresh_pg(request.getfixturevalue("pg_server"), "billpay_migrations")


def test_upgrade_from_empty_matches_models_and_downgrades(empty_db):
    upgrade(empty_db)
    eng = create_engine(empty_db)
    with eng.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], diff
    downgrade(empty_db, "base")
    with eng.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    eng.dispose()
