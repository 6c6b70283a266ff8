"""Accounting-sync benchmark: push bills, pull bills and sync bill payments against the QuickBooks sandbox.

Run from the repository root::

    .venv/bin/python -m bench.sync [--bills 1000] [--pull 10000] [--payments 1000] [--latency-ms 50]

It builds the real stack in process: a migrated SQLite database in a temporary directory, the
``billpay.bootstrap`` container, an organization connected to the built-in QuickBooks sandbox through
``PUT /api/v1/accounting/connection {"platform": "quickbooks", "sandbox": true}`` (reference data loaded
by the worker), and billpay vendors mapped to the sandbox company's vendors. With ``latency_ms``
injected on every sandbox API call it measures, counting platform API calls with the sandbox's
``request_stats()`` (OAuth token calls are not API calls and are reported apart):

1. ``push``: bills created, confirmed and sent to payments through the services, then the outbox
   worker (``run_until_idle``) pushes them. Wall time and peak RSS cover the worker run only.
2. ``payments``: the payments of those bills are scheduled, released (``release_due`` with the
   container clock at the pay date) and settled (``rails.force_outcome``) through the services, then
   ``services.accounting.sync_payments`` queues them and ``run_until_idle`` syncs them.
3. ``naive``: the same bill push and payment sync done one API call per record
   (``POST /bill`` and ``POST /billpayment`` through the same connector client, transport and latency)
   into a second sandbox company, for the optimized/naive ratios.
4. ``pull``: open bills of the mapped vendors created directly in the sandbox state (no HTTP), then
   ``billpay.sync.pull.pull_bills`` (first run: full scan), then a second ``pull_bills`` with nothing
   changed (incremental, ChangeDataCapture).

Prints a table and one JSON line (``{"bench": "sync", ...}``) and rewrites its own section of
docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import logging
import os
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
import warnings
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from bench._common import OtherLoad, log, machine  # noqa: E402
from bench._docs import DOCS, write_section  # noqa: E402

SECTION = "## Accounting sync (QuickBooks sandbox, 50 ms latency)"
SECRET = "bench-secret-key-" + "s" * 32

TARGETS = {  # scenario -> (max API calls, max wall seconds or None)
    "push": (40, 15.0),
    "pull_full": (12, None),
    "pull_incremental": (2, None),
    "payments": (40, None),
}
NAMES = {
    "push": "push bills (outbox worker, /batch)",
    "push_naive": "push bills, naive (1 POST /bill each)",
    "payments": "sync settled payments (outbox worker, /batch)",
    "payments_naive": "sync payments, naive (1 POST /billpayment each)",
    "pull_full": "pull open bills (first run, full scan)",
    "pull_incremental": "pull again, nothing changed (CDC)",
}
QBO_PER_MINUTE = 500  # QuickBooks Online's documented request limit per company and minute


# ---------------------------------------------------------------- measuring

def _status_kb(field: str) -> int | None:
    try:
        m = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


class PeakRss:
    """Peak resident set size of this process between ``start`` and ``stop``.

    On Linux the kernel's high-water mark (VmHWM) is reset through ``/proc/self/clear_refs`` and read
    back at the end; elsewhere a sampling thread (every 10 ms) is the fallback.
    """

    def start(self) -> None:
        self.method = "VmHWM"
        self.rss0 = _status_kb("VmRSS")
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            self.method = "sampled"
        self._peak = self.rss0 or 0
        self._on = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while self._on:
            rss = _status_kb("VmRSS")
            if rss is None:  # no /proc: the lifetime peak is all there is
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self._peak = max(self._peak, rss)
            time.sleep(0.01)

    def stop(self) -> dict:
        self._on = False
        self._thread.join()
        peak = _status_kb("VmHWM") if self.method == "VmHWM" else None
        peak = max(peak or 0, self._peak)
        return {"peak_rss_mb": round(peak / 1024, 1),
                "rss_before_mb": None if self.rss0 is None else round(self.rss0 / 1024, 1)}


class Measure:
    """API calls (sandbox counters), wall time, CPU time, peak RSS and other processes' load of one phase."""

    def __init__(self, state, realm: str | None = None) -> None:  # noqa: ANN001
        self.state, self.realm = state, realm

    def __enter__(self) -> "Measure":
        gc.collect()
        self.state.limiter.reset()  # each phase starts with a fresh rate-limit window, as if run apart
        self.state.reset_request_stats()
        self.rss, self.load = PeakRss(), OtherLoad()
        self.rss.start()
        self.load.start()
        self.cpu0 = time.process_time()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall_s = time.perf_counter() - self.t0
        self.cpu_s = time.process_time() - self.cpu0
        self.other_load = self.load.stop()
        self.mem = self.rss.stop()
        stats = self.state.request_stats(recent=0)
        self.calls = int(stats["total_api_calls"])
        self.token_calls = int(stats["total_other_calls"])
        self.by_kind = {k: v for k, v in stats["by_kind"].items() if "oauth2" not in k}
        self.by_status = stats["by_status"]
        self.replayed = stats["replayed"]

    def result(self, **extra) -> dict:  # noqa: ANN003
        return {"calls": self.calls, "wall_s": round(self.wall_s, 2), "cpu_s": round(self.cpu_s, 2),
                **self.mem, "by_kind": self.by_kind, "by_status": self.by_status,
                "token_calls": self.token_calls, "replayed": self.replayed,
                "other_load": None if self.other_load is None else round(self.other_load, 3), **extra}


