"""Shared fixtures. Tests that take ``db_url`` run twice: on SQLite and on a real PostgreSQL server."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import boto3
import pytest
from sqlalchemy import create_engine, text

from billpay.bootstrap import Container, build
from billpay.config import Settings
from billpay.db.migrate import upgrade
from billpay.db.tables import Base

from .services import Postgres, Redis, S3Server

SECRET = "test-secret-key-" + "x" * 32


@pytest.fixture(scope="session")
def pg_server():
    url = os.environ.get("BILLPAY_TEST_PG_URL")
    if url:
        yield url
        return
    pg = Postgres()
    try:
        url = pg.start()
    except Exception as e:
        pg.stop()
        raise RuntimeError(f"could not start PostgreSQL for the tests: {e}") from e
    try:
        yield url
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def redis_url():
    r = Redis()
    try:
        yield r.start()
    finally:
        r.stop()


@pytest.fixture(scope="session")
def s3_server():
    server = S3Server()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def s3_storage(s3_server, monkeypatch) -> tuple[str, str]:
    """(endpoint, ``s3://bucket/prefix``) of a fresh bucket; the AWS_* variables boto3 reads point at it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "billpay-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "billpay-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"billpay-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket=bucket)
    return s3_server, f"s3://{bucket}/documents"


@pytest.fixture(scope="session")
def pg_migrated(pg_server):
    base = pg_server.rsplit("/", 1)[0]
    eng = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS billpay_test"))
        c.execute(text("CREATE DATABASE billpay_test"))
    eng.dispose()
    url = f"{base}/billpay_test"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    import sqlite3

    with sqlite3.connect(path) as con:  # fold the WAL into the file before it is copied
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _truncate_pg(url: str) -> None:
    eng = create_engine(url)
    with eng.begin() as c:
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "billpay.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_migrated")
    _truncate_pg(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template):
    path = tmp_path / "billpay.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def make_container(url: str, data_dir: Path) -> Container:
    return build(Settings(data_dir=data_dir, database_url=url, secret_key=SECRET, smtp_enabled=False,
                          allowed_platform_hosts="127.0.0.1,localhost"))


@pytest.fixture
def container(db_url, tmp_path):
    c = make_container(db_url, tmp_path / "data")
    yield c
    c.close()
