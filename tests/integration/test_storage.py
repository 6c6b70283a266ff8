"""Every document storage backend (local dir, PostgreSQL, S3-compatible server) passes the same checks."""
from __future__ import annotations

import json
import socket

import boto3
import pytest
from sqlalchemy import func, select, text, update
from typer.testing import CliRunner

from billpay.cli import app
from billpay.config import Settings
from billpay.db.engine import make_engine
from billpay.db.tables import DocumentBlob
from billpay.storage import (
    DatabaseStorage,
    LocalFallback,
    LocalStorage,
    ObjectCorrupt,
    ObjectMissing,
    S3Storage,
    StorageError,
    copy_local,
    open_storage,
)
from billpay.storage.s3 import parse_url

from ..conftest import _truncate_pg

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Backend:
    """A store plus the backend-specific ways a test damages or counts what it holds."""

    def __init__(self, store, corrupt, count) -> None:  # noqa: ANN001
        self.store, self.corrupt, self.count = store, corrupt, count


def _local(tmp_path) -> Backend:
    store = LocalStorage(tmp_path / "files")
    return Backend(store, lambda key, data: (store.root / key).write_bytes(data),
                   lambda: sum(1 for _ in store.keys()))


def _database(url: str) -> Backend:
    _truncate_pg(url)
    engine = make_engine(url)

    def corrupt(key: str, data: bytes) -> None:
        with engine.begin() as c:
            c.execute(update(DocumentBlob).where(DocumentBlob.key == key).values(data=data))

    def count() -> int:
        with engine.connect() as c:
            return c.scalar(select(func.count()).select_from(DocumentBlob))

    return Backend(DatabaseStorage(engine), corrupt, count)


def _s3(endpoint: str, url: str) -> Backend:
    store = S3Storage.from_url(url, endpoint_url=endpoint)
    raw = boto3.client("s3", endpoint_url=endpoint)
    return Backend(store, lambda key, data: raw.put_object(Bucket=store.bucket, Key=store.prefix + key, Body=data),
                   lambda: raw.list_objects_v2(Bucket=store.bucket, Prefix=store.prefix).get("KeyCount", 0))


@pytest.fixture(params=["local", pytest.param("database", marks=pytest.mark.postgres),
                        pytest.param("s3", marks=pytest.mark.s3)])
def backend(request, tmp_path):  # noqa: ANN201
    if request.param == "local":
        yield _local(tmp_path)
    elif request.param == "database":
        b = _database(request.getfixturevalue("pg_migrated"))
        yield b
        b.store.close()
    else:
        yield _s3(*request.getfixturevalue("s3_storage"))


def test_same_bytes_are_stored_once_under_a_tenant_scoped_key(backend):
    store = backend.store
    key, sha = store.put("org_a", PDF)
    assert key == f"org_a/{sha[:2]}/{sha}" and store.put("org_a", PDF) == (key, sha)
    assert store.get(key) == PDF and store.exists(key)
    assert backend.count() == 1
    eml, _ = store.put("org_a", PDF, ".eml")
    assert eml == key + ".eml" and store.get(eml) == PDF
    other, _ = store.put("org_b", PDF)
    assert other.startswith("org_b/") and other != key and backend.count() == 3
    store.delete(key)
    assert not store.exists(key) and store.get(other) == PDF  # another organization's copy is untouched
    store.delete(key)  # deleting what is gone is a no-op


def test_missing_and_damaged_objects_are_refused_with_their_own_codes(backend):
    store = backend.store
    key, sha = store.put("org_a", PDF)
    with pytest.raises(ObjectMissing) as missing:
        store.get(f"org_a/{'0' * 2}/{'0' * 64}")
    assert missing.value.code == "document_missing" and "BILLPAY_STORAGE" in missing.value.detail
    backend.corrupt(key, PDF.replace(b"obj", b"jbo"))
    with pytest.raises(ObjectCorrupt) as damaged:
        store.get(key)  # never the wrong bytes
    assert damaged.value.code == "document_corrupt"


