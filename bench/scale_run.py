"""``bench.scale``'s worker half: a QuickBooks sandbox server with one company per organization, ``billpay worker``
processes on a shared Redis queue, a big organization pushing while small ones send one bill each, then a burst
from every small organization, and a trickle to watch worker memory.

``python -m bench.scale_run sandbox --realms N`` serves the sandbox (used by ``measure``): its first line on
standard output is JSON with the app's credentials and one refresh token per company.
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Callable

import httpx
import redis
import uvicorn
from sqlalchemy import func, select

from bench._common import log
from billpay import jobs
from billpay.bootstrap import build
from billpay.config import Settings
from billpay.db import tables as t
from billpay.sandboxes.core import bind_socket
from billpay.sandboxes.quickbooks.models import QuickBooksState, connection_info
from billpay.sandboxes.quickbooks.routes import create_app
from billpay.services import accounting, vendors
from billpay.services import bills as bill_services
from billpay.services.context import Actor
from billpay.services.orgs import create_organization, create_user

UTC = dt.timezone.utc
LOOPBACK = "127.0.0.1,localhost"  # the sandbox server runs on this machine
# Every bill of the run has its own amount: one vendor's bills with the same amount and date are held as
# likely duplicates.
_CENTS = itertools.count(1000)


def now() -> dt.datetime:
    return dt.datetime.now(UTC)


# ---------------------------------------------------------------- the sandbox server process

def serve_sandbox(realms: int) -> None:
    sock = bind_socket("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    state = QuickBooksState(None)
    client_id, client_secret = state.register_client()
    companies = []
    for _ in range(realms):
        realm = state.seed_company(vendors=2)
        companies.append([realm, state.issue_refresh_token(client_id, realm)])
    info = connection_info(base, client_id, client_secret)
    print(json.dumps({"base_url": info["base_url"], "token_url": info["token_url"], "client_id": client_id,
                      "client_secret": client_secret, "control": base, "companies": companies}), flush=True)
    uvicorn.Server(uvicorn.Config(create_app(state), log_level="warning", lifespan="off", access_log=False)
                   ).run(sockets=[sock])


def start_sandbox(realms: int) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.scale_run", "sandbox", "--realms", str(realms)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("the sandbox server did not start")
    return proc, json.loads(line)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# ---------------------------------------------------------------- billpay side

def rss_kb(pid: int) -> int | None:
    try:
        m = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


class RssSampler(threading.Thread):
    def __init__(self, pids: list[int], every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.pids, self.every, self.samples = pids, every, []  # (seconds since start, [kB per worker])
        self._halt, self.t0 = threading.Event(), time.monotonic()

    def run(self) -> None:
        while not self._halt.wait(self.every):
            self.samples.append((time.monotonic() - self.t0, [rss_kb(p) or 0 for p in self.pids]))

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def start_workers(n: int, env: dict, workdir: Path) -> list[subprocess.Popen]:
    exe = str(Path(sys.executable).with_name("billpay"))
    procs = []
    for i in range(n):
        e = {**os.environ, **env, "BILLPAY_DATA_DIR": str(workdir / f"worker{i}")}
        procs.append(subprocess.Popen([exe, "worker", "--threads", "2"], env=e, stdout=subprocess.DEVNULL,
                                      stderr=open(workdir / f"worker{i}.log", "w")))
    return procs


def setup_orgs(container, info: dict) -> list[tuple[str, Actor]]:  # noqa: ANN001
    orgs = []
    for i, (realm, refresh) in enumerate(info["companies"]):
        with container.sessionmaker() as s, s.begin():
            out = create_organization(s, container.vault, name=f"Org {i}", admin_email=f"admin{i}@bench.test")
        actor = Actor(out.organization_id, out.user_id, frozenset({"admin"}), "user")
        with container.tx(actor) as ctx:
            accounting.connect(ctx, container, {
                "platform": "quickbooks", "base_url": info["base_url"], "token_url": info["token_url"],
                "realm_id": realm, "client_id": info["client_id"], "client_secret": info["client_secret"],
                "refresh_token": refresh})
        orgs.append((out.organization_id, actor))
    return orgs


def wait_for(what: str, done: Callable[[], bool], timeout: float) -> float:
    t0 = time.monotonic()
    while not done():
        if time.monotonic() - t0 > timeout:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.5)
    return time.monotonic() - t0


def map_vendors(container, orgs: list[tuple[str, Actor]]) -> dict[str, dict]:  # noqa: ANN001
    coding = {}
    for org_id, actor in orgs:
        with container.tx(actor) as ctx:
            refs = {kind: list(ctx.session.scalars(select(t.ReferenceItem).where(
                t.ReferenceItem.org_id == org_id, t.ReferenceItem.kind == kind, t.ReferenceItem.active.is_(True))))
                for kind in ("vendors", "accounts")}
            ext = refs["vendors"][0]
            account = next(a for a in refs["accounts"] if "xpense" in json.dumps(a.extra or {}))
            v = vendors.create_vendor(ctx, {"name": ext.name, "routing_number": "021000021",
                                            "account_number": "123456789", "accounting_vendor_id": ext.external_id})
            colleague = create_user(ctx, email=f"colleague.{org_id[-8:]}@bench.test", roles=["admin"])
            coding[org_id] = {"vendor_id": v.id, "gl_account": account.external_id}
        # new bank details wait for a second person before any payment can go to them
        with container.tx(Actor(org_id, colleague.id, frozenset({"admin"}), "user")) as ctx:
            vendors.verify_bank_details(ctx, coding[org_id]["vendor_id"])
    return coding


def send(container, actor: Actor, coding: dict, n: int, prefix: str) -> list[str]:  # noqa: ANN001
    ids = []
    with container.tx(actor) as ctx:
        for i in range(n):
            b = bill_services.create_bill(ctx, {
                "vendor_id": coding["vendor_id"], "invoice_number": f"{prefix}-{i:05d}", "invoice_date": "2026-04-01",
                "payment_terms": "Net 30", "amount": str(Decimal(next(_CENTS)).scaleb(-2)),
                "attributes": {"gl_account": coding["gl_account"]}})
            bill_services.confirm_bill(ctx, b.id)
            bill_services.send_to_payments(ctx, b.id, method="ach")
            ids.append(b.id)
    return ids


def synced(container, ids: list[str]) -> dict[str, dt.datetime]:  # noqa: ANN001
    out = {}
    with container.sessionmaker() as s:
        for i in range(0, len(ids), 1000):
            out.update(s.execute(select(t.SyncRecord.record_id, t.SyncRecord.last_synced_at).where(
                t.SyncRecord.record_type == "bill", t.SyncRecord.state == "synced",
                t.SyncRecord.record_id.in_(ids[i:i + 1000]))).all())
    return out


def errors(container) -> int:  # noqa: ANN001
    with container.sessionmaker() as s:
        return int(s.scalar(select(func.count()).select_from(t.SyncRecord).where(t.SyncRecord.state == "error")))


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def run_once(server: str, redis_url: str, workdir: Path, w: int, *, small_orgs: int, big_bills: int,
             small_bills: int, soak_minutes: float, fresh_database: Callable, secret: str) -> dict:
    log(f"workers={w}: setting up {small_orgs + 1} organizations")
    url = fresh_database(server, f"billpay_scale_w{w}")
    redis.Redis.from_url(redis_url).flushdb()
    sandbox, info = start_sandbox(small_orgs + 1)
    env = {"BILLPAY_DATABASE_URL": url, "BILLPAY_REDIS_URL": redis_url, "BILLPAY_SECRET_KEY": secret,
           "BILLPAY_SMTP_ENABLED": "false", "BILLPAY_ALLOWED_PLATFORM_HOSTS": LOOPBACK}
    container = build(Settings(database_url=url, redis_url=redis_url, secret_key=secret, smtp_enabled=False,
                               data_dir=workdir / f"bench{w}", allowed_platform_hosts=LOOPBACK))
    jobs.configure(container)  # commits wake the workers through Redis
    procs: list[subprocess.Popen] = []
    try:
        orgs = setup_orgs(container, info)
        procs = start_workers(w, env, workdir)
        sampler = RssSampler([p.pid for p in procs])
        sampler.start()

        def ready() -> bool:
            with container.sessionmaker() as s:
                return s.scalar(select(func.count()).select_from(t.Connection).where(
                    t.Connection.reference_refreshed_at.is_not(None))) == len(orgs)
        log(f"workers={w}: reference data loaded in {wait_for('reference data', ready, 600):.1f}s")
        coding = map_vendors(container, orgs)
        (big, big_actor), smalls = orgs[0], orgs[1:]

        # 1. a big organization pushes while each small one sends one bill
        t0 = now()
        big_ids: list[str] = []
        pusher = threading.Thread(target=lambda: [big_ids.extend(send(container, big_actor, coding[big], 100,
                                                                       f"BIG{k:04d}"))
                                                  for k in range(big_bills // 100)])
        pusher.start()
        sent: dict[str, dt.datetime] = {}
        spread = max(20.0, big_bills / 30 / 39 * 60 * 0.8)  # over most of the big push
        for org_id, actor in random.Random(7).sample(smalls, len(smalls)):
            time.sleep(spread / len(smalls))
            bill_id, = send(container, actor, coding[org_id], 1, "ONE")
            sent[bill_id] = now()
        pusher.join()
        wait_for("the big push", lambda: len(synced(container, big_ids + list(sent))) == len(big_ids) + len(sent),
                 3600)
        done = synced(container, big_ids + list(sent))
        lat = [(done[b] - s).total_seconds() for b, s in sent.items()]
        big_s = (max(done[b] for b in big_ids) - t0).total_seconds()
        log(f"workers={w}: big push {big_s:.0f}s; small p95 {pct(lat, 0.95):.2f}s")

        # 2. every small organization sends a burst at once: bills synced per minute
        t1 = time.monotonic()
        burst: list[str] = []
        for org_id, actor in smalls:
            burst += send(container, actor, coding[org_id], small_bills, "BURST")
        wait_for("the burst", lambda: len(synced(container, burst)) == len(burst), 3600)
        burst_s = time.monotonic() - t1

        # 3. a trickle: one bill every half second from a random small organization
        soak = None
        if soak_minutes:
            before = len(sampler.samples)
            end = time.monotonic() + soak_minutes * 60
            rng, trickle = random.Random(11), []
            while time.monotonic() < end:
                org_id, actor = rng.choice(smalls)
                trickle += send(container, actor, coding[org_id], 1, f"T{len(trickle)}")
                time.sleep(0.5)
            wait_for("the trickle", lambda: len(synced(container, trickle)) == len(trickle), 600)
            soak = {"minutes": soak_minutes, "bills": len(trickle), "samples": sampler.samples[before:]}
        sampler.stop()
        stats = httpx.get(f"{info['control']}/_sandbox/requests", params={"recent": 0}, timeout=30).json()
        with container.sessionmaker() as s:
            ours = s.execute(select(func.sum(t.PlatformCalls.requests), func.sum(t.PlatformCalls.throttled))).one()
        return {
            "workers": w, "small_orgs": len(smalls), "big_bills": len(big_ids), "big_push_s": round(big_s, 1),
            "small_latency_s": {"p50": round(pct(lat, 0.5), 2), "p95": round(pct(lat, 0.95), 2),
                                "max": round(max(lat), 2)},
            "burst_bills": len(burst), "burst_s": round(burst_s, 1),
            "throughput_per_min": round(len(burst) / burst_s * 60),
            "sandbox_api_calls": stats["total_api_calls"], "sandbox_429": int(stats["by_status"].get("429", 0)),
            "billpay_requests": int(ours[0] or 0), "billpay_throttled": int(ours[1] or 0),
            "sync_errors": errors(container),
            "rss_kb": {"first": sampler.samples[0][1] if sampler.samples else [],
                       "last": sampler.samples[-1][1] if sampler.samples else [],
                       "max": [max(s[1][i] for s in sampler.samples) for i in range(w)] if sampler.samples else []},
            "soak": _slope(soak),
        }
    finally:
        for p in procs:
            stop(p)
        stop(sandbox)
        container.close()


def _slope(soak: dict | None) -> dict | None:
    """RSS growth per worker over the trickle (least squares, kB per minute) after its first minute."""
    if not soak or len(soak["samples"]) < 4:
        return None
    pts = [(s / 60, kb) for s, kb in soak["samples"]]
    t0 = pts[0][0]
    pts = [(m - t0, kb) for m, kb in pts if m - t0 >= 1.0] or pts
    slopes = []
    for i in range(len(pts[0][1])):
        xs, ys = [p[0] for p in pts], [p[1][i] for p in pts]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        den = sum((x - mx) ** 2 for x in xs) or 1.0
        slopes.append(round(sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den, 1))
    return {"minutes": soak["minutes"], "bills": soak["bills"], "kb_per_minute": slopes,
            "rss_kb_end": list(soak["samples"][-1][1])}


def measure(server: str, redis_url: str, workdir: Path, *, counts: list[int], small_orgs: int, big_bills: int,
            small_bills: int, soak_minutes: float, fresh_database: Callable, secret: str) -> list[dict]:
    runs = []
    for w in counts:
        runs.append(run_once(server, redis_url, workdir, w, small_orgs=small_orgs, big_bills=big_bills,
                             small_bills=small_bills, soak_minutes=soak_minutes if w == 2 else 0,
                             fresh_database=fresh_database, secret=secret))
        log(json.dumps({k: v for k, v in runs[-1].items() if k != "soak"}))
    return runs


def report(runs: list[dict], targets: dict) -> list[str]:
    lines = ["### Workers: a big organization pushing, small ones waiting, bursts, limits, memory", "",
             f"{runs[0]['small_orgs']} small organizations and one big one, each with its own company on a QuickBooks "
             "sandbox server process that enforces QuickBooks' limits per company (500 requests, 40 batches a "
             "minute, 10 in flight); `billpay worker` processes with 2 threads each on one Redis queue.", "",
             "| workers | big push | small bill latency p50 / p95 / max | burst: bills/min | 429s (sandbox) | "
             "platform calls | sync errors | RSS per worker, first → last (max) |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in runs:
        lat = r["small_latency_s"]
        rss = ", ".join(f"{a // 1024}→{b // 1024} ({m // 1024}) MB"
                        for a, b, m in zip(r["rss_kb"]["first"], r["rss_kb"]["last"], r["rss_kb"]["max"]))
        lines.append(f"| {r['workers']} | {r['big_bills']:,} bills in {r['big_push_s']} s | {lat['p50']} / "
                     f"**{lat['p95']}** / {lat['max']} s | {r['throughput_per_min']:,} ({r['burst_bills']:,} bills "
                     f"in {r['burst_s']} s) | **{r['sandbox_429']}** | {r['sandbox_api_calls']:,} | {r['sync_errors']} "
                     f"| {rss} |")
    calls = sum(r["sandbox_api_calls"] for r in runs)
    th = sum(r["sandbox_429"] for r in runs)
    by_w = {r["workers"]: r["throughput_per_min"] for r in runs}
    lines += ["",
              f"- Small organizations' p95 from \"sent to payments\" to \"synced\" while the big one pushes: target ≤ "
              f"{targets['small_p95_s']:.0f} s. The big push itself is bounded by QuickBooks' 40 batches a minute "
              "per company whatever the number of workers.",
              f"- 429s: {th} in {calls:,} platform calls over all runs ({100_000 * th / calls if calls else 0:.1f} per "
              "100,000; target 0 when the limits are known): every worker draws from the same per-company budgets "
              "in Redis."]
    if 1 in by_w and 2 in by_w and by_w[1]:
        lines.append(f"- Throughput from 1 to 2 workers: ×{by_w[2] / by_w[1]:.2f}"
                     + (f", to 4: ×{by_w[4] / by_w[1]:.2f}" if 4 in by_w else "")
                     + f" (target ×{targets['scale_1_to_2']} where the platform's limits allow; here every process "
                     "shares the same 2 busy cores with the sandbox and PostgreSQL, so this is a floor).")
    soak = next((r["soak"] for r in runs if r.get("soak")), None)
    if soak:
        lines.append(f"- Worker memory over a {soak['minutes']:g}-minute trickle ({soak['bills']} bills): RSS "
                     f"{', '.join(str(k // 1024) + ' MB' for k in soak['rss_kb_end'])} at the end, growing "
                     f"{', '.join(str(s) for s in soak['kb_per_minute'])} kB a minute after its first minute "
                     "(extrapolated to an hour: "
                     f"{', '.join(f'{s * 60 / 1024:+.1f} MB' for s in soak['kb_per_minute'])}).")
    return lines


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sb = sub.add_parser("sandbox")
    sb.add_argument("--realms", type=int, default=10)
    a = ap.parse_args()
    serve_sandbox(a.realms)
