"""The web app served for real (uvicorn in a thread) and driven by headless Chromium.

Each test gets a fresh SQLite database and data dir, an organization with an
admin, an AP clerk and an approver, and the app on a free port. Background
work does not run by itself: tests drain the outbox with ``run_until_idle``
between steps, as a worker would.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from billpay.bootstrap import Container
from billpay.services.context import Actor

from ..conftest import make_container

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
SHARED = Path(os.environ.get("BILLPAY_SHARED_DIR", ROOT.parent / "shared"))
PASSWORD = "correct-horse-battery"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _invoice_dir() -> Path:
    candidate = SHARED / "data" / "invoices" / "dev"
    if candidate.exists():
        return candidate
    pytest.skip("the invoice samples are not available on this machine")


@dataclass
class Live:
    url: str
    container: Container
    org_id: str
    users: dict[str, str] = field(default_factory=dict)  # role name -> user id
    emails: dict[str, str] = field(default_factory=dict)

    def actor(self, who: str = "admin") -> Actor:
        roles = {"admin": {"admin"}, "clerk": {"ap_clerk"}, "approver": {"approver"},
                 "accountant": {"accountant"}}[who]
        return Actor(self.org_id, self.users[who], frozenset(roles))

    def tx(self, who: str = "admin"):  # noqa: ANN201
        return self.container.tx(self.actor(who))

    def verify_bank(self, vendor_id: str) -> None:
        """Bank details always need a second person: the accountant verifies what someone else entered."""
        from billpay.services import vendors

        with self.tx("accountant") as ctx:
            vendors.verify_bank_details(ctx, vendor_id)

    def drain(self) -> int:
        from billpay.sync.worker import run_until_idle

        return run_until_idle(self.container)

    def set_clock(self, when: dt.datetime) -> None:
        self.container.now = lambda: when


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live(sqlite_url, tmp_path):  # noqa: ANN001, ANN201
    import uvicorn

    from billpay.services import orgs
    from billpay.web.app import create_app

    port = _free_port()
    c = make_container(sqlite_url, tmp_path / "data")
    c.settings.public_url = f"http://127.0.0.1:{port}"
    c.settings.login_rate_limit = 5
    with c.sessionmaker() as s, s.begin():
        created = orgs.create_organization(s, c.vault, name="Acme Manufacturing", admin_email="ada@acme.test",
                                           admin_password=PASSWORD, admin_name="Ada Admin")
    live = Live(f"http://127.0.0.1:{port}", c, created.organization_id, {"admin": created.user_id},
                {"admin": "ada@acme.test", "clerk": "carl@acme.test", "approver": "ana@acme.test",
                 "accountant": "alex@acme.test"})
    with live.tx() as ctx:
        live.users["clerk"] = orgs.create_user(ctx, email="carl@acme.test", name="Carl Clerk", roles=["ap_clerk"],
                                               password=PASSWORD).id
        live.users["approver"] = orgs.create_user(ctx, email="ana@acme.test", name="Ana Approver",
                                                  roles=["approver"], password=PASSWORD).id
        live.users["accountant"] = orgs.create_user(ctx, email="alex@acme.test", name="Alex Accountant",
                                                    roles=["accountant"], password=PASSWORD).id
    server = uvicorn.Server(uvicorn.Config(create_app(c, start_jobs=False), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="billpay-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.02)
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(10)
        c.engine.dispose()


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_page(browser, live):  # noqa: ANN001, ANN201
    """Open a fresh browser context (own cookies) per person: ``new_page()`` or ``new_page(width=820)``."""
    contexts = []

    def make(width: int = 1440, height: int = 900):  # noqa: ANN202
        ctx = browser.new_context(viewport={"width": width, "height": height}, base_url=live.url,
                                  timezone_id="America/New_York", locale="en-US")
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def invoices() -> Path:
    return _invoice_dir()


def sign_in(page, live: Live, who: str = "admin") -> None:  # noqa: ANN001
    page.goto("/login")
    page.get_by_label("Work e-mail").fill(live.emails[who])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/bills**")


def shot(page, name: str, *, full_page: bool = True) -> Path:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


DOC_SHOTS = ROOT / "docs" / "screenshots"


def doc_shot(page, name: str, *, full_page: bool = False) -> Path:  # noqa: ANN001
    """A screenshot for the documentation (``docs/screenshots/``, shown in the README)."""
    DOC_SHOTS.mkdir(parents=True, exist_ok=True)
    path = DOC_SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def csrf_of(page) -> str:  # noqa: ANN001
    return page.locator('input[name="csrf_token"]').first.get_attribute("value")