# ---------------------------------------------------------------- the stack

class Stack:
    """Container + organization + connection to the built-in QuickBooks sandbox, as tests/e2e build it."""

    def __init__(self, workdir: Path, persist_sandbox: bool) -> None:
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
        self.c = build(Settings(data_dir=workdir / "data", database_url=url, secret_key=SECRET,
                                smtp_enabled=False))
        self.clock_offset = dt.timedelta(0)
        real_now = self.c.now
        self.c.now = lambda: real_now() + self.clock_offset
        self.client = TestClient(create_app(self.c), raise_server_exceptions=False)
        with self.c.sessionmaker() as s, s.begin():
            out = create_organization(s, self.c.vault, name="Bench Co", admin_email="admin@bench.test")
        self.org_id, self.user_id, self.api_key = out.organization_id, out.user_id, out.api_key
        self.admin = Actor(self.org_id, self.user_id, frozenset({"admin"}), "user")
        self.state = builtin_sandbox.get(self.c, "quickbooks").state
        if not persist_sandbox:
            # The built-in sandbox stores its whole state in the database after every write (cost grows with
            # the company): that is the demo sandbox's storage, not QuickBooks, so it is kept out of the figures.
            self.state.share(None)
        r = self.api("PUT", "/accounting/connection", {"platform": "quickbooks", "sandbox": True})
        assert r.status_code == 200, r.text
        self.state.clear_faults()
        run_until_idle(self.c)  # loads reference data
        conn = self.api("GET", "/accounting/connection").json()
        assert conn["health"]["status"] == "ok", conn
        self.realm = conn["company_id"]
        self.base_url = conn["base_url"]
        self.ref = {k: self.api("GET", f"/accounting/reference-data/{k}").json()["data"]
                    for k in ("vendors", "accounts", "terms")}

    def api(self, method: str, path: str, body: dict | None = None):  # noqa: ANN201
        return self.client.request(method, f"/api/v1{path}", json=body,
                                   headers={"Authorization": f"Bearer {self.api_key}"})

    def tx(self, actor=None):  # noqa: ANN001, ANN201
        from billpay.services.context import Actor

        return self.c.tx(actor or Actor.system(self.org_id))


def expense_accounts(stack: Stack) -> list[str]:
    return [a["id"] for a in stack.ref["accounts"] if a["active"] and (a.get("extra") or {}).get(
        "account_type") == "Expense"] or [a["id"] for a in stack.ref["accounts"] if "xpense" in str(a["extra"])]


def map_vendors(stack: Stack) -> list[str]:
    """One billpay vendor (with bank details, so ACH is possible) per sandbox vendor, mapped to it."""
    from billpay.services import vendors as vendor_svc
    from billpay.services.context import Actor
    from billpay.services.orgs import create_user

    ids = []
    with stack.tx(stack.admin) as ctx:
        for i, ext in enumerate(stack.ref["vendors"]):
            if not ext["active"]:
                continue
            v = vendor_svc.create_vendor(ctx, {"name": ext["name"], "routing_number": "021000021",
                                               "account_number": f"12345678{i}",
                                               "accounting_vendor_id": ext["id"]})
            ids.append(v.id)
        colleague = create_user(ctx, email=f"colleague@{stack.org_id[-8:]}.bench.test", roles=["admin"]).id
    # new bank details wait for a second person before any payment can go to them
    with stack.tx(Actor(stack.org_id, colleague, frozenset({"admin"}), "user")) as ctx:
        for vendor_id in ids:
            vendor_svc.verify_bank_details(ctx, vendor_id)
    return ids


