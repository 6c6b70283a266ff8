"""API keys are stored hashed and can be revoked; a revoked key stops working at once."""
from __future__ import annotations

from sqlalchemy import select

from billpay.db import tables as t

from .conftest import problem


def test_keys_are_hashed_listed_without_secrets_and_revocable(org, container):
    clerk = org.add_user("clerk@acme.test", ["ap_clerk"])
    second = org.post(f"/users/{clerk.user_id}/api-keys").json()["api_key"]
    with container.sessionmaker() as s:
        rows = s.scalars(select(t.ApiKey).where(t.ApiKey.user_id == clerk.user_id)).all()
        assert len(rows) == 2 and all(second.split(".")[1] not in r.secret_hash for r in rows)
    listed = clerk.get(f"/users/{clerk.user_id}/api-keys").json()["data"]
    assert [k["revoked_at"] for k in listed] == [None, None] and "." not in listed[0]["id"]
    assert second.split(".")[1] not in str(listed)
    key_id = second[3:].split(".")[0]
    # a clerk may not revoke the admin's keys, and nobody sees another organization's keys
    problem(clerk.client.delete(f"/api/v1/users/{org.user_id}/api-keys/{key_id}", headers=clerk.h()), 403,
            "forbidden")
    r = clerk.client.delete(f"/api/v1/users/{clerk.user_id}/api-keys/{key_id}", headers=clerk.h())
    assert r.status_code == 204, r.text
    problem(clerk.client.get("/api/v1/bills", headers={"Authorization": f"Bearer {second}"}), 401, "unauthorized")
    assert clerk.get("/bills").status_code == 200  # the other key still works
    assert org.client.delete(f"/api/v1/users/{clerk.user_id}/api-keys/{key_id}", headers=org.h()).status_code == 204
    actions = [e["action"] for e in org.get("/audit-events").json()["data"]]
    assert actions.count("api_key.revoked") == 1


def test_a_key_of_another_user_is_not_found_under_this_user(org):
    clerk = org.add_user("clerk@acme.test", ["ap_clerk"])
    admin_key_id = org.key[3:].split(".")[0]
    problem(org.client.delete(f"/api/v1/users/{clerk.user_id}/api-keys/{admin_key_id}", headers=org.h()), 404,
            "api_key_not_found")
    assert org.get("/bills").status_code == 200
