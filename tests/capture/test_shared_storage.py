"""Serve and a separate worker (another data dir, as on another machine) see the same documents."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from billpay.bootstrap import build
from billpay.config import Settings
from billpay.db import tables as t
from billpay.services.orgs import create_organization
from billpay.storage import DatabaseStorage
from billpay.sync.worker import run_until_idle
from billpay.web.app import create_app

from ..api.conftest import Org, problem
from ..conftest import SECRET, _truncate_pg

UBL = (Path(__file__).resolve().parents[1] / "fixtures/documents/ubl-invoice.xml").read_bytes()
COULD_NOT_READ = "billpay could not read this document"


class Deployment:
    """One database, a ``serve`` container and a ``worker`` container that share nothing on disk."""

    def __init__(self, tmp_path: Path, db_url: str, **storage) -> None:  # noqa: ANN003
        def container(name: str):  # noqa: ANN202
            return build(Settings(data_dir=tmp_path / name, database_url=db_url, secret_key=SECRET,
                                  smtp_enabled=False, **storage))

        self.serve, self.worker = container("serve"), container("worker")
        self.client = TestClient(create_app(self.serve, mount_sandboxes=False), raise_server_exceptions=False)
        self.other = TestClient(create_app(self.worker, mount_sandboxes=False), raise_server_exceptions=False)
        with self.serve.sessionmaker() as s, s.begin():
            out = create_organization(s, self.serve.vault, name="Acme", admin_email="admin@acme.test",
                                      admin_password="correct horse battery")
        self.org = Org(out.organization_id, out.user_id, out.api_key, self.client)

    def upload(self, data: bytes = UBL, name: str = "invoice.xml") -> dict:
        r = self.client.post("/api/v1/bills", files={"file": (name, data, "application/xml")}, headers=self.org.h())
        assert r.status_code == 201, r.text
        return r.json()

    def bill(self, bill_id: str) -> dict:
        return self.org.get(f"/bills/{bill_id}").json()

    def close(self) -> None:
        for c in (self.client, self.other):
            c.close()
        for c in (self.serve, self.worker):
            c.close()


@pytest.fixture(params=[pytest.param("database", marks=pytest.mark.postgres),
                        pytest.param("s3", marks=[pytest.mark.postgres, pytest.mark.s3])])
def shared(request, tmp_path):  # noqa: ANN201
    url = request.getfixturevalue("pg_migrated")
    _truncate_pg(url)
    storage = {}  # database: the default when the database is PostgreSQL
    if request.param == "s3":
        endpoint, bucket_url = request.getfixturevalue("s3_storage")
        storage = {"storage": bucket_url, "s3_endpoint_url": endpoint}
    d = Deployment(tmp_path, url, **storage)
    yield d
    d.close()


def test_a_worker_on_another_machine_reads_and_extracts_what_serve_stored(shared):
    bill = shared.upload()
    assert bill["extraction_status"] == "pending"
    assert run_until_idle(shared.worker) >= 1
    bill = shared.bill(bill["id"])
    assert bill["extraction_status"] == "ok", bill["warnings"]
    assert bill["amount"] == "121.00" and bill["due_date"] == "2024-03-02"
    assert not any(COULD_NOT_READ in w["message"] for w in bill["warnings"])
    assert not list((shared.serve.settings.data_dir / "files").rglob("*"))  # nothing was kept on serve's disk
    # any instance serves the original, byte for byte
    other = shared.other.get(f"/api/v1/bills/{bill['id']}/document", headers=shared.org.h())
    assert other.status_code == 200 and other.content == UBL


def test_a_damaged_or_missing_original_is_a_clear_outcome_not_a_crash(shared):
    bill = shared.upload()
    with shared.serve.sessionmaker() as s:
        key = s.scalar(select(t.Document.storage_key))
    if isinstance(shared.serve.storage, DatabaseStorage):
        with shared.serve.engine.begin() as c:
            c.execute(update(t.DocumentBlob).where(t.DocumentBlob.key == key).values(data=b"<Invoice/>"))
    else:
        s3 = shared.serve.storage
        s3.client.put_object(Bucket=s3.bucket, Key=s3.prefix + key, Body=b"<Invoice/>")
    run_until_idle(shared.worker)
    after = shared.bill(bill["id"])
    assert after["extraction_status"] == "failed" and after["amount"] is None
    assert [w["code"] for w in after["warnings"]] == ["extraction_failed"]
    assert COULD_NOT_READ in after["warnings"][0]["message"]
    with shared.serve.sessionmaker() as s:  # decided at once: no retries left queued for a file that stays bad
        job = s.scalar(select(t.Outbox).where(t.Outbox.kind == "extract"))
        assert job.status == "done" and job.attempts == 1
        audit = s.scalar(select(t.AuditEvent).where(t.AuditEvent.action == "bill.extraction_failed"))
        assert audit.after["detail"].startswith("document_corrupt")
    problem(shared.org.get(f"/bills/{bill['id']}/document"), 500, "document_corrupt")
    shared.serve.storage.delete(key)
    body = problem(shared.org.get(f"/bills/{bill['id']}/document"), 404, "document_missing")
    assert "BILLPAY_STORAGE" in body["detail"]


def test_with_local_storage_each_machine_sees_only_its_own_disk(tmp_path, sqlite_url):
    """The failure of the issue, kept as the honest outcome of a misconfiguration: told at once and clearly."""
    d = Deployment(tmp_path, sqlite_url, storage="local")
    try:
        bill = d.upload()
        run_until_idle(d.worker)
        after = d.bill(bill["id"])
        assert after["extraction_status"] == "failed"
        assert COULD_NOT_READ in after["warnings"][0]["message"]
        with d.serve.sessionmaker() as s:
            assert s.scalar(select(t.Outbox.status).where(t.Outbox.kind == "extract")) == "done"
        problem(d.other.get(f"/api/v1/bills/{bill['id']}/document", headers=d.org.h()), 404, "document_missing")
        assert d.org.get(f"/bills/{bill['id']}/document").content == UBL  # serve's own disk has it
    finally:
        d.close()