def create_bills(stack: Stack, vendor_ids: list[str], n: int, invoice_date: dt.date) -> list[tuple[str, str]]:
    """Bills created, confirmed and sent to payments through the services; returns (bill id, payment id)."""
    from billpay.services import bills as bill_svc

    accounts = expense_accounts(stack)
    out = []
    chunk = 200
    for start in range(0, n, chunk):
        with stack.tx(stack.admin) as ctx:
            for i in range(start, min(n, start + chunk)):
                amount = Decimal(100 + (i * 37) % 4900) + Decimal(i % 100) / 100
                bill = bill_svc.create_bill(ctx, {
                    "vendor_id": vendor_ids[i % len(vendor_ids)], "invoice_number": f"BENCH-{i:06d}",
                    "invoice_date": invoice_date.isoformat(), "payment_terms": "Net 30", "amount": str(amount),
                    "attributes": {"gl_account": accounts[i % len(accounts)]}})
                bill_svc.confirm_bill(ctx, bill.id)
                _, payment = bill_svc.send_to_payments(ctx, bill.id, method="ach")
                ctx.session.flush()
                out.append((bill.id, payment.id))
    return out


def drain_other_jobs(stack: Stack) -> None:
    """Run queued jobs that are not connection work (extraction …), so the measured worker run does only the sync.

    Connection work is never run here: a worker holding the connection's lease runs all of it at once, pushes
    included."""
    from billpay.sync.worker import HANDLERS, run_until_idle

    run_until_idle(stack.c, kinds=list(HANDLERS))


def pending_jobs(stack: Stack) -> dict[str, int]:
    from sqlalchemy import func, select

    from billpay.db import tables as t

    with stack.c.sessionmaker() as s:
        rows = s.execute(select(t.Outbox.kind, t.Outbox.status, func.count()).group_by(
            t.Outbox.kind, t.Outbox.status)).all()
    return {f"{k}:{st}": n for k, st, n in rows}


def sync_states(stack: Stack, record_type: str, ids: list[str]) -> dict[str, int]:
    from collections import Counter

    from sqlalchemy import select

    from billpay.db import tables as t

    with stack.c.sessionmaker() as s:
        states = Counter()
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            rows = s.execute(select(t.SyncRecord.state, t.SyncRecord.error_code).where(
                t.SyncRecord.org_id == stack.org_id, t.SyncRecord.record_type == record_type,
                t.SyncRecord.record_id.in_(part))).all()
            states.update(st if not err else f"{st}:{err}" for st, err in rows)
            states["missing"] += len(part) - len(rows)
        if not states["missing"]:
            del states["missing"]
    return dict(states)


def settle_payments(stack: Stack, payment_ids: list[str]) -> dt.date:
    """schedule -> release_due (container clock moved to the pay date's release time) -> settled."""
    from billpay.payments import calendar
    from billpay.services import payments as pay_svc
    from billpay.services import rails

    with stack.tx(stack.admin) as ctx:
        today = pay_svc.today(ctx)
        tz = pay_svc.get_settings(ctx)
    pay_date = calendar.roll_forward(today)
    release = calendar.release_at(pay_date, tz["timezone"], tz["payment_release_hour"])
    now = stack.c.now()
    if now < release + dt.timedelta(minutes=1):
        stack.clock_offset += release + dt.timedelta(minutes=1) - now
    chunk = 250
    for start in range(0, len(payment_ids), chunk):
        with stack.tx(stack.admin) as ctx:
            for pid in payment_ids[start:start + chunk]:
                pay_svc.schedule(ctx, pid, pay_date=pay_date.isoformat(), method="ach")
    with stack.tx() as ctx:
        released = pay_svc.release_due(ctx)
    assert len(released) == len(payment_ids), (len(released), len(payment_ids))
    for start in range(0, len(payment_ids), chunk):
        with stack.tx(stack.admin) as ctx:
            for pid in payment_ids[start:start + chunk]:
                rails.force_outcome(ctx, pid, "settled", None)
    return pay_date


# ---------------------------------------------------------------- phases

def phase_push(stack: Stack, n: int, vendor_ids: list[str], invoice_date: dt.date) -> tuple[dict, list]:
    from billpay.sync.worker import run_until_idle

    t0 = time.perf_counter()
    pairs = create_bills(stack, vendor_ids, n, invoice_date)
    drain_other_jobs(stack)
    setup_s = time.perf_counter() - t0
    log(f"[push] {n:,} bills created, confirmed and sent to payments in {setup_s:.1f} s; "
        f"queued: {pending_jobs(stack)}")
    with Measure(stack.state) as m:
        jobs = run_until_idle(stack.c)
    states = sync_states(stack, "bill", [b for b, _ in pairs])
    res = m.result(records=n, jobs=jobs, setup_s=round(setup_s, 1), outcome=states)
    log(f"[push] {jobs} jobs, {m.calls} API calls, {m.wall_s:.2f} s, peak RSS {m.mem['peak_rss_mb']} MB; "
        f"sync records {states}; calls {m.by_kind}")
    return res, pairs


