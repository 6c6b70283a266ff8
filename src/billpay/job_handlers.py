"""The job kinds and what runs them: the worker's entry points into services and the sync engine.

Connection work (pushes, voids, payment syncs, pulls, reference refreshes) runs under the connection's
lease with every due job of the connection at once (``sync.worker``); each kind says how a job whose
retries ran out shows up as a sync error (``give_up``). Registered when the composition root is built.
"""
from __future__ import annotations

from .services import capture, capture_learning, sync_records
from .services.context import Actor
from .sync import company_facts, engine, platform_vendors, pull, schedule, vendor_credits
from .sync.ports import ConnectorError
from .sync.worker import Retry, connection_handler, handler


def _ids(jobs) -> list[str]:  # noqa: ANN001
    return [j.record_id for j in jobs if j.record_id]


def _give_up(record_type: str, action: str):  # noqa: ANN202
    def give_up(container, job, last_error: str) -> None:  # noqa: ANN001
        with container.tx(Actor.system(job.org_id)) as ctx:
            sync_records.give_up(ctx, None, record_type, job.record_id, action, last_error)
    return give_up


@handler("extract")
def extract(container, job) -> None:  # noqa: ANN001
    try:
        with container.tx(Actor.system(job.org_id)) as ctx:
            capture.run_extraction(ctx, container.storage, job.record_id)
    except Exception as e:  # noqa: BLE001 - the bill must say so rather than read "reading…" forever
        if job.attempts < 3:
            raise Retry(f"extraction failed: {type(e).__name__}", delay=10 * job.attempts) from e
        with container.tx(Actor.system(job.org_id)) as ctx:
            capture.mark_extraction_failed(ctx, job.record_id, f"{type(e).__name__}: {e}")


@handler("revoke_grant")
def revoke_grant(container, job) -> None:  # noqa: ANN001
    """After a disconnect: revoke billpay's grant on the platform, then forget the secrets."""
    try:
        engine.revoke_grant(container, job.org_id, job.record_id)
    except ConnectorError as e:
        if not e.retryable or job.attempts >= 5:
            raise  # failed visibly on the job; the connection stays disconnected either way
        raise Retry(f"revoking the grant: {e.code}", delay=e.retry_after or 30 * job.attempts) from e


@handler("learn_profile")
def learn_profile(container, job) -> None:  # noqa: ANN001
    with container.tx(Actor.system(job.org_id)) as ctx:
        capture_learning.learn(ctx, job.record_id)


@handler("payments_due")
def payments_due(container, job) -> None:  # noqa: ANN001
    """The organization's payments whose release, settlement or approval deadline has come (``sync.schedule``)."""
    schedule.run_payments_due(container, job.org_id)


@connection_handler("push_bill", give_up=_give_up("bill", "send"))
def push_bill(container, org_id: str, jobs, lease) -> dict:  # noqa: ANN001
    return engine.push_bills(container, org_id, _ids(jobs), lease)


@connection_handler("push_payment", give_up=_give_up("payment", "record"))
def push_payment(container, org_id: str, jobs, lease) -> dict:  # noqa: ANN001
    return engine.push_payments(container, org_id, _ids(jobs), lease)


@connection_handler("reverse_payment", give_up=_give_up("payment", "reverse"))
def reverse_payment(container, org_id: str, jobs, lease) -> dict:  # noqa: ANN001
    return engine.reverse_payments(container, org_id, _ids(jobs), lease)


@connection_handler("push_vendor_credit", give_up=_give_up("bill", "send"))
def push_vendor_credit(container, org_id: str, jobs, lease) -> dict:  # noqa: ANN001
    return vendor_credits.push_vendor_credits(container, org_id, _ids(jobs), lease)


@connection_handler("create_platform_vendor", give_up=_give_up("vendor", "create"))
def create_platform_vendor(container, org_id: str, jobs, lease) -> dict:  # noqa: ANN001
    return platform_vendors.create_platform_vendors(container, org_id, _ids(jobs), lease)


@connection_handler("void_bill", give_up=_give_up("bill", "void"))
def void_bill(container, org_id: str, jobs, lease) -> dict:  # noqa: ANN001
    retry: dict = {}
    for bill_id in dict.fromkeys(_ids(jobs)):
        retry.update(engine.void_bill(container, org_id, bill_id, lease))
    return retry


@connection_handler("pull_bills")
def pull_bills(container, org_id: str, jobs, lease) -> dict:  # noqa: ANN001
    if any((j.payload or {}).get("refresh") for j in jobs):
        refresh_reference(container, org_id, jobs, lease)  # the daily pull brings reference data up to date first
    full = any((j.payload or {}).get("full") for j in jobs)
    pull.pull_bills(container, org_id, full=full, lease=lease)
    return {}


@connection_handler("refresh_reference")
def refresh_reference(container, org_id: str, jobs, lease) -> dict:  # noqa: ANN001
    engine.refresh_reference(container, org_id, lease)
    company_facts.refresh(container, org_id, lease)  # what the company accepts, for the checks before payment
    return {}
