"""NetSuite connector benchmark: concurrent writes inside the account's limit, and SuiteQL pulls.

Against the in-process NetSuite sandbox with 50 ms injected latency per request:

- push 1,000 vendor bills and sync 1,000 bill payments with the connector as billpay runs it (five requests
  in flight, the Standard tier's limit), and the same with a naive one-at-a-time connector in the same run:
  API calls, wall time, peak RSS, and 429 answers (target: wall time <= 1/4 of the sequential baseline and
  not a single 429);
- pull 10,000 open bills (target: <= 11 SuiteQL pages) and an incremental pull with nothing changed
  (target: 1 request).

Run from the repository root: ``.venv/bin/python -m bench.netsuite`` (``--bills N --pull-bills N`` for a
quicker run, ``--no-write`` to leave docs/benchmarks.md alone).
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from decimal import Decimal

import httpx

from bench._common import OtherLoad, log, machine
from bench._docs import write_section
from bench.sync import PeakRss
from billpay.connectors import ConnectionSettings, build_connector
from billpay.connectors.base import InMemoryTokenStore
from billpay.connectors.base.limits import LocalLimiter
from billpay.sandboxes.netsuite import NetSuiteState, create_app, in_process_transport
from billpay.sandboxes.netsuite.records import Body
from billpay.sandboxes.netsuite.transactions import save
from billpay.sync.ports import BillLinePayload, BillPayload, BillPaymentPayload

SECTION = "## NetSuite connector (NetSuite sandbox, 50 ms latency)"
BASE = "https://1234567-sb1.suitetalk.sandbox.test"


class Run:
    """Calls, wall time, peak RSS and 429s of one phase, read from the sandbox's request log."""

    def __init__(self, state: NetSuiteState, name: str) -> None:
        self.state, self.name = state, name

    def __enter__(self) -> "Run":
        self.state.reset_request_stats()
        self.rss, self.load = PeakRss(), OtherLoad()
        self.rss.start()
        self.load.start()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.other = self.load.stop()
        self.mem = self.rss.stop()
        stats = self.state.request_stats(recent=0)
        self.calls = stats["total_api_calls"]
        self.throttled = int(stats["by_status"].get("429", 0))
        self.by_kind = {k: v for k, v in stats["by_kind"].items() if not k.startswith("POST /auth")}
        log(f"[{self.name}] {self.calls} calls, {self.wall:.2f} s, peak RSS {self.mem['peak_rss_mb']} MB, "
            f"429s {self.throttled}, other load {self.other if self.other is None else round(self.other, 2)}")

    def row(self) -> str:
        other = "?" if self.other is None else f"{self.other * 100:.0f} %"
        return (f"| {self.name} | {self.calls} | {self.wall:.1f} | {self.mem['peak_rss_mb']:.0f} | "
                f"{self.throttled} | {other} |")


def connector(state: NetSuiteState, info: dict, http: httpx.Client, bank: str, *, concurrency: int):  # noqa: ANN201
    settings = ConnectionSettings(
        platform="netsuite", company_id=info["account_id"],
        config={k: info[k] for k in ("base_url", "token_url", "client_id", "certificate_id")},
        secrets={"private_key_pem": info["private_key_pem"]}, options={"bank_accounts": {"USD": bank}})
    return build_connector(settings, http=http, tokens=InMemoryTokenStore(), now=state.now,
                           limiter=LocalLimiter(concurrency))


def bills(prefix: str, n: int, vendor: str, account: str, day: dt.date) -> list[tuple[str, BillPayload]]:
    return [(f"{prefix}_{i}:create#0", BillPayload(
        bill_id=f"{prefix}_{i}", vendor_external_id=vendor, invoice_number=f"{prefix.upper()}-{i}",
        invoice_date=day, due_date=day + dt.timedelta(days=30), currency="USD", amount=Decimal("125.40"),
        lines=[BillLinePayload(Decimal("125.40"), "Services", account_id=account)])) for i in range(n)]