def phase_payments(stack: Stack, payment_ids: list[str]) -> dict:
    from billpay.services import accounting
    from billpay.sync.worker import run_until_idle

    t0 = time.perf_counter()
    pay_date = settle_payments(stack, payment_ids)
    drain_other_jobs(stack)
    setup_s = time.perf_counter() - t0
    log(f"[payments] {len(payment_ids):,} payments scheduled for {pay_date}, released and settled in "
        f"{setup_s:.1f} s")
    with Measure(stack.state) as m:
        with stack.tx(stack.admin) as ctx:
            queued = accounting.sync_payments(ctx)
        jobs = run_until_idle(stack.c)
    states = sync_states(stack, "payment", payment_ids)
    res = m.result(records=len(payment_ids), queued=len(queued), jobs=jobs, setup_s=round(setup_s, 1),
                   outcome=states)
    log(f"[payments] {len(queued)} queued, {jobs} jobs, {m.calls} API calls, {m.wall_s:.2f} s, peak RSS "
        f"{m.mem['peak_rss_mb']} MB; sync records {states}; calls {m.by_kind}")
    return res


def naive_connector(stack: Stack):  # noqa: ANN201
    """A connector to a second sandbox company with the same chart of accounts and vendors."""
    import httpx

    from billpay.connectors.base.auth import InMemoryTokenStore, OAuthTokens
    from billpay.connectors.quickbooks.connector import QuickBooksConnector
    from billpay.sync import builtin_sandbox

    st = stack.state
    realm2 = st.seed_company(name="Bench Naive Co", vendors=len(stack.ref["vendors"]))
    client_id, client_secret = st.register_client()
    refresh = st.issue_refresh_token(client_id, realm2)
    http = httpx.Client(transport=builtin_sandbox.get(stack.c, "quickbooks").transport, timeout=30.0)
    conn = QuickBooksConnector(http, base_url=stack.base_url,
                               token_url=stack.base_url + "/oauth2/v1/tokens/bearer", realm_id=realm2,
                               client_id=client_id, client_secret=client_secret,
                               tokens=InMemoryTokenStore(OAuthTokens(access_token="", refresh_token=refresh)))
    # Same names -> ids in the second company (vendors, accounts, terms).
    ids: dict[str, str] = {}
    for entity, name_field in (("Vendor", "DisplayName"), ("Account", "Name"), ("Term", "Name")):
        one = {r[name_field]: r["Id"] for r in _all(st, stack.realm, entity)}
        two = {r[name_field]: r["Id"] for r in _all(st, realm2, entity)}
        ids.update({f"{entity}:{one[k]}": two[k] for k in one if k in two})
    return conn, realm2, ids


def _all(state, realm: str, entity: str) -> list[dict]:  # noqa: ANN001
    r = state.query(realm, f"select * from {entity} STARTPOSITION 1 MAXRESULTS 1000")
    return list(r.get(entity, []))


def phase_naive(stack: Stack, pairs: list[tuple[str, str]], n_payments: int) -> tuple[dict, dict | None]:
    """The same bills and payments, one POST per record, into a second company (same transport, latency)."""
    from billpay.connectors.base.idempotency import idempotency_key, request_id
    from billpay.connectors.quickbooks.transform import bill_to_wire, payment_to_wire
    from billpay.db import tables as t
    from billpay.services.bills import lines_of
    from billpay.services.sync_records import active_connection
    from billpay.sync import engine

    connector, _realm2, ids = naive_connector(stack)
    default_limits = stack.state.limits()
    # 1 call per record exceeds QuickBooks' 500 requests/minute; measure the calls, not the throttling.
    stack.state.set_limits(per_minute=0)
    ext_of: dict[str, str] = {}
    try:
        with Measure(stack.state) as mb:
            with stack.tx() as ctx:
                conn = active_connection(ctx.session, ctx.org_id)
                payloads = [engine.bill_payload(ctx, bill, conn, lines_of(ctx, bill))
                            for bill in (ctx.get(t.Bill, b) for b, _ in pairs)]
            company = connector.company_currency()
            for p in payloads:
                p = dataclasses.replace(
                    p, vendor_external_id=ids[f"Vendor:{p.vendor_external_id}"],
                    terms_external_id=ids.get(f"Term:{p.terms_external_id}"),
                    lines=[dataclasses.replace(ln, account_id=ids[f"Account:{ln.account_id}"]) for ln in p.lines])
                answer = connector.client.post("bill", bill_to_wire(p, company),
                                               requestid=request_id(idempotency_key(p.bill_id, "create", 0)))
                ext_of[p.bill_id] = str(answer["Bill"]["Id"])
        bills = mb.result(records=len(pairs), outcome={"created": len(ext_of)})
        log(f"[naive] {len(ext_of):,} bills: {mb.calls} API calls, {mb.wall_s:.2f} s; calls {mb.by_kind}")
        if not n_payments:
            return bills, None
        created = 0
        with Measure(stack.state) as mp:
            with stack.tx() as ctx:
                conn = active_connection(ctx.session, ctx.org_id)
                payloads = [engine.payment_payload(ctx, ctx.get(t.Payment, pid), conn)
                            for _, pid in pairs[:n_payments]]
            bill_of = {pid: b for b, pid in pairs}
            for p in payloads:
                p = dataclasses.replace(p, bill_external_id=ext_of[bill_of[p.payment_id]],
                                        vendor_external_id=ids[f"Vendor:{p.vendor_external_id}"])
                bank = ids[f"Account:{p.bank_account_id}"]  # the account chosen on the connection, there
                answer = connector.client.post("billpayment", payment_to_wire(p, company, bank_account_id=bank),
                                               requestid=request_id(idempotency_key(p.payment_id, "create", 0)))
                created += bool(answer.get("BillPayment", {}).get("Id"))
        payments = mp.result(records=n_payments, outcome={"created": created})
        log(f"[naive] {created:,} payments: {mp.calls} API calls, {mp.wall_s:.2f} s; calls {mp.by_kind}")
    finally:
        stack.state.set_limits(per_minute=default_limits["per_minute"])
    return bills, payments


