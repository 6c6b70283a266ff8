"""billpay secrets rotate: every secret at rest re-encrypted under a new key, all or nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from billpay.crypto import Vault
from billpay.db import tables as t
from billpay.services.context import Actor
from billpay.services.orgs import create_organization
from billpay.services.secrets_rotation import rotate
from billpay.services.vendors import create_vendor, pending_bank_details

from ..conftest import SECRET

NEW = "n" * 48


def _seed(container):
    with container.sessionmaker() as s, s.begin():
        org = create_organization(s, container.vault, name="Acme", admin_email="a@acme.test")
    with container.tx(Actor.system(org.organization_id)) as ctx:
        v = create_vendor(ctx, {"name": "Paper", "routing_number": "021000021", "account_number": "123456789"})
        ctx.session.flush()
        return org.organization_id, v.id


def test_rotation_moves_every_secret_to_the_new_key(container):
    org_id, vendor_id = _seed(container)
    with container.sessionmaker() as s, s.begin():
        s.add(t.Connection(id="con_1", org_id=org_id, platform="quickbooks", status="connected", config={},
                           secrets_enc=container.vault.encrypt({"client_secret": "cs", "tokens": {"a": "b"}}),
                           health={"pending_oauth": container.vault.encrypt({"client_secret": "x"})}))
    old, new = Vault(SECRET), Vault(NEW)
    with container.sessionmaker() as s, s.begin():
        counts = rotate(s, old, new)
    assert counts == {"organizations": 1, "vendors": 1, "connections": 1, "pending_oauth": 1}
    with container.sessionmaker() as s:
        conn = s.get(t.Connection, "con_1")
        assert new.decrypt_json(conn.secrets_enc)["client_secret"] == "cs"
        assert new.decrypt_json(conn.health["pending_oauth"]) == {"client_secret": "x"}
        with pytest.raises(ValueError):
            old.decrypt(conn.secrets_enc)
        assert new.decrypt(s.get(t.Organization, org_id).inbox_secret_enc)
    container.vault = new
    with container.tx(Actor.system(org_id)) as ctx:
        # a new vendor's first details wait for a second person: the pending ones moved to the new key too
        assert pending_bank_details(ctx, ctx.get(t.Vendor, vendor_id)).account_number == "123456789"


def test_a_secret_the_old_key_cannot_read_stops_the_rotation(container):
    org_id, _ = _seed(container)
    with container.sessionmaker() as s, s.begin():
        s.add(t.Connection(id="con_2", org_id=org_id, platform="quickbooks", status="connected", config={},
                           secrets_enc=Vault("o" * 40).encrypt({"x": 1})))
    with container.sessionmaker() as s:
        before = s.scalars(select(t.Vendor.bank_details_enc)).all()
    with pytest.raises(ValueError, match="con_2"):
        with container.sessionmaker() as s, s.begin():
            rotate(s, Vault(SECRET), Vault(NEW))
    with container.sessionmaker() as s:
        assert s.scalars(select(t.Vendor.bank_details_enc)).all() == before  # nothing written


def test_the_cli_rotates_the_key_file_and_the_data_stays_readable(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    bin_ = Path(sys.executable).parent / "billpay"
    env = {**os.environ, "BILLPAY_DATA_DIR": str(tmp_path / "data")}
    env.pop("BILLPAY_DATABASE_URL", None)
    env.pop("BILLPAY_SECRET_KEY", None)
    subprocess.run([str(bin_), "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    created = json.loads(subprocess.run([str(bin_), "org", "create", "--name", "Acme", "--admin-email",
                                         "a@acme.test"], env=env, check=True, capture_output=True,
                                        text=True, timeout=120).stdout)
    key_file = tmp_path / "data" / "secret.key"
    before = key_file.read_text()
    out = subprocess.run([str(bin_), "secrets", "rotate"], env=env, check=True, capture_output=True, text=True,
                         timeout=120)
    assert json.loads(out.stdout)["re_encrypted"] == {"organizations": 1}
    after = key_file.read_text()
    assert after != before and len(after) >= 32 and oct(key_file.stat().st_mode)[-3:] == "600"
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "billpay.sqlite3") as con:
        (enc,) = con.execute("SELECT inbox_secret_enc FROM organizations WHERE id = ?",
                             (created["organization_id"],)).fetchone()
    assert Vault(after).decrypt(enc)
