"""Migrations go up from empty on SQLite and PostgreSQL and produce exactly the tables the code declares."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from billpay.db.migrate import alembic_config, downgrade, upgrade
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


def test_the_migrations_form_one_line():
    """Branches merged side by side must not leave two heads (``upgrade head`` would refuse to run)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, script.get_heads()
    revisions = list(script.walk_revisions())
    assert not [r.revision for r in revisions if r.is_merge_point or r.is_branch_point]
    assert "0004" in {r.revision for r in revisions} and script.get_revision("0004").down_revision == "0003"
    assert script.get_revision("0005").down_revision == "0004"
    assert script.get_revision("0006").down_revision == "0005" and script.get_heads() == ["0006"]


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


def test_0002_gives_existing_rows_their_connection(empty_db):
    """A database made by 0001 (one connection per organization) keeps its data: every row gets that
    connection, the vendor stays mapped, and an organization may then keep an old connection for audit."""
    upgrade(empty_db, "0001")
    eng = create_engine(empty_db)
    now = "2026-01-05 10:00:00+00:00"
    with eng.begin() as c:
        c.execute(text("INSERT INTO organizations (id, name, settings, approval_policy, inbox_token, inbox_secret_enc, "
                       "created_at) VALUES ('org_1', 'Acme', '{}', '{}', 'tok', 'x', :now)"), {"now": now})
        c.execute(text("INSERT INTO connections (id, org_id, platform, sandbox, status, config, health, created_at) "
                       "VALUES ('con_1', 'org_1', 'quickbooks', true, 'connected', '{}', '{}', :now)"), {"now": now})
        c.execute(text("INSERT INTO vendors (id, org_id, name, default_currency, accounting_vendor_id, active, "
                       "created_at, updated_at) VALUES ('ven_1', 'org_1', 'V', 'USD', '56', true, :now, :now)"),
                  {"now": now})
        c.execute(text("INSERT INTO reference_items (id, org_id, kind, external_id, name, active, extra) "
                       "VALUES ('ref_1', 'org_1', 'vendors', '56', 'V', true, '{}')"))
        c.execute(text("INSERT INTO sync_records (id, org_id, record_type, record_id, state, attempts, generation) "
                       "VALUES ('syn_1', 'org_1', 'bill', 'bill_1', 'synced', 1, 0)"))
        c.execute(text("INSERT INTO sync_state (id, org_id, stream, bookmark) VALUES ('sst_1', 'org_1', 'bills_pull', 'b')"))
    eng.dispose()
    upgrade(empty_db)
    eng = create_engine(empty_db)
    with eng.begin() as c:
        for table in ("reference_items", "sync_records", "sync_state"):
            assert c.execute(text(f"SELECT connection_id FROM {table}")).scalar_one() == "con_1", table
        assert c.execute(text("SELECT accounting_connection_id FROM vendors")).scalar_one() == "con_1"
        assert c.execute(text("SELECT lease_token FROM connections")).scalar_one() == 0
        # an old connection stays beside the new one; two connected ones are refused
        c.execute(text("UPDATE connections SET status = 'disconnected'"))
        c.execute(text("INSERT INTO connections (id, org_id, platform, sandbox, status, config, health, created_at, "
                       "lease_token) VALUES ('con_2', 'org_1', 'quickbooks', true, 'connected', '{}', '{}', :now, 0)"),
                  {"now": now})
    with pytest.raises(Exception):
        with eng.begin() as c:
            c.execute(text("INSERT INTO connections (id, org_id, platform, sandbox, status, config, health, "
                           "created_at, lease_token) VALUES ('con_3', 'org_1', 'quickbooks', true, 'connected', "
                           "'{}', '{}', :now, 0)"), {"now": now})
    eng.dispose()