def payments(prefix: str, refs: list, vendor: str, day: dt.date) -> list[tuple[str, BillPaymentPayload]]:
    return [(f"{prefix}_{i}:create#0", BillPaymentPayload(
        payment_id=f"{prefix}_{i}", bill_external_id=ref.external_id, vendor_external_id=vendor,
        amount=Decimal("125.40"), currency="USD", pay_date=day, method="ach")) for i, ref in enumerate(refs)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.netsuite", description=__doc__.split("\n\n")[0])
    p.add_argument("--bills", type=int, default=1000)
    p.add_argument("--pull-bills", type=int, default=10_000)
    p.add_argument("--latency-ms", type=int, default=50)
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)

    state = NetSuiteState()
    account = state.seed_account(vendors=5)
    info = state.credentials(account, BASE)
    acct = state.account(account)
    us = next(s["id"] for s in acct.values("subsidiary") if s.get("country") == "US")
    vendor = next(v["id"] for v in acct.values("vendor") if v["subsidiary"] == us)
    expense = next(a["id"] for a in acct.values("account") if a["acctType"] == "Expense")
    bank = next(a["id"] for a in acct.values("account") if a["acctType"] == "Bank" and a.get("subsidiary") == us)
    day = state.today()
    http = httpx.Client(transport=in_process_transport(create_app(state)), base_url=BASE)
    fast = connector(state, info, http, bank, concurrency=5)
    naive = connector(state, info, http, bank, concurrency=1)
    for c in (fast, naive):
        c.fetch_reference_data("terms")  # sign in and read currencies outside the timed phases
        c.currencies()
    state.set_faults(latency_ms=args.latency_ms)
    log(f"NetSuite bench: {args.bills} bills/payments, {args.pull_bills} bills to pull, "
        f"{args.latency_ms} ms latency; {machine()}")

    runs: list[Run] = []
    with Run(state, f"push {args.bills} bills, 5 in flight") as push:
        results = fast.push_bills(bills("bf", args.bills, vendor, expense, day))
    runs.append(push)
    with Run(state, f"push {args.bills} bills, one at a time (baseline)") as push_base:
        base_results = naive.push_bills(bills("bn", args.bills, vendor, expense, day))
    runs.append(push_base)
    assert all(r.ref for r in results + base_results), [r.error for r in results if r.error][:3]
    with Run(state, f"sync {args.bills} bill payments, 5 in flight") as pay:
        paid = fast.push_bill_payments(payments("pf", [r.ref for r in results], vendor, day))
    runs.append(pay)
    with Run(state, f"sync {args.bills} bill payments, one at a time (baseline)") as pay_base:
        paid_base = naive.push_bill_payments(payments("pn", [r.ref for r in base_results], vendor, day))
    runs.append(pay_base)
    assert all(r.ref for r in paid + paid_base), [r.error for r in paid if r.error][:3]

    # The pull runs on an account of its own holding only the open bills (the push phases' bills are paid).
    state.set_faults(latency_ms=0)
    account = state.seed_account(vendors=5)
    acct = state.account(account)
    vendor = next(v["id"] for v in acct.values("vendor") if v["subsidiary"] == us)
    expense = next(a["id"] for a in acct.values("account") if a["acctType"] == "Expense")
    fast = connector(state, state.credentials(account, BASE), http, bank, concurrency=5)
    fast.fetch_reference_data("terms")
    state.set_faults(latency_ms=args.latency_ms)
    t0 = time.perf_counter()
    with state.lock:
        for i in range(args.pull_bills):
            save(acct, "vendorBill", None, Body({"entity": vendor, "tranId": f"OPEN-{i}", "tranDate": day.isoformat(),
                                                 "expense": [{"account": expense, "amount": Decimal("42.00")}]}, []),
                 set(), state.now(), day)
    log(f"[setup] {args.pull_bills} open bills created in the sandbox in {time.perf_counter() - t0:.1f} s")
    state.advance_clock(300)
    with Run(state, f"pull {args.pull_bills} open bills (full)") as pull:
        full = fast.pull_bills(None, day - dt.timedelta(days=1))
    runs.append(pull)
    open_bills = sum(1 for b in full.bills if b.is_open)
    state.advance_clock(300)
    with Run(state, "incremental pull, nothing changed") as quiet:
        nothing = fast.pull_bills(full.bookmark, day - dt.timedelta(days=1))
    runs.append(quiet)
    assert not nothing.bills and not nothing.deleted_ids

    push_ratio, pay_ratio = push.wall / push_base.wall, pay.wall / pay_base.wall
    checks = {
        "push wall time <= 1/4 of baseline": push_ratio <= 0.25,
        "payments wall time <= 1/4 of baseline": pay_ratio <= 0.25,
        "no 429 at all": all(r.throttled == 0 for r in runs),
        f"full pull of {args.pull_bills} open bills in <= 11 pages": pull.calls <= 11,
        "incremental pull with nothing changed: 1 call": quiet.calls == 1,
    }
    for name, ok in checks.items():
        log(f"  {'ok ' if ok else 'MISS'} {name}")
    if not args.no_write:
        write_section(SECTION, "\n".join([
            SECTION, "",
            f"`.venv/bin/python -m bench.netsuite` (connector + in-process NetSuite sandbox, {args.latency_ms} ms "
            f"injected latency per request, OAuth 2.0 sign-in outside the timed phases). Measured on {machine()}, "
            "a machine shared with other developers' work (the last column is the CPU share other processes "
            "used while the phase ran).", "",
            "NetSuite REST has no synchronous batch: every vendor bill and bill payment is one `PUT …/eid:` "
            "upsert. billpay runs them five at a time (the account's concurrency limit on the Standard tier, "
            "held by the connector's limiter) against a connector limited to one at a time in the same run.", "",
            "| phase | API calls | wall s | peak RSS MB | 429s | other load |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            *(r.row() for r in runs), "",
            f"- Push: {push_ratio:.2f} × the sequential wall time; bill payments: {pay_ratio:.2f} × "
            f"(target ≤ 0.25). 429 answers in all phases: {sum(r.throttled for r in runs)} (target 0).",
            f"- Full pull (an account holding {open_bills} open one-line bills): "
            f"{pull.calls} SuiteQL pages of 1,000 rows (target ≤ 11 for 10,000 bills); incremental pull with "
            f"nothing changed: {quiet.calls} request (target 1).",
            "- Calls per push: one vendor look-up (SuiteQL) + one upsert per bill; per payment sync: one bill "
            "look-up per 900 bills + one upsert per payment.",
            f"- Targets met: {', '.join(k for k, v in checks.items() if v) or 'none'}"
            + (f"; missed: {', '.join(k for k, v in checks.items() if not v)}." if not all(checks.values())
               else "."),
        ]) + "\n")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
