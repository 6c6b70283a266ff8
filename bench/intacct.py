"""Sage Intacct benchmark: batched requests against a naive one-function-per-request baseline, and the pull.

Run from the repository root::

    .venv/bin/python -m bench.intacct [--bills 1000] [--payments 1000] [--pull 10000] [--latency-ms 50]

Everything runs in one process against the Intacct sandbox (in-process transport, no sockets), with
``latency_ms`` injected by the sandbox on every request. Requests are the sandbox's own count
(``request_stats()``); sign-ins are requests too.

1. Connector, like for like: ``IntacctConnector.push_bills`` of ``--bills`` AP bills (up to 100 functions
   a request), then ``push_bill_payments`` of ``--payments`` AP payments for them; the naive baseline
   sends the same payloads through the same client, session, transport and latency, one ``create``
   function per request, into a second company of the same sandbox. Targets: ≤ 15 requests for 1,000
   bills, and ≤ 1/10 of the naive wall time for bills and for payments.
2. Through the engine: an organization connected to the built-in Intacct sandbox
   (``PUT /api/v1/accounting/connection {"platform": "intacct", "sandbox": true}``), bills created,
   confirmed and sent to payments through the services, pushed by the outbox worker; their payments
   scheduled, released, settled and synced by the worker. Requests and wall time of the worker runs.
3. Pull: ``--pull`` open AP bills of the mapped vendors entered in the sandbox company (no HTTP), then
   ``sync.pull.pull_bills`` (first run: full scan), then again with nothing changed (target ≤ 2 requests).

Prints a table and one JSON line (``{"bench": "intacct", ...}``) and rewrites its own section of
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
from bench.sync import (
    Measure,
    create_bills,
    drain_other_jobs,
    map_vendors,
    pending_jobs,
    settle_payments,
    sync_states,
)

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Sage Intacct (XML gateway sandbox, 50 ms latency)"
SECRET = "bench-secret-key-" + "i" * 32
TARGETS = {"bills_requests": 15, "wall_ratio": 0.10, "pull_incremental": 2}
NAMES = {
    "push": "push AP bills (connector, 99 a request)",
    "push_naive": "push AP bills, naive (1 create a request)",
    "payments": "AP payments (connector, 98 a request)",
    "payments_naive": "AP payments, naive (1 create a request)",
    "engine_push": "push AP bills (outbox worker)",
    "engine_payments": "sync settled payments (outbox worker)",
    "pull_full": "pull open AP bills (first run, full scan)",
    "pull_incremental": "pull again, nothing changed",
}


# ---------------------------------------------------------------- connector, like for like

def _connector(state, http: httpx.Client, info: dict):  # noqa: ANN001, ANN202
    from billpay.connectors import ConnectionSettings, build_connector

    settings = ConnectionSettings(
        platform="intacct", company_id=info["company_id"],
        config={"endpoint_url": info["endpoint_url"], "sender_id": info["sender_id"], "user_id": info["user_id"],
                "entity_id": info["entity_id"]},
        secrets={"sender_password": info["sender_password"], "user_password": info["user_password"]},
        options={"bank_accounts": {"USD": "BOA-USD"}})
    return build_connector(settings, http=http, tokens=None, discovered={}, now=state.now)


def _payloads(n: int, today: dt.date, prefix: str):  # noqa: ANN202
    from billpay.sync.ports import BillLinePayload, BillPayload

    accounts = ("6000", "6100", "6200", "6300")
    out = []
    for i in range(n):
        amount = Decimal(100 + (i * 37) % 4900) + Decimal(i % 100) / 100
        first = (amount * Decimal("0.6")).quantize(Decimal("0.01"))
        out.append(BillPayload(
            bill_id=f"bill_{prefix}{i:06d}", vendor_external_id=f"V{i % 5 + 1:04d}",
            invoice_number=f"{prefix.upper()}-{i:06d}", invoice_date=today, due_date=today + dt.timedelta(days=30),
            currency="USD", amount=amount, memo=f"Bench bill {i}",
            lines=(BillLinePayload(first, "Services", account_id=accounts[i % 4], dimensions={"department": "D100"}),
                   BillLinePayload(amount - first, "Materials", account_id=accounts[(i + 1) % 4]))))
    return out


def _payment(bill, ref, today: dt.date):  # noqa: ANN001, ANN202
    from billpay.sync.ports import BillPaymentPayload

    return BillPaymentPayload(payment_id=bill.bill_id.replace("bill_", "pay_"), bill_external_id=ref.external_id,
                              vendor_external_id=bill.vendor_external_id, amount=bill.amount, currency="USD",
                              pay_date=today, method="ach", memo="Bench payment")


def phase_connector(args) -> dict:  # noqa: ANN001
    from billpay.connectors.intacct import wire
    from billpay.sandboxes.intacct import IntacctState, create_app, in_process_transport
    from billpay.sync.ports import RemoteRef

    state = IntacctState()
    http = httpx.Client(transport=in_process_transport(create_app(state)), base_url="http://intacct.bench",
                        timeout=60)
    base = "http://intacct.bench"
    batched = _connector(state, http, state.seed_for_control({}, base))
    naive = _connector(state, http, state.seed_for_control({}, base))
    today = state.company(batched.company_id).local(state.now()).date()
    for connector in (batched, naive):  # signed in, entity currency known: not part of the counts
        connector.fetch_reference_data("locations")
    state.set_faults(latency_ms=args.latency_ms)
    results: dict[str, dict] = {}
    bills = _payloads(args.bills, today, "b")
    with Measure(state) as m:
        pushed = batched.push_bills([(f"{b.bill_id}:create#0", b) for b in bills])
    ok = [r for r in pushed if r.ref is not None]
    results["push"] = m.result(records=args.bills, outcome={"created": len(ok)})
    log(f"[connector] {len(ok):,} bills in {m.calls} requests, {m.wall_s:.2f} s")

    naive_bills = _payloads(args.bills, today, "n")
    naive_refs = {}
    with Measure(state) as m:
        for b in naive_bills:
            key = f"{b.bill_id}:create#0"
            (answer,) = naive.client.call([wire.Function(wire.create("APBILL", naive._bill_wire(b)), key)],
                                          unique=True)
            naive_refs[b.bill_id] = answer.records()[0]["RECORDNO"]
    results["push_naive"] = m.result(records=args.bills, outcome={"created": len(naive_refs)})
    log(f"[connector] naive: {len(naive_refs):,} bills in {m.calls} requests, {m.wall_s:.2f} s")

    if args.payments:
        items = [(f"{p.payment_id}:create#0", p) for p in
                 (_payment(b, r.ref, today) for b, r in zip(bills[:args.payments], pushed))]
        with Measure(state) as m:
            paid = batched.push_bill_payments(items)
        results["payments"] = m.result(records=args.payments,
                                       outcome={"created": sum(r.ref is not None for r in paid)})
        log(f"[connector] {args.payments:,} payments in {m.calls} requests, {m.wall_s:.2f} s")
        created = 0
        with Measure(state) as m:
            for b in naive_bills[:args.payments]:
                p = _payment(b, RemoteRef(naive_refs[b.bill_id]), today)
                (answer,) = naive.client.call([wire.Function(wire.create("APPYMT", naive._payment_wire(p)),
                                                             f"{p.payment_id}:create#0")], unique=True)
                created += answer.ok
        results["payments_naive"] = m.result(records=args.payments, outcome={"created": created})
        log(f"[connector] naive: {created:,} payments in {m.calls} requests, {m.wall_s:.2f} s")
    http.close()
    return results


# ---------------------------------------------------------------- through the engine

class IntacctStack:
    """Container + organization + connection to the built-in Intacct sandbox, as tests/e2e build it."""

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
        self.org_id, self.api_key = out.organization_id, out.api_key
        self.admin = Actor(self.org_id, out.user_id, frozenset({"admin"}), "user")
        self.state = builtin_sandbox.get(self.c, "intacct").state
        self.state.persist_path = None  # the demo sandbox's JSON file is not Intacct: kept out of the figures
        r = self.api("PUT", "/accounting/connection", {"platform": "intacct", "sandbox": True})
        assert r.status_code == 200, r.text
        run_until_idle(self.c)  # signs in, loads reference data
        conn = self.api("GET", "/accounting/connection").json()
        assert conn["health"]["status"] == "ok", conn
        self.company = conn["company_id"]
        self.ref = {k: [r for r in self.api("GET", f"/accounting/reference-data/{k}").json()["data"] if r["active"]]
                    for k in ("vendors", "accounts", "terms")}

    def api(self, method: str, path: str, body: dict | None = None):  # noqa: ANN201
        return self.client.request(method, f"/api/v1{path}", json=body,
                                   headers={"Authorization": f"Bearer {self.api_key}"})

    def tx(self, actor=None):  # noqa: ANN001, ANN201
        from billpay.services.context import Actor

        return self.c.tx(actor or Actor.system(self.org_id))


def phase_engine(stack: IntacctStack, args, invoice_date: dt.date) -> dict:  # noqa: ANN001
    from billpay.services import accounting
    from billpay.sync.worker import run_until_idle

    vendor_ids = map_vendors(stack)
    pairs = create_bills(stack, vendor_ids, args.bills, invoice_date)
    drain_other_jobs(stack)
    log(f"[engine] {args.bills:,} bills sent to payments; queued: {pending_jobs(stack)}")
    stack.state.set_faults(latency_ms=args.latency_ms)
    results = {}
    with Measure(stack.state) as m:
        jobs = run_until_idle(stack.c)
    results["engine_push"] = m.result(records=args.bills, jobs=jobs,
                                      outcome=sync_states(stack, "bill", [b for b, _ in pairs]))
    log(f"[engine] push: {m.calls} requests, {m.wall_s:.2f} s; {results['engine_push']['outcome']}")
    if args.payments:
        payment_ids = [p for _, p in pairs[:args.payments]]
        settle_payments(stack, payment_ids)
        drain_other_jobs(stack)
        with Measure(stack.state) as m:
            with stack.tx(stack.admin) as ctx:
                accounting.sync_payments(ctx)
            jobs = run_until_idle(stack.c)
        results["engine_payments"] = m.result(records=args.payments, jobs=jobs,
                                              outcome=sync_states(stack, "payment", payment_ids))
        log(f"[engine] payments: {m.calls} requests, {m.wall_s:.2f} s; {results['engine_payments']['outcome']}")
    stack.state.clear_faults()
    return results


def phase_pull(stack: IntacctStack, args, start: dt.date) -> dict:  # noqa: ANN001
    from billpay.services import orgs
    from billpay.sync.pull import pull_bills

    st = stack.state
    company = st.company(stack.company)
    today = company.local(st.now()).date()
    span = max(1, (today - start).days)
    vendors = [v["id"] for v in stack.ref["vendors"] if v["active"]]
    t0 = time.perf_counter()
    for i in range(args.pull):
        day = start + dt.timedelta(days=i % span)
        amount = Decimal(50 + (i * 53) % 9950) + Decimal(i % 100) / 100
        st.create_bill_outside(stack.company, vendor_id=vendors[i % len(vendors)], when=day, number=f"IA-{i:06d}",
                               lines=[{"ACCOUNTNO": "6000", "TRX_AMOUNT": amount, "LOCATIONID": "L110",
                                       "ENTRYDESCRIPTION": f"Service {i}"}])
    setup_s = time.perf_counter() - t0
    st.advance_clock(600)  # entered ten minutes before the pull, outside its bookmark overlap
    with stack.tx(stack.admin) as ctx:
        orgs.update_settings(ctx, {"pull_bills_enabled": True, "pull_start_date": start.isoformat()})
    log(f"[pull] {args.pull:,} open bills entered in the sandbox in {setup_s:.1f} s (no HTTP)")
    st.set_faults(latency_ms=args.latency_ms)
    results = {}
    with Measure(st) as m:
        summary = pull_bills(stack.c, stack.org_id)
    keys = ("seen", "created", "updated", "withdrawn", "full")
    results["pull_full"] = m.result(records=args.pull, setup_s=round(setup_s, 1),
                                    outcome={k: summary[k] for k in keys})
    log(f"[pull] full: {m.calls} requests, {m.wall_s:.2f} s; {results['pull_full']['outcome']}")
    with Measure(st) as m:
        summary = pull_bills(stack.c, stack.org_id)
    results["pull_incremental"] = m.result(records=0, outcome={k: summary[k] for k in keys})
    log(f"[pull] incremental: {m.calls} requests, {m.wall_s:.2f} s; {results['pull_incremental']['outcome']}")
    st.clear_faults()
    return results


# ---------------------------------------------------------------- output

def checks(results: dict, args) -> dict[str, bool]:  # noqa: ANN001
    out = {}
    scale = args.bills / 1000
    if "push" in results:
        out["push requests"] = results["push"]["calls"] <= TARGETS["bills_requests"] * max(scale, 1)
    if "engine_push" in results:
        out["engine push requests"] = results["engine_push"]["calls"] <= TARGETS["bills_requests"] * max(scale, 1)
    for kind in ("push", "payments"):
        a, b = results.get(kind), results.get(f"{kind}_naive")
        if a and b:
            out[f"{kind} wall ≤ 1/10 naive"] = a["wall_s"] <= b["wall_s"] * TARGETS["wall_ratio"]
    if "pull_incremental" in results:
        out["incremental pull requests"] = results["pull_incremental"]["calls"] <= TARGETS["pull_incremental"]
    return out


def table(results: dict) -> list[str]:
    out = ["| scenario | records | requests | wall s | peak RSS MB | requests by functions |", "|---|---:|---:|---:|---:|---|"]
    for key, name in NAMES.items():
        r = results.get(key)
        if r is None:
            continue
        kinds = ", ".join(f"{k.removeprefix('POST ')} {v}" for k, v in sorted(r["by_kind"].items(),
                                                                             key=lambda kv: -kv[1]))
        out.append(f"| {name} | {r['records']:,} | {r['calls']} | {r['wall_s']:.2f} | {r['peak_rss_mb']:.0f} | "
                   f"{kinds} |")
    return out


def ratios(results: dict) -> dict:
    out = {}
    for kind in ("push", "payments"):
        a, b = results.get(kind), results.get(f"{kind}_naive")
        if a and b and b["calls"] and b["wall_s"]:
            out[kind] = {"requests": round(a["calls"] / b["calls"], 4), "wall": round(a["wall_s"] / b["wall_s"], 3)}
    return out


def findings(results: dict, args) -> list[str]:  # noqa: ANN001
    """Why each figure is what it is."""
    out = []
    push, engine = results.get("push"), results.get("engine_push")
    if push:
        out.append(f"- Connector: {push['calls']} requests for {args.bills:,} bills is ceil({args.bills:,} / 99): "
                   "the sign-in and the entity's currency were read when the connection loaded its reference data "
                   "and are cached for the connection, so the push is creates only. Of its "
                   f"{push['wall_s']:.1f} s, {push['calls'] * args.latency_ms / 1000:.1f} s is the injected latency; "
                   f"the rest is building and parsing the XML on both sides ({push['cpu_s']:.1f} s CPU, the "
                   "sandbox included) and waiting for a CPU on the shared machine.")
    if push and engine:
        out.append(f"- Outbox worker: {engine['calls']} requests, within the target, but {engine['wall_s']:.0f} s "
                   f"({engine['cpu_s']:.0f} s CPU) against the connector's {push['wall_s']:.1f} s for the same "
                   "bills: the rest is the engine's own per-record database work, shared by every platform "
                   "(profiled on 300 bills: `engine.push_bills` spends most of its time in SQLAlchemy statements "
                   "per bill — `bill_payload` twice per bill, `sync_records.get_or_create`, `_ref_id` for the "
                   "terms — and the connector about a seventh). The like-for-like ratio against the naive "
                   "baseline is therefore the connector's; through the worker the Intacct requests are not what "
                   "limits the speed.")
    full = results.get("pull_full")
    if full:
        out.append(f"- Pull: {full['calls']} requests for {args.pull:,} bills (5 pages of 2,000, the lines of "
                   f"each page in the next request, the company's custom dimensions learned in the first). Its "
                   f"{full['wall_s']:.0f} s ({full['cpu_s']:.0f} s CPU) are mostly billpay creating "
                   f"{full['outcome'].get('created', 0):,} read-only bills with lines, payment drafts and audit "
                   "events in one transaction.")
    return out


def command(args) -> str:  # noqa: ANN001
    cmd = ".venv/bin/python -m bench.intacct"
    for name, default in (("bills", 1000), ("payments", 1000), ("pull", 10_000), ("latency_ms", 50)):
        if getattr(args, name) != default:
            cmd += f" --{name.replace('_', '-')} {getattr(args, name)}"
    return cmd


def docs_section(args, results: dict, verdicts: dict, when: str, total_s: float) -> str:  # noqa: ANN001
    q = ratios(results)
    loads = [r["other_load"] for r in results.values() if r.get("other_load") is not None]
    engine = results.get("engine_push", {})
    lines = [
        SECTION, "",
        f"Measured {when} on {machine()}, on a machine shared with other work"
        + (f" (other processes used up to {max(loads):.0%} of it during the timed phases, which inflates wall "
           "times)" if loads else "") +
        f". Everything in one process: SQLite, the outbox worker, the Intacct connector and the Intacct sandbox "
        f"(in-process transport), {args.latency_ms} ms of latency added by the sandbox to every request. "
        "Requests are the sandbox's count; each request may carry up to 100 functions.", "",
        *table(results), "",
    ]
    if q:
        lines += ["Batched / naive: " + "; ".join(f"{k}: {v['requests']:.3f}x the requests, {v['wall']:.3f}x the wall "
                                                 "time" for k, v in q.items()) + ".", ""]
    lines += [
        "Targets: " + "; ".join(f"{name}: {'met' if ok else '**missed**'}" for name, ok in verdicts.items()) + ".",
        "",
        "What is measured:", "",
        f"- *Connector*: {args.bills:,} two-line AP bills pushed with `IntacctConnector.push_bills` (99 creates and "
        "one read-back query a request, `uniqueid=true`), then AP payments for them with `push_bill_payments` (98 "
        "creates and two read-backs a request). *Naive*: the same payloads through the same client, session and "
        "latency, one `create` function a request, into a second company of the same sandbox. The sign-in is done "
        "before the timed part for both.",
        f"- *Outbox worker*: bills created, confirmed and sent to payments through the services (not timed), then "
        f"one `run_until_idle` ({engine.get('jobs', 0)} jobs); the worker claims 300 outbox rows at a time, so "
        "each claim is ceil(300/99) = 4 requests. Payments scheduled, released and settled through the services "
        "(not timed); timed: `accounting.sync_payments` and `run_until_idle`. The worker's own database work "
        "(attempts, outcomes, sync log, marking bills paid) is most of its wall time.",
        f"- *Pull*: {args.pull:,} open AP bills entered directly in the sandbox company, then "
        "`sync.pull.pull_bills` (full scan: pages of 2,000 bills by record number, each request also carrying the "
        "lines of the previous page), then again with nothing changed (one request: changed bills and the audit "
        "trail's deletions together).",
        "",
        "Findings:", "", *findings(results, args), "",
        f"Rerun from the repository root (this run took {total_s:.0f} s, data setup included; `--bills N "
        "--payments N --pull N` scale it down):", "", "```", command(args), "```", "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.intacct", description=__doc__.split("\n\n")[0])
    p.add_argument("--bills", type=int, default=1000)
    p.add_argument("--payments", type=int, default=1000)
    p.add_argument("--pull", type=int, default=10_000)
    p.add_argument("--latency-ms", type=int, default=50)
    p.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = p.parse_args(argv)
    if args.payments > args.bills or min(args.bills, args.pull) < 1:
        p.error("--bills and --pull must be at least 1 and --payments at most --bills")
    logging.getLogger("billpay").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    t_all = time.perf_counter()
    results = phase_connector(args)
    workdir = Path(tempfile.mkdtemp(prefix="billpay-bench-intacct-"))
    try:
        stack = IntacctStack(workdir)
        today = stack.state.company(stack.company).local(stack.state.now()).date()
        results.update(phase_engine(stack, args, today - dt.timedelta(days=60)))
        results.update(phase_pull(stack, args, today - dt.timedelta(days=30)))
        stack.c.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    total_s = time.perf_counter() - t_all
    verdicts = checks(results, args)
    log("")
    for line in table(results):
        log(line)
    for k, v in ratios(results).items():
        log(f"{k}: batched/naive requests {v['requests']:.3f}x, wall {v['wall']:.3f}x")
    missed = [k for k, ok in verdicts.items() if not ok]
    log("targets: " + ("all met" if not missed else "MISSED: " + ", ".join(missed)))
    print(json.dumps({"bench": "intacct", "bills": args.bills, "payments": args.payments, "pull": args.pull,
                      "latency_ms": args.latency_ms, "cores": os.cpu_count(), "total_s": round(total_s, 1),
                      "targets": verdicts, "ratios": ratios(results), "results": results}, default=str), flush=True)
    if not args.no_docs:
        write_section(SECTION, docs_section(args, results, verdicts, dt.date.today().isoformat(), total_s))
        log(f"updated {DOCS.relative_to(ROOT) if DOCS.is_relative_to(ROOT) else DOCS}")
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())