def phase_pull(stack: Stack, n: int, vendor_ids: list[str], start: dt.date) -> tuple[dict, dict]:
    from billpay.services import orgs
    from billpay.sync.pull import pull_bills

    st = stack.state
    vendors = [v["id"] for v in stack.ref["vendors"] if v["active"]]
    accounts = expense_accounts(stack)
    today = dt.date.today()
    span = max(1, (today - start).days)
    t0 = time.perf_counter()
    with st.lock:  # bulk creation: stored once at the end (when shared), not n times
        for i in range(n):
            d = start + dt.timedelta(days=i % span)
            amount = Decimal(50 + (i * 53) % 9950) + Decimal(i % 100) / 100
            st.create(stack.realm, "Bill", {
                "VendorRef": {"value": vendors[i % len(vendors)]}, "TxnDate": d.isoformat(),
                "DueDate": (d + dt.timedelta(days=30)).isoformat(), "DocNumber": f"QB-{i:06d}",
                "Line": [{"Amount": str(amount), "DetailType": "AccountBasedExpenseLineDetail",
                          "Description": f"Service {i}",
                          "AccountBasedExpenseLineDetail": {"AccountRef": {"value": accounts[i % len(accounts)]}}}]})
    setup_s = time.perf_counter() - t0
    # The bills were entered well before the pull (not within the pull's 2-minute bookmark overlap).
    st.advance_clock(600)
    with stack.tx(stack.admin) as ctx:
        orgs.update_settings(ctx, {"pull_bills_enabled": True, "pull_start_date": start.isoformat()})
    log(f"[pull] {n:,} open bills created in the sandbox state in {setup_s:.1f} s (no HTTP)")
    with Measure(st) as m:
        summary = pull_bills(stack.c, stack.org_id)
    full = m.result(records=n, setup_s=round(setup_s, 1),
                    outcome={k: summary[k] for k in ("seen", "created", "updated", "withdrawn", "full")}
                    | {"unmapped": len(summary["unmapped"])})
    log(f"[pull] full: {m.calls} API calls, {m.wall_s:.2f} s, peak RSS {m.mem['peak_rss_mb']} MB; "
        f"{full['outcome']}; calls {m.by_kind}")
    with Measure(st) as m2:
        summary2 = pull_bills(stack.c, stack.org_id)
    inc = m2.result(records=0, outcome={k: summary2[k] for k in ("seen", "created", "updated", "withdrawn",
                                                                  "full")})
    log(f"[pull] incremental: {m2.calls} API calls, {m2.wall_s:.2f} s; {inc['outcome']}; calls {m2.by_kind}")
    return full, inc


# ---------------------------------------------------------------- analysis and output

def verdict(key: str, r: dict) -> tuple[bool | None, bool | None]:
    if key not in TARGETS:
        return None, None
    max_calls, max_s = TARGETS[key]
    return r["calls"] <= max_calls, (None if max_s is None else r["wall_s"] <= max_s)


def _mark(ok: bool | None) -> str:
    return "" if ok is None else ("met" if ok else "**missed**")


