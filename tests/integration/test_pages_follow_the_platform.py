"""The web app, the demo and the CLI speak of the connected platform's plugin, never of a fixed platform: bill and
mapping-rule forms offer the connected platform's dimensions, and the Connections page offers every built-in
sandbox (the demo connected to the first, the others one click away)."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from billpay.cli import app as cli_app
from billpay.connectors import registry
from billpay.db import tables as t
from billpay.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from billpay.services import bills, mapping_rules, orgs, vendors
from billpay.services.context import Actor
from billpay.sync.worker import run_until_idle
from billpay.web.app import create_app

from ..conftest import make_container

PASSWORD = "correct horse battery"


def _signed_in(container, email: str, password: str) -> TestClient:
    client = TestClient(create_app(container), base_url="http://127.0.0.1:8000", follow_redirects=False)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf})
    assert r.status_code in (302, 303), r.text
    return client


def _csrf(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


@pytest.fixture
def admin(sqlite_url, tmp_path):
    container = make_container(sqlite_url, tmp_path / "data")
    with container.sessionmaker() as s, s.begin():
        out = orgs.create_organization(s, container.vault, name="Acme", admin_email="admin@acme.test",
                                       admin_password=PASSWORD)
    yield container, Actor(out.organization_id, out.user_id, frozenset({"admin"})), \
        _signed_in(container, "admin@acme.test", PASSWORD)
    container.close()


def test_the_connections_page_offers_every_built_in_sandbox(admin):
    _, _, client = admin
    page = client.get("/connections")
    assert page.status_code == 200, page.text
    for plugin in registry.plugins():
        if plugin.sandbox:
            assert f'action="/connections/{plugin.name}/sandbox"' in page.text, plugin.name
    assert "Coming soon" not in page.text  # no platform named outside its plugin


def test_bill_and_rule_forms_use_the_connected_platforms_dimensions(admin):
    container, actor, client = admin
    r = client.post("/connections/netsuite/sandbox", data={"csrf_token": _csrf(client, "/connections")})
    assert r.status_code in (302, 303), r.text
    run_until_idle(container)
    with container.tx(actor) as ctx:
        sub = ctx.session.scalars(select(t.ReferenceItem.external_id).where(
            t.ReferenceItem.org_id == ctx.org_id, t.ReferenceItem.kind == "subsidiaries")).first()
        vendor = vendors.create_vendor(ctx, {"name": "Honeycomb Paper"})
        bill = bills.create_bill(ctx, {"vendor_id": vendor.id, "invoice_number": "HP-1", "amount": "40.00",
                                       "invoice_date": "2025-03-03"}, source="api")
    detail = client.get(f"/bills/{bill.id}")
    assert detail.status_code == 200
    assert 'name="attr_subsidiary"' in detail.text and "Subsidiary" in detail.text
    assert 'name="line_subsidiary"' not in detail.text  # NetSuite takes the subsidiary on the bill only
    assert 'name="line_department"' in detail.text
    saved = client.post(f"/bills/{bill.id}", data={"csrf_token": _csrf(client, f"/bills/{bill.id}"),
                                                   "attr_subsidiary": sub})
    assert saved.status_code in (302, 303), saved.text
    with container.tx(actor) as ctx:
        assert ctx.get(t.Bill, bill.id).attributes.get("subsidiary") == sub
    rules_page = client.get("/rules")
    assert 'name="attr_subsidiary"' in rules_page.text
    made = client.post("/rules", data={"csrf_token": _csrf(client, "/rules"), "name": "Paper to the US sub",
                                       "text_contains": "paper", "attr_subsidiary": sub, "priority": "10"})
    assert made.status_code in (302, 303), made.text
    with container.tx(actor) as ctx:
        (rule,) = mapping_rules.list_rules(ctx)
        assert rule.attributes == {"subsidiary": sub}


def test_the_demo_connects_the_first_built_in_sandbox_and_offers_the_others_one_click_away(sqlite_url, tmp_path):
    container = make_container(sqlite_url, tmp_path / "data")
    try:
        seed_demo(container)
        client = _signed_in(container, DEMO_EMAIL, DEMO_PASSWORD)
        page = client.get("/connections")
        assert page.status_code == 200, page.text
        first, *others = [p for p in registry.plugins() if p.sandbox]
        assert first.display_name in page.text and "Sandbox" in page.text  # connected by default
        for plugin in others:
            assert f'action="/connections/{plugin.name}/sandbox"' in page.text, plugin.name
    finally:
        container.close()


def test_cli_help_names_the_platforms_of_the_registry_and_nothing_else():
    runner = CliRunner()
    words = ("quickbooks", "netsuite", "intacct", "business_central", "business central")
    sandbox_help = runner.invoke(cli_app, ["sandbox", "--help"]).output.lower()
    offered = {p.name for p in registry.plugins() if p.sandbox_server}
    assert offered and all(name in sandbox_help for name in offered)
    assert not [w for w in words if w in sandbox_help and w.replace(" ", "_") not in offered]
    for command in ("demo", "serve", "worker"):
        text = runner.invoke(cli_app, [command, "--help"]).output.lower()
        assert not [w for w in words if w in text], command
