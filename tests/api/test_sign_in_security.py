"""Sign-in: the rate limit holds across processes (it lives in the database), and each sign-in starts a
new session."""
from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from billpay.web.app import create_app

from ..conftest import make_container

PASSWORD = "correct horse battery"


def _form(client: TestClient, email: str, password: str):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0] if "csrf_token" in page.text else ""
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       follow_redirects=False)


def test_lockout_is_shared_by_every_process_and_ends_with_its_window(db_url, tmp_path, org):
    # two web processes = two apps, each with its own memory, on one database
    a, b = make_container(db_url, tmp_path / "a"), make_container(db_url, tmp_path / "b")
    now = [dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)]
    for c in (a, b):
        c.settings.login_rate_limit = 3
        c.now = lambda: now[0]
    with TestClient(create_app(a, mount_sandboxes=False)) as one, TestClient(create_app(b, mount_sandboxes=False)) as two:
        assert _form(one, "admin@acme.test", "wrong-1").status_code == 401
        assert _form(two, "admin@acme.test", "wrong-2").status_code == 401
        assert _form(one, "admin@acme.test", "wrong-3").status_code == 401
        locked = _form(two, "admin@acme.test", PASSWORD)  # even the right password, on the other process
        assert locked.status_code == 429 and "paused" in locked.text
        now[0] += dt.timedelta(minutes=16)
        assert _form(two, "admin@acme.test", PASSWORD).status_code == 303
    a.engine.dispose()
    b.engine.dispose()


def test_each_sign_in_starts_a_new_session(client, org):
    page = client.get("/login")
    planted = page.cookies.get("billpay_session")  # the session before sign-in (a planted one would do the same)
    old_token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"email": "admin@acme.test", "password": PASSWORD, "csrf_token": old_token},
                    follow_redirects=False)
    assert r.status_code == 303
    signed_in = r.cookies.get("billpay_session")
    assert signed_in and signed_in != planted
    # the CSRF token of the session before sign-in no longer works
    r = client.post("/settings/inbox", data={"csrf_token": old_token}, follow_redirects=False)
    assert r.status_code in (303, 403) and "/login" not in r.headers.get("location", "")
    r2 = client.get("/settings")
    assert r2.status_code == 200
    new_token = r2.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert new_token != old_token


def test_every_page_form_post_needs_the_csrf_token(client, org):
    import re

    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/login", data={"email": "admin@acme.test", "password": PASSWORD, "csrf_token": token},
                       follow_redirects=False).status_code == 303
    def walk(routes, page=False):  # noqa: ANN001, ANN202  (routers included into the app, at any depth)
        for r in routes:
            inner = getattr(r, "original_router", None)
            if inner is not None:  # page routers are kept out of the OpenAPI document
                yield from walk(inner.routes, page or r.include_context.include_in_schema is False)
            elif page and "POST" in (getattr(r, "methods", None) or ()):
                yield r.path

    posts = [p for p in walk(client.app.routes) if p != "/login"]
    assert len(posts) >= 15
    for path in posts:
        url = re.sub(r"\{[^}]+\}", "x", path)
        r = client.post(url, data={"csrf_token": "forged"}, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