def table(results: dict, args) -> list[str]:  # noqa: ANN001
    n = {"push": args.bills, "push_naive": args.bills, "payments": args.payments,
         "payments_naive": args.payments, "pull_full": args.pull, "pull_incremental": 0}
    out = ["| scenario | records | API calls | calls target | wall s | time target | peak RSS MB (at start) "
           "| calls by kind |",
           "|---|---:|---:|---|---:|---|---:|---|"]
    for key in NAMES:
        r = results.get(key)
        if r is None:
            continue
        calls_ok, time_ok = verdict(key, r)
        tc = TARGETS.get(key)
        calls_t = f"≤ {tc[0]} {_mark(calls_ok)}" if tc else ""
        time_t = f"≤ {tc[1]:.0f} s {_mark(time_ok)}" if tc and tc[1] else ""
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(r["by_kind"].items(), key=lambda kv: -kv[1]))
        out.append(f"| {NAMES[key]} | {n[key]:,} | {r['calls']} | {calls_t} | {r['wall_s']:.2f} | {time_t} | "
                   f"{r['peak_rss_mb']:.0f} ({r['rss_before_mb'] or 0:.0f}) | {kinds} |")
    return out


def ratios(results: dict) -> dict:
    out = {}
    for kind in ("push", "payments"):
        a, b = results.get(kind), results.get(f"{kind}_naive")
        if a and b and b["calls"] and b["wall_s"]:
            out[kind] = {"calls": round(a["calls"] / b["calls"], 4), "wall": round(a["wall_s"] / b["wall_s"], 3)}
    return out