def test_keys_that_could_leave_their_place_are_refused(backend):
    store = backend.store
    for org, suffix in (("../etc", ""), ("org_a/x", ""), ("", ""), ("org_a", "/../../x"), ("org_a", "\\x")):
        with pytest.raises(ValueError):
            store.put(org, PDF, suffix)
    for key in ("../../etc/passwd", "org_a/../../x", "org_a/ab/" + "0" * 64, "org_a/00/" + "0" * 64 + "/x"):
        with pytest.raises(ValueError):
            store.get(key)


def test_an_unreachable_backend_is_a_storage_error_not_a_crash(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]  # nothing listens here once the socket is closed
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    stores = [S3Storage("bucket", endpoint_url=f"http://127.0.0.1:{dead}"),
              DatabaseStorage(make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{dead}/postgres"))]
    for store in stores:
        with pytest.raises(StorageError) as e:
            store.put("org_a", PDF)
        assert e.value.code == "storage_unavailable" and e.value.status == 503
        with pytest.raises(StorageError):
            store.get("org_a/00/" + "0" * 64)


def test_the_choice_follows_the_settings(tmp_path, pg_migrated, s3_storage):
    def settings(**kw) -> Settings:
        return Settings(data_dir=tmp_path / "d", secret_key="k" * 32, **kw)

    sqlite = settings()
    assert sqlite.resolved_storage == "local"
    assert isinstance(open_storage(sqlite, make_engine(sqlite.resolved_database_url)), LocalStorage)
    pg = settings(database_url=pg_migrated)
    engine = make_engine(pg_migrated)
    db = open_storage(pg, engine)
    assert pg.resolved_storage == "database" and isinstance(db, DatabaseStorage)
    db.close()
    assert isinstance(open_storage(settings(database_url=pg_migrated, storage="local"), engine), LocalStorage)
    endpoint, url = s3_storage
    s3 = open_storage(settings(storage=url, s3_endpoint_url=endpoint), engine)
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == parse_url(url)
    engine.dispose()
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        open_storage(settings(storage="database"), make_engine(sqlite.resolved_database_url))
    for bad in ("disk", "s3://", "s3:///prefix", "ftp://bucket"):
        with pytest.raises(ValueError, match="BILLPAY_STORAGE"):
            settings(storage=bad)
    assert parse_url("s3://b") == ("b", "") and parse_url("s3://b/x/y/") == ("b", "x/y/")


@pytest.mark.postgres
def test_files_left_in_the_data_dir_stay_readable_and_can_be_imported(tmp_path, pg_migrated, monkeypatch):
    """Upgrading a PostgreSQL deployment switches it to database storage; older files are not lost."""
    _truncate_pg(pg_migrated)
    old = LocalStorage(tmp_path / "d" / "files")
    key, _ = old.put("org_a", PDF)
    bank, _ = old.put("org_a", b"101 ACH file", "-ACH 2026-11-02.txt")
    broken, _ = old.put("org_b", b"will be damaged")
    (old.root / broken).write_bytes(b"damaged")
    engine = make_engine(pg_migrated)
    store = open_storage(Settings(data_dir=tmp_path / "d", database_url=pg_migrated, secret_key="k" * 32), engine)
    assert isinstance(store, LocalFallback) and store.get(key) == PDF  # serve still shows them
    elsewhere = DatabaseStorage(engine)  # a worker on another machine does not, until they are imported
    with pytest.raises(ObjectMissing):
        elsewhere.get(key)
    for name, value in (("DATA_DIR", str(tmp_path / "d")), ("DATABASE_URL", pg_migrated), ("SECRET_KEY", "k" * 32)):
        monkeypatch.setenv(f"BILLPAY_{name}", value)
    out = CliRunner().invoke(app, ["storage", "import-local"])
    assert out.exit_code == 1 and json.loads(out.stdout) == {"copied": 2, "already_there": 0, "damaged": [broken]}
    assert elsewhere.get(key) == PDF and elsewhere.get(bank) == b"101 ACH file"
    assert copy_local(old, store.primary).already_there == 2  # running it again copies nothing
    monkeypatch.setenv("BILLPAY_STORAGE", "local")
    assert CliRunner().invoke(app, ["storage", "import-local"]).exit_code == 2
    with engine.connect() as c:
        assert c.scalar(text("SELECT count(*) FROM document_blobs")) == 2
    store.close()
    elsewhere.close()
    engine.dispose()
