"""Business Central benchmark: push bills, sync bill payments and pull bills against the Business Central sandbox.

Run from the repository root::

    .venv/bin/python -m bench.business_central [--bills 1000] [--payments 1000] [--pull 10000] [--latency-ms 50]

It builds the real stack in process, as ``bench.sync`` does for QuickBooks: a migrated SQLite database in a
temporary directory, the container, an organization connected to the built-in Business Central sandbox
through ``PUT /api/v1/accounting/connection {"platform": "business_central", "sandbox": true, "options":
{"payment_journal": "CHECKING"}}`` (reference data loaded by the worker) and billpay vendors mapped to the
company's vendors. With ``latency_ms`` injected on every sandbox API call, and Business Central's per-user
limits on (5 requests in flight, 6,000 per 5 minutes), it measures requests (the sandbox's own count; Entra
token requests are not API requests), wall time and peak RSS of:

1. ``push``: bills with two lines each (two G/L accounts, a DEPARTMENT dimension value) created, confirmed
   and sent to payments through the services, then pushed by the outbox worker (``run_until_idle``).
2. ``payments``: their payments scheduled, released and settled through the services, then
   ``accounting.sync_payments`` and ``run_until_idle``.
3. ``naive``: the same invoices and payments sent the naive way, into a second company through the same
   transport and latency: one request per invoice (``POST purchaseInvoices``), per line
   (``POST …/purchaseInvoiceLines``) and per post (``…/Microsoft.NAV.post``); one request per vendor payment
   line and one journal post per payment.
4. ``pull``: open purchase invoices entered directly in the sandbox company (no HTTP) ten minutes of sandbox
   time before the pull, then ``sync.pull.pull_bills`` (full scan), then again with nothing changed.

Prints a table and one JSON line (``{"bench": "business_central", ...}``) and rewrites its own section of
docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from decimal import Decimal
from pathlib import Path

import httpx

from bench._common import log, machine
from bench._docs import DOCS, write_section
from bench.sync import SECRET, Measure, drain_other_jobs, map_vendors, pending_jobs, settle_payments, sync_states

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Accounting sync (Business Central sandbox, 50 ms latency)"
PLATFORM = "business_central"
#: optimized requests at most this share of the naive baseline's; incremental pull with nothing changed
MAX_SHARE_OF_NAIVE = 0.2
MAX_QUIET_PULL = 1
NAMES = {
    "push": "push bills (worker: lookups, deep inserts and posts in $batch)",
    "push_naive": "push bills, naive (1 request per invoice, per line, per post)",
    "payments": "sync settled payments (worker: $batch, one journal post)",
    "payments_naive": "sync payments, naive (1 request per payment line, 1 post per payment)",
    "pull_full": "pull open bills (first run, full scan)",
    "pull_incremental": "pull again, nothing changed",
}


class Stack:
    """Container + organization + connection to the built-in Business Central sandbox."""

    def __init__(self, workdir: Path) -> None:
        from fastapi.testclient import TestClient

        from billpay.bootstrap import build
        from billpay.config import Settings
        from billpay.db.migrate import upgrade
        from billpay.services.context import Actor
        from billpay.services.orgs import create_organization
        from billpay.sync import builtin_sandbox
        from billpay.sync.worker import run_until_idle
        from billpay.web.app import create_app

        url = f"sqlite:///{workdir / 'billpay.sqlite3'}"
        upgrade(url)
        self.c = build(Settings(data_dir=workdir / "data", database_url=url, secret_key=SECRET, smtp_enabled=False))
        self.clock_offset = dt.timedelta(0)
        real_now = self.c.now
        self.c.now = lambda: real_now() + self.clock_offset
        self.client = TestClient(create_app(self.c), raise_server_exceptions=False)
        with self.c.sessionmaker() as s, s.begin():
            out = create_organization(s, self.c.vault, name="Bench Co", admin_email="admin@bench.test")
        self.org_id, self.user_id, self.api_key = out.organization_id, out.user_id, out.api_key
        self.admin = Actor(self.org_id, self.user_id, frozenset({"admin"}), "user")
        self.sandbox = builtin_sandbox.get(self.c, PLATFORM)
        self.state = self.sandbox.state
        # The built-in sandbox rewrites its JSON state file after every write: that is the demo sandbox's
        # storage, not Business Central, so it is kept out of the figures.
        self.state.persist_path = None
        r = self.api("PUT", "/accounting/connection", {"platform": PLATFORM, "sandbox": True,
                                                       "options": {"payment_journal": "CHECKING"}})
        assert r.status_code == 200, r.text
        run_until_idle(self.c)
        conn = self.api("GET", "/accounting/connection").json()
        assert conn["health"]["status"] == "ok", conn
        self.company_id = conn["company_id"]
        self.base_url = conn["base_url"]
        self.ref = {k: self.api("GET", f"/accounting/reference-data/{k}").json()["data"]
                    for k in ("vendors", "accounts", "departments")}

    def api(self, method: str, path: str, body: dict | None = None):  # noqa: ANN201
        return self.client.request(method, f"/api/v1{path}", json=body,
                                   headers={"Authorization": f"Bearer {self.api_key}"})

    def tx(self, actor=None):  # noqa: ANN001, ANN201
        from billpay.services.context import Actor

        return self.c.tx(actor or Actor.system(self.org_id))


def expense_accounts(stack: Stack) -> list[str]:
    return [a["id"] for a in stack.ref["accounts"] if a["active"] and a["extra"].get("category") == "Expense"]


def create_bills(stack: Stack, vendor_ids: list[str], n: int, invoice_date: dt.date) -> list[tuple[str, str]]:
    """Bills of two lines each, created, confirmed and sent to payments; returns (bill id, payment id)."""
    from billpay.services import bills as bill_svc

    accounts = expense_accounts(stack)
    departments = [d["id"] for d in stack.ref["departments"]]
    out = []
    for start in range(0, n, 200):
        with stack.tx(stack.admin) as ctx:
            for i in range(start, min(n, start + 200)):
                cents = Decimal(100 + (i * 37) % 4900) + Decimal(i % 100) / 100
                first = (cents * Decimal("0.6")).quantize(Decimal("0.01"))
                lines = [{"amount": str(first), "description": "Services",
                          "attributes": {"gl_account": accounts[i % len(accounts)],
                                         "department": departments[i % len(departments)]}},
                         {"amount": str(cents - first), "description": "Materials",
                          "attributes": {"gl_account": accounts[(i + 1) % len(accounts)]}}]
                bill = bill_svc.create_bill(ctx, {
                    "vendor_id": vendor_ids[i % len(vendor_ids)], "invoice_number": f"BC-BENCH-{i:06d}",
                    "invoice_date": invoice_date.isoformat(), "payment_terms": "Net 30", "amount": str(cents),
                    "lines": lines})
                bill_svc.confirm_bill(ctx, bill.id)
                _, payment = bill_svc.send_to_payments(ctx, bill.id, method="ach")
                ctx.session.flush()
                out.append((bill.id, payment.id))
    return out


def count_429(result: dict) -> int:
    return int(result["by_status"].get("429", 0))


# ---------------------------------------------------------------- phases

def phase_push(stack: Stack, n: int, vendor_ids: list[str], invoice_date: dt.date) -> tuple[dict, list]:
    from billpay.sync.worker import run_until_idle

    t0 = time.perf_counter()
    pairs = create_bills(stack, vendor_ids, n, invoice_date)
    drain_other_jobs(stack)
    log(f"[push] {n:,} bills of two lines created and sent to payments in {time.perf_counter() - t0:.1f} s; "
        f"queued: {pending_jobs(stack)}")
    with Measure(stack.state) as m:
        jobs = run_until_idle(stack.c)
    states = sync_states(stack, "bill", [b for b, _ in pairs])
    res = m.result(records=n, jobs=jobs, outcome=states)
    log(f"[push] {m.calls} requests, {m.wall_s:.2f} s, peak RSS {m.mem['peak_rss_mb']} MB; {states}; {m.by_kind}")
    return res, pairs


def phase_payments(stack: Stack, payment_ids: list[str]) -> dict:
    from billpay.services import accounting
    from billpay.sync.worker import run_until_idle

    pay_date = settle_payments(stack, payment_ids)
    drain_other_jobs(stack)
    log(f"[payments] {len(payment_ids):,} payments scheduled for {pay_date}, released and settled")
    with Measure(stack.state) as m:
        with stack.tx(stack.admin) as ctx:
            queued = accounting.sync_payments(ctx)
        jobs = run_until_idle(stack.c)
    states = sync_states(stack, "payment", payment_ids)
    res = m.result(records=len(payment_ids), queued=len(queued), jobs=jobs, outcome=states)
    log(f"[payments] {m.calls} requests, {m.wall_s:.2f} s, peak RSS {m.mem['peak_rss_mb']} MB; {states}; "
        f"{m.by_kind}")
    return res


def naive_client(stack: Stack):  # noqa: ANN201
    """A client on a second company of the same tenant (same chart of accounts and vendors), another app."""
    from billpay.connectors.base.auth import InMemoryTokenStore
    from billpay.connectors.base.retry import RetryPolicy
    from billpay.connectors.business_central.connector import BusinessCentralConnector

    st = stack.state
    tenant_id, env = next((t.id, e.name) for t in st.tenants.values() for e in t.environments.values()
                          if stack.company_id in e.companies)
    company2 = st.create_company(tenant_id, env, "Bench Naive Co", vendors=len(stack.ref["vendors"]))
    client_id, secret = st.register_app(tenant_id, "naive")
    st.set_bc_app(tenant_id, env, client_id)
    http = httpx.Client(transport=stack.sandbox.transport, timeout=30.0)
    connector = BusinessCentralConnector(
        http, base_url=stack.base_url, tenant_id=tenant_id, environment=env, company_id=company2,
        client_id=client_id, client_secret=secret, token_url=f"{stack.base_url}/{tenant_id}/oauth2/v2.0/token",
        tokens=InMemoryTokenStore(), retry=RetryPolicy(max_attempts=1))
    one, two = st.company(stack.company_id), st.company(company2)
    ids = {}
    for table, key in (("vendors", "displayName"), ("accounts", "number"), ("dimensionValues", "code")):
        by_key = {r[key]: r["id"] for r in two.rows(table)}
        ids.update({r["id"]: by_key[r[key]] for r in one.rows(table) if r[key] in by_key})
    return connector.client, company2, ids


def phase_naive(stack: Stack, pairs: list[tuple[str, str]], n_payments: int) -> tuple[dict, dict | None]:
    from billpay.connectors.business_central import transform
    from billpay.db import tables as t
    from billpay.services.bills import lines_of
    from billpay.services.sync_records import active_connection
    from billpay.sync import engine

    client, company2, ids = naive_client(stack)
    st = stack.state
    defaults = st.limits()
    st.set_limits(per_minute=0)  # the naive run needs more than BC's 6,000 requests per 5 minutes allows
    facts = transform.CompanyFacts(local_currency="USD", dimension_ids={
        d["code"]: d["id"] for d in st.company(company2).rows("dimensions")})
    payloads = []
    with stack.tx() as ctx:
        conn = active_connection(ctx.session, ctx.org_id)
        for bill_id, _ in pairs:
            bill = ctx.get(t.Bill, bill_id)
            payloads.append(engine.bill_payload(ctx, bill, conn, lines_of(ctx, bill)))
    client.get("companyInformation")  # sign in outside the measurement, as the optimized run had
    invoices = []
    with Measure(st) as m:
        for p in payloads:
            body = transform.bill_to_wire(p, facts)
            lines = [ln for ln in body.pop("purchaseInvoiceLines") if ln["lineType"] == "Account"]
            body["vendorId"] = ids[body["vendorId"]]
            invoice = client.post("purchaseInvoices", body)
            for line in lines:
                line["accountId"] = ids[line["accountId"]]
                for dim in line.get("dimensionSetLines", []):
                    dim["valueId"] = ids[dim["valueId"]]
                client.post(f"purchaseInvoices({invoice['id']})/purchaseInvoiceLines", line)
            client.action(f"purchaseInvoices({invoice['id']})/Microsoft.NAV.post")
            invoices.append((invoice["id"], p.amount))
    push = m.result(records=len(payloads))
    log(f"[naive push] {m.calls} requests, {m.wall_s:.2f} s")
    pay = None
    if n_payments:
        journal = st.company(company2).find("journals", code="CHECKING")["id"]
        with Measure(st) as m:
            for n, (invoice_id, amount) in enumerate(invoices[:n_payments]):
                client.post(f"vendorPaymentJournals({journal})/vendorPayments", {
                    "appliesToInvoiceId": invoice_id, "amount": amount, "externalDocumentNumber": f"NAIVE-{n}"})
                client.action(f"journals({journal})/Microsoft.NAV.post")
        pay = m.result(records=n_payments)
        log(f"[naive payments] {m.calls} requests, {m.wall_s:.2f} s")
    st.set_limits(per_minute=defaults["per_minute"])
    return push, pay


def phase_pull(stack: Stack, n: int, start: dt.date) -> tuple[dict, dict]:
    from billpay.services.orgs import update_settings
    from billpay.sync.pull import pull_bills

    t0 = time.perf_counter()
    stack.state.advance_clock(-600)  # entered ten minutes before the pull, by the sandbox's clock
    stack.state.seed_open_invoices(stack.company_id, n, start=start, spread_days=28)
    stack.state.advance_clock(600)
    with stack.tx(stack.admin) as ctx:
        update_settings(ctx, {"pull_bills_enabled": True, "pull_start_date": start.isoformat()})
    log(f"[pull] {n:,} open purchase invoices entered in the sandbox in {time.perf_counter() - t0:.1f} s")
    with Measure(stack.state) as m:
        full = pull_bills(stack.c, stack.org_id)
    first = m.result(records=n, outcome={k: v for k, v in full.items() if k != "unmapped"})
    log(f"[pull] full: {m.calls} requests, {m.wall_s:.2f} s, created {full['created']}")
    with Measure(stack.state) as m:
        quiet = pull_bills(stack.c, stack.org_id)
    second = m.result(records=0, outcome={k: v for k, v in quiet.items() if k != "unmapped"})
    log(f"[pull] nothing changed: {m.calls} request(s), {m.wall_s:.2f} s")
    return first, second


# ---------------------------------------------------------------- report

def shares(results: dict) -> dict:
    out = {}
    for key in ("push", "payments"):
        r, naive = results.get(key), results.get(f"{key}_naive")
        if r and naive and naive["calls"]:
            out[key] = {"calls": round(r["calls"] / naive["calls"], 4),
                        "wall": round(r["wall_s"] / naive["wall_s"], 3) if naive["wall_s"] else None}
    return out


def missed_targets(results: dict) -> list[str]:
    missed = [f"{k}: {v['calls']:.3f} of the naive requests" for k, v in shares(results).items()
              if v["calls"] > MAX_SHARE_OF_NAIVE]
    missed += [f"{k}: {count_429(r)} answers 429" for k, r in results.items() if not k.endswith("naive")
               and count_429(r)]
    quiet = results.get("pull_incremental")
    if quiet and quiet["calls"] > MAX_QUIET_PULL:
        missed.append(f"pull_incremental: {quiet['calls']} requests")
    for key in ("push", "payments"):
        r = results.get(key)
        if r and set(r["outcome"]) != {"synced"}:
            missed.append(f"{key}: not every record synced ({r['outcome']})")
    return missed


def table(results: dict) -> list[str]:
    lines = ["| scenario | records | requests | wall s | peak RSS MB | 429s |", "|---|---:|---:|---:|---:|---:|"]
    for key, name in NAMES.items():
        r = results.get(key)
        if r:
            lines.append(f"| {name} | {r['records']:,} | {r['calls']:,} | {r['wall_s']:.2f} | "
                         f"{r['peak_rss_mb']} | {count_429(r)} |")
    return lines


def findings(args, results: dict) -> list[str]:  # noqa: ANN001
    out = []
    for key, what in (("push", "bills"), ("payments", "payments")):
        r = results.get(key)
        if r:
            waited = r["calls"] * args.latency_ms / 1000
            out.append(f"- {key.capitalize()}: the {r['calls']} requests wait {waited:.1f} s of injected latency in "
                       f"the {r['wall_s']:.1f} s; the rest is billpay's own work per {what[:-1]} in the worker "
                       "(attempt and outcome transactions, sync records, the sync log), the sandbox's work and the "
                       "other load on the machine.")
    full = results.get("pull_full")
    if full:
        out.append(f"- Full pull: {full['calls']} pages of at most 5,000 invoices (`Prefer: odata.maxpagesize=5000`, "
                   f"lines and dimension set lines expanded). Most of the {full['wall_s']:.1f} s is billpay creating "
                   f"{full['outcome'].get('created', 0):,} read-only bills with their lines and payment drafts in one "
                   "transaction (`sync/pull.py` flushes the session after each bill).")
    for key in ("push", "payments"):
        naive = results.get(f"{key}_naive")
        if naive:
            out.append(f"- Naive {key}: {naive['calls']:,} requests; Business Central's 6,000 per 5 minutes would "
                       f"hold it to at least {naive['calls'] / 1200:.1f} minutes, the optimized run to "
                       f"{results[key]['calls'] / 1200:.2f}.")
    return out


def command(args) -> str:  # noqa: ANN001
    cmd = ".venv/bin/python -m bench.business_central"
    for k, v in {"bills": 1000, "payments": 1000, "pull": 10_000, "latency_ms": 50}.items():
        if getattr(args, k) != v:
            cmd += f" --{k.replace('_', '-')} {getattr(args, k)}"
    return cmd


def docs_section(args, results: dict, when: str, total_s: float) -> str:  # noqa: ANN001
    loads = [r["other_load"] for r in results.values() if r.get("other_load") is not None]
    push, pay = results.get("push", {}), results.get("payments", {})
    lines = [
        SECTION, "",
        f"Measured {when} on {machine()} — a machine shared with other work"
        + (f" (other processes used up to {max(loads):.0%} of it while phases were timed)" if loads else "")
        + " — SQLite, everything in one process: the API, the outbox worker, the Business Central connector and "
        f"the built-in Business Central sandbox (in-process transport), with {args.latency_ms} ms of latency on "
        "every API request and Business Central's per-user limits on (5 in flight, 6,000 per 5 minutes). "
        "Requests are the sandbox's own count; Entra ID token requests are not API requests.", "",
        *table(results), "",
        "Optimized / naive: " + "; ".join(f"{k}: {v['calls']:.3f}x the requests, {v['wall']:.2f}x the wall time"
                                          for k, v in shares(results).items()) + ".", "",
        "What is measured:", "",
        f"- *Push*: {args.bills:,} bills of two lines (two G/L accounts, a DEPARTMENT value on the first line), "
        "created, confirmed and sent to payments through the services (not timed), then one `run_until_idle`. "
        f"Requests by kind: {push.get('by_kind')}. Per 100 bills: one `$batch` of lookups (vendor + vendor invoice "
        "number), one of deep inserts (invoice, lines and dimension set lines in one request each), two of "
        "`Microsoft.NAV.post` + re-read pairs; the worker claims 300 outbox rows at a time.",
        f"- *Sync payments*: {args.payments:,} settled payments; timed: `accounting.sync_payments` and "
        f"`run_until_idle`. Requests by kind: {pay.get('by_kind')}. Per 33 payments one `$batch` of lookups "
        "(the invoice, an unposted journal line, posted G/L entries); per 100 one `$batch` of vendor payment "
        "lines; per worker claim one read of the journal's lines and one journal post.",
        "- *Naive*: the same invoices and payments, one request per invoice, per line and per post (payments: one "
        "line and one journal post each), through the same transport and latency into a second company; it does "
        "no lookups and writes nothing back to billpay, which flatters it. Business Central's 6,000-requests-"
        "per-5-minutes limit was lifted for it: against Business Central it would have had to slow down.",
        f"- *Pull*: {args.pull:,} open purchase invoices (two lines each) entered in the sandbox company directly, "
        "ten minutes of sandbox time before the pull; `sync.pull.pull_bills` (full scan: every invoice becomes a "
        "read-only bill with a payment draft), then again with nothing changed: one request "
        "(`lastModifiedDateTime gt` the bookmark).",
        "- Peak RSS is the process's high-water mark (`VmHWM`, reset before each phase); the process also holds "
        "the sandbox's in-memory companies.", "",
        "Where the time goes:", "", *findings(args, results), "",
        f"Targets: push and payment sync at most {MAX_SHARE_OF_NAIVE:.0%} of the naive requests with no 429; an "
        f"incremental pull with nothing changed in {MAX_QUIET_PULL} request. "
        + ("All met." if not missed_targets(results) else "Missed: " + "; ".join(missed_targets(results)) + "."),
        "",
        f"Rerun from the repository root (this run took {total_s:.0f} s with data setup and the naive baseline; "
        "`--bills N --payments N --pull N` scale it down):", "", "```", command(args), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.business_central", description=__doc__.split("\n\n")[0])
    p.add_argument("--bills", type=int, default=1000)
    p.add_argument("--payments", type=int, default=1000)
    p.add_argument("--pull", type=int, default=10_000)
    p.add_argument("--latency-ms", type=int, default=50)
    p.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = p.parse_args(argv)
    if args.payments > args.bills:
        p.error("--payments must not exceed --bills")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("billpay").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    t_all = time.perf_counter()
    results: dict[str, dict] = {}
    workdir = Path(tempfile.mkdtemp(prefix="billpay-bench-bc-"))
    today = dt.date.today()
    try:
        stack = Stack(workdir)
        vendor_ids = map_vendors(stack)
        stack.state.set_faults(latency_ms=args.latency_ms)
        results["push"], pairs = phase_push(stack, args.bills, vendor_ids, today - dt.timedelta(days=60))
        if args.payments:
            results["payments"] = phase_payments(stack, [pid for _, pid in pairs[:args.payments]])
        results["push_naive"], naive_pay = phase_naive(stack, pairs, args.payments)
        if naive_pay is not None:
            results["payments_naive"] = naive_pay
        results["pull_full"], results["pull_incremental"] = phase_pull(stack, args.pull,
                                                                       stack.state.today() - dt.timedelta(days=30))
        stack.state.clear_faults()
        stack.c.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    total_s = time.perf_counter() - t_all
    log("")
    for line in table(results):
        log(line)
    missed = missed_targets(results)
    log("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    print(json.dumps({"bench": "business_central", "bills": args.bills, "payments": args.payments,
                      "pull": args.pull, "latency_ms": args.latency_ms, "cores": os.cpu_count(),
                      "total_s": round(total_s, 1), "shares_of_naive": shares(results), "targets_met": not missed,
                      "missed": missed, "results": results}), flush=True)
    if not args.no_docs:
        write_section(SECTION, docs_section(args, results, today.isoformat(), total_s))
        log(f"updated {DOCS.relative_to(ROOT)}")
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