def findings(results: dict, args) -> list[str]:  # noqa: ANN001
    """Why each count is what it is, from the calls per kind; precise for the misses."""
    out = []
    push = results.get("push")
    if push:
        batches = push["by_kind"].get("POST /batch", 0)
        prefs = push["by_kind"].get("GET /preferences", 0)
        out.append(
            f"- Push: {batches} `POST /batch` requests carry the {args.bills:,} bills (30 per request, QuickBooks' "
            f"limit), plus {prefs} `GET /preferences`: `run_until_idle` claims the outbox 300 rows at a time, "
            f"each claim is one `engine.push_bills` call, and each call builds a new connector "
            f"(`connections.connector_for`) whose `company_currency()` reads the preferences again. "
            f"{'Within' if verdict('push', push)[0] else 'Over'} the call target "
            f"({push['calls']} of {TARGETS['push'][0]}); reading the preferences once per connection instead of "
            f"once per claim would make it {batches + min(prefs, 1)}. Of the {push['wall_s']:.1f} s, "
            f"about {push['calls'] * args.latency_ms / 1000:.1f} s is the injected latency "
            f"({push['calls']} sequential calls × {args.latency_ms} ms); the rest is the worker's database work "
            f"(attempt and outcome transactions, sync records, sync log) and serializing the batches.")
    if push and push["by_kind"].get("POST /batch"):
        batches = push["by_kind"]["POST /batch"]
        out.append(f"- Rate limits: QuickBooks allows 40 `/batch` requests per minute per company (the sandbox "
                   f"enforces it; each phase here starts with a fresh window). The push of {args.bills:,} bills "
                   f"uses {batches} of them, so more than about 1,200 bills or payments synced within one minute "
                   "(e.g. these bills and then their payments right after) get HTTP 429 from the limiter and "
                   "wait for the connector's retry backoff.")
    pay = results.get("payments")
    if pay:
        bk = pay["by_kind"]
        batches, queries = bk.get("POST /batch", 0), bk.get("GET /query", 0)
        prefs = bk.get("GET /preferences", 0)
        claims = -(-args.payments // 300)
        line = (f"- Payments: {batches} `POST /batch` (the creates, 30 per request) + {queries} `GET /query` + "
                f"{prefs} `GET /preferences` = {pay['calls']} calls. The queries are the guard reads — "
                "`BillPaymentWriter.push` (connectors/quickbooks/payments.py) reads the bills of every payment of "
                "a push (`SELECT * FROM Bill WHERE Id IN (...)`, up to 300 ids per query) before creating the "
                "payments, to refuse paying a bill already paid or deleted — about one per worker claim of 300 "
                f"rows ({claims} claims). The bank account comes from the connection's choice for the payment's "
                "currency (`options[\"bank_accounts\"]`): no account is read to pick one.")
        if not verdict("payments", pay)[0]:
            line += f" The target of {TARGETS['payments'][0]} calls is missed."
        out.append(line)
    full = results.get("pull_full")
    if full:
        q = full["by_kind"].get("GET /query", 0)
        out.append(f"- Pull, full scan: {q} `GET /query` pages of 1,000 (`MAXRESULTS` cap) for "
                   f"{args.pull:,} bills — the last page is empty when the count is a multiple of 1,000, because "
                   f"the offset paginator stops only on a short page — and no preferences read (the currency comes "
                   f"with each bill). The {full['wall_s']:.1f} s are mostly billpay's own work: creating "
                   f"{full['outcome']['created']:,} bills with lines and payment drafts and their audit events in "
                   f"one transaction ({full['cpu_s']:.1f} s CPU).")
    inc = results.get("pull_incremental")
    if inc:
        out.append(f"- Pull, nothing changed: {inc['calls']} call(s) ({', '.join(inc['by_kind']) or 'none'}): one "
                   "ChangeDataCapture request since the bookmark. Caveat: the bookmark is the server time of the "
                   "previous pull minus a 2-minute overlap and CDC answers at most 1,000 objects, so a pull run within "
                   "2 minutes of a change of 1,000+ bills falls back to a full scan.")
    for key in ("push", "payments"):
        r, naive = results.get(key), results.get(f"{key}_naive")
        if r and naive:
            q = ratios(results)[key]
            out.append(f"- {key.capitalize()} vs naive: {r['calls']} vs {naive['calls']} calls "
                       f"({q['calls']:.3f}x), {r['wall_s']:.1f} s vs {naive['wall_s']:.1f} s ({q['wall']:.2f}x). "
                       f"The naive run also breaks QuickBooks' limit of {QBO_PER_MINUTE} requests per minute per "
                       f"company (the sandbox's limit was lifted for it), so against QuickBooks it would need at "
                       f"least {naive['calls'] / QBO_PER_MINUTE:.1f} minutes.")
    return out


def command(args) -> str:  # noqa: ANN001
    cmd = ".venv/bin/python -m bench.sync"
    defaults = {"bills": 1000, "pull": 10_000, "payments": 1000, "latency_ms": 50}
    for k, v in defaults.items():
        if getattr(args, k) != v:
            cmd += f" --{k.replace('_', '-')} {getattr(args, k)}"
    if args.skip_naive:
        cmd += " --skip-naive"
    if args.persist_sandbox:
        cmd += " --persist-sandbox"
    return cmd


def docs_section(args, results: dict, when: str, total_s: float) -> str:  # noqa: ANN001
    loads = [r["other_load"] for r in results.values() if r.get("other_load") is not None]
    q = ratios(results)
    lines = [SECTION, "",
             f"Measured {when} on {machine()}, SQLite, everything in one process: the API, the outbox worker, the "
             f"QuickBooks connector and the built-in QuickBooks sandbox (in-process transport, no sockets), with "
             f"{args.latency_ms} ms of latency injected by the sandbox on every API call "
             f"(`set_faults(latency_ms={args.latency_ms})`) and QuickBooks' rate limits on. API calls are the "
             f"sandbox's own count (`request_stats()`); OAuth token requests are not API calls"
             + (f". Other processes used up to {max(loads):.0%} of the machine during the timed phases, which "
                "inflates wall times" if loads and max(loads) > 0.10 else "") + ".", "",
             *table(results, args), ""]
    if q:
        lines.append("Optimized / naive: " + "; ".join(
            f"{k}: {v['calls']:.3f}x the calls, {v['wall']:.2f}x the wall time" for k, v in q.items()) + ".")
        lines.append("")
    lines += [
        "What is measured:", "",
        f"- *Push*: {args.bills:,} bills (one line, Net 30, a GL account) created, confirmed and sent to payments "
        "through the services (not timed), then one `run_until_idle`; wall time and peak RSS cover that worker "
        "run only. Every bill ends `synced`.",
        f"- *Sync payments*: the payments of {args.payments:,} of those bills scheduled, released "
        "(`payments.release_due` with the container clock at the pay date) and settled "
        "(`rails.force_outcome`) through the services (not timed); timed: `accounting.sync_payments` and "
        "`run_until_idle`. Every payment ends `synced`.",
        "- *Naive*: the same bill payloads and payment payloads, built from the same database rows, sent one "
        "`POST /bill` / `POST /billpayment` per record through the same connector client, transport and "
        "latency, into a second sandbox company with the same chart of accounts and vendors (one preferences "
        "read and, for payments, one bank-account read included). It writes no sync records back and runs no "
        "paid-bill guard, which flatters it.",
        f"- *Pull*: {args.pull:,} open bills of the mapped vendors, dated from the pull start date on, entered "
        "directly in the sandbox state (no HTTP) ten minutes of sandbox time before the pull; then "
        "`sync.pull.pull_bills(container, org_id)` with `pull_bills_enabled` and a start date (first run: "
        "full scan; every bill becomes a read-only bill with a payment draft), then the same call again with "
        "nothing changed.",
        "- Peak RSS is the process's high-water mark (`VmHWM`, reset before each phase); the process also "
        "holds the sandbox's in-memory company.",
        "- The built-in sandbox normally stores its whole state in the installation's database after every "
        "write, so that serve and every worker share it; that is the demo sandbox's storage, not QuickBooks, "
        "and its cost grows with the company, so it is switched off for the figures (`--persist-sandbox` "
        "keeps it).",
        "- Each phase starts with fresh rate-limit windows; no request was throttled unless `by_status` in the "
        "JSON line shows a 429.",
        "", "Findings:", "", *findings(results, args), "",
        f"Targets: push ≤ {TARGETS['push'][0]} calls and ≤ {TARGETS['push'][1]:.0f} s for 1,000 bills; full pull "
        f"≤ {TARGETS['pull_full'][0]} calls for 10,000 bills; incremental pull with nothing changed ≤ "
        f"{TARGETS['pull_incremental'][0]} calls; payment sync ≤ {TARGETS['payments'][0]} calls for 1,000 "
        "payments.", "",
        f"Rerun from the repository root (this run took {total_s:.0f} s, data setup and the naive baseline "
        "included; `--bills N --payments N --pull N` scale it down):", "", "```", command(args), "```", ""]
    return "\n".join(lines)


def write_docs(section: str) -> None:
    write_section(SECTION, section)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__.split("\n\n")[0])
    p.add_argument("--bills", type=int, default=1000, help="bills pushed (and pushed naively)")
    p.add_argument("--payments", type=int, default=1000, help="settled payments synced (at most --bills)")
    p.add_argument("--pull", type=int, default=10_000, help="open bills in the sandbox to pull")
    p.add_argument("--latency-ms", type=int, default=50, help="latency the sandbox adds to every API call")
    p.add_argument("--skip-naive", action="store_true", help="skip the one-call-per-record baseline")
    p.add_argument("--persist-sandbox", action="store_true",
                   help="keep the built-in sandbox's JSON state file (rewritten after every write)")
    p.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = p.parse_args(argv)
    if args.payments > args.bills:
        p.error("--payments must not exceed --bills (the payments pay the pushed bills)")
    if min(args.bills, args.pull) < 1 or args.payments < 0:
        p.error("--bills and --pull must be at least 1")

    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("billpay").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    t_all = time.perf_counter()
    results: dict[str, dict] = {}
    workdir = Path(tempfile.mkdtemp(prefix="billpay-bench-sync-"))
    today = dt.date.today()
    pull_start = today - dt.timedelta(days=30)
    pushed_date = today - dt.timedelta(days=60)  # before the pull start: the pull scans only its own bills
    try:
        stack = Stack(workdir, args.persist_sandbox)
        vendor_ids = map_vendors(stack)
        log(f"stack ready: sandbox company {stack.realm}, {len(vendor_ids)} mapped vendors, "
            f"latency {args.latency_ms} ms per API call")
        stack.state.set_faults(latency_ms=args.latency_ms)
        results["push"], pairs = phase_push(stack, args.bills, vendor_ids, pushed_date)
        if args.payments:
            results["payments"] = phase_payments(stack, [pid for _, pid in pairs[:args.payments]])
        if not args.skip_naive:
            results["push_naive"], naive_pay = phase_naive(stack, pairs, args.payments)
            if naive_pay is not None:
                results["payments_naive"] = naive_pay
        results["pull_full"], results["pull_incremental"] = phase_pull(stack, args.pull, vendor_ids, pull_start)
        stack.state.clear_faults()
        stack.c.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    total_s = time.perf_counter() - t_all

    log("")
    for line in table(results, args):
        log(line)
    for k, v in ratios(results).items():
        log(f"{k}: optimized/naive calls {v['calls']:.3f}x, wall {v['wall']:.2f}x")
    for line in findings(results, args):
        log(line)
    missed = [f"{k} {what}" for k in TARGETS if k in results
              for what, ok in zip(("calls", "time"), verdict(k, results[k])) if ok is False]
    log("targets: " + ("all met" if not missed else "MISSED: " + ", ".join(missed)))
    log(f"total {total_s:.0f} s")
    line = {"bench": "sync", "bills": args.bills, "payments": args.payments, "pull": args.pull,
            "latency_ms": args.latency_ms, "cores": os.cpu_count(), "total_s": round(total_s, 1),
            "targets": {k: {"max_calls": c, "max_wall_s": s} for k, (c, s) in TARGETS.items()},
            "targets_met": not missed, "missed": missed, "ratios": ratios(results), "results": results}
    print(json.dumps(line), flush=True)
    if not args.no_docs:
        write_docs(docs_section(args, results, today.isoformat(), total_s))
        log(f"updated {DOCS.relative_to(ROOT) if DOCS.is_relative_to(ROOT) else DOCS}")
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
