"""The demo organization: vendors, bills in several statuses, connected to a built-in platform sandbox
(the first of the platform registry unless another platform is asked for; the Connections page offers the
others, one click away)."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from .connectors import registry
from .db import tables as t
from .services import accounting, bills, orgs, vendors
from .services.context import Actor
from .sync import company_facts, engine
from .sync.worker import run_until_idle

log = logging.getLogger("billpay.demo")
DEMO_EMAIL = "admin@demo.billpay.local"
DEMO_PASSWORD = "billpay-demo"  # demo only; printed by `billpay demo`

VENDORS = [
    {"name": "Northwind Office Supply", "email": "billing@northwind.example", "routing_number": "021000021",
     "account_number": "4432109876", "default_terms": "Net 30",
     "address": {"line1": "12 Harbor St", "city": "Boston", "state": "MA", "postal_code": "02110", "country": "US"}},
    {"name": "Contoso Cloud Hosting", "email": "ar@contoso.example", "routing_number": "011000015",
     "account_number": "99887766", "default_terms": "Net 15"},
    {"name": "Fabrikam Facilities", "email": "invoices@fabrikam.example", "default_terms": "Due on receipt",
     "address": {"line1": "400 Pine Ave", "city": "Albany", "state": "NY", "postal_code": "12207", "country": "US"}},
    {"name": "Lucerne Legal LLP", "email": "accounts@lucerne.example", "iban": "DE89370400440532013000",
     "bic": "COBADEFFXXX", "default_terms": "Net 30", "default_currency": "EUR"},
]


def _expense_account(item: t.ReferenceItem) -> bool:
    extra = item.extra or {}
    return extra.get("account_type") in ("Expense", "Other Expense", "Cost of Goods Sold") or \
        "expense" in str(extra.get("category") or "").lower()


def demo_platform(name: str | None = None) -> registry.PlatformPlugin | None:
    """The platform the demo connects: ``name``, else the first of the registry with a built-in sandbox."""
    if name:
        return registry.get(name)
    return next((p for p in registry.plugins() if p.sandbox), None)


def seed_demo(container, public_url: str = "http://127.0.0.1:8000", platform: str | None = None) -> dict:  # noqa: ANN001
    """Create the demo organization once, connected to a built-in sandbox (``platform``'s, else the first);
    later runs reuse it and print a fresh API key."""
    container.settings.public_url = public_url
    with container.sessionmaker() as s:
        user = s.scalars(select(t.User).where(t.User.email == DEMO_EMAIL)).first()
    if user is not None:
        with container.tx(Actor(user.org_id, user.id, frozenset(user.roles))) as ctx:
            key = orgs.create_api_key(ctx, user.id)
        return {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "api_key": key, "organization_id": user.org_id}
    with container.sessionmaker() as s, s.begin():
        created = orgs.create_organization(s, container.vault, name="Demo Co", admin_email=DEMO_EMAIL,
                                           admin_password=DEMO_PASSWORD, admin_name="Dana Admin")
    admin = Actor(created.organization_id, created.user_id, frozenset({"admin"}))
    with container.tx(admin) as ctx:
        orgs.create_user(ctx, email="clerk@demo.billpay.local", name="Casey Clerk", roles=["ap_clerk"],
                         password=DEMO_PASSWORD)
        approver = orgs.create_user(ctx, email="approver@demo.billpay.local", name="Avery Approver",
                                    roles=["approver"], password=DEMO_PASSWORD)
        # The second person for bank details: verifies what the admin or the clerk entered.
        accountant = orgs.create_user(ctx, email="accountant@demo.billpay.local", name="Alex Accountant",
                                      roles=["accountant"], password=DEMO_PASSWORD)
        ctx.session.flush()
        accountant_id = accountant.id
        orgs.update_settings(ctx, {"pull_bills_enabled": True,
                                   "pull_start_date": (dt.date.today() - dt.timedelta(days=90)).isoformat()})
        org = ctx.session.get(t.Organization, ctx.org_id)
        org.approval_policy = {"steps": [{"name": "Over $5,000", "min_amount": "5000",
                                          "approvers": [{"user_id": approver.id}, {"role": "admin"}],
                                          "required": "any"}]}
    connected = False
    platform = demo_platform(platform)
    try:
        if platform is None:
            raise LookupError("no platform has a built-in sandbox")
        with container.tx(admin) as ctx:
            accounting.connect(ctx, container, {"platform": platform.name, "sandbox": True})
        engine.refresh_reference(container, created.organization_id)
        company_facts.refresh(container, created.organization_id)
        connected = True
    except Exception:  # the demo still works without the sandbox, just unconnected
        log.exception("could not connect the demo to a built-in sandbox")
    with container.tx(admin) as ctx:
        platform_vendors = accounting.reference_items(ctx, "vendors") if connected else []
        accounts = [r for r in accounting.reference_items(ctx, "accounts") if r.active and _expense_account(r)] \
            if connected else []
        made = []
        for i, data in enumerate(VENDORS):
            body = dict(data)
            if i < len(platform_vendors) and i < 3:  # the same vendor on both sides, mapped
                body["accounting_vendor_id"] = platform_vendors[i].external_id
                body["name"] = platform_vendors[i].name
            made.append(vendors.create_vendor(ctx, body))
        ctx.session.flush()
        vendor_ids = [v.id for v in made]
    # Three vendors' bank details verified by the accountant; Lucerne's wait, so the flow can be tried.
    with container.tx(Actor(created.organization_id, accountant_id, frozenset({"accountant"}))) as ctx:
        for vendor_id in vendor_ids[:3]:
            if ctx.get(t.Vendor, vendor_id).pending_bank_details_enc:
                vendors.verify_bank_details(ctx, vendor_id)
    with container.tx(admin) as ctx:
        made = [ctx.get(t.Vendor, i) for i in vendor_ids]
        gl = accounts[0].external_id if accounts else None
        today = dt.date.today()
        specs = [
            (made[0], "NW-10421", "412.50", 20, "in_review"),
            (made[1], "CC-2026-118", "1899.00", 12, "in_review"),
            (made[2], "FAB-7781", "6250.00", 9, "confirmed"),
            (made[0], "NW-10388", "96.20", 40, "open"),
            (made[1], "CC-2026-097", "1899.00", 45, "open"),
        ]
        for vendor, number, amount, age, status in specs:
            b = bills.create_bill(ctx, {"vendor_id": vendor.id, "invoice_number": number, "amount": amount,
                                        "invoice_date": (today - dt.timedelta(days=age)).isoformat(),
                                        "memo": f"{vendor.name} invoice",
                                        **({"attributes": {"gl_account": gl}} if gl else {})}, source="api")
            if status in ("confirmed", "open"):
                bills.confirm_bill(ctx, b.id)
            if status == "open":
                bills.send_to_payments(ctx, b.id, method="ach")
    if connected:
        run_until_idle(container)
    with container.tx(admin) as ctx:
        key = orgs.create_api_key(ctx, created.user_id)
    return {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "api_key": key,
            "organization_id": created.organization_id}
