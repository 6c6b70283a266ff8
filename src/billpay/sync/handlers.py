"""Job kinds and what runs them. Sync kinds are batched per organization by the worker."""
from __future__ import annotations

from ..services import capture
from . import company_facts, engine, platform_vendors, pull, vendor_credits
from .worker import Retry, batch_handler, handler, system_actor


@handler("extract")
def extract(container, job) -> None:  # noqa: ANN001
    try:
        with container.tx(system_actor(job.org_id)) as ctx:
            capture.run_extraction(ctx, container.storage, job.record_id)
    except Exception as e:  # noqa: BLE001 - the bill must say so rather than read "reading…" forever
        if job.attempts < 3:
            raise Retry(f"extraction failed: {type(e).__name__}", delay=10 * job.attempts) from e
        with container.tx(system_actor(job.org_id)) as ctx:
            capture.mark_extraction_failed(ctx, job.record_id, f"{type(e).__name__}: {e}")


@batch_handler("push_bill")
def push_bill(container, org_id: str, record_ids: list[str]) -> list[str]:  # noqa: ANN001
    return engine.push_bills(container, org_id, record_ids)


@batch_handler("push_payment")
def push_payment(container, org_id: str, record_ids: list[str]) -> list[str]:  # noqa: ANN001
    return engine.push_payments(container, org_id, record_ids)


@batch_handler("push_vendor_credit")
def push_vendor_credit(container, org_id: str, record_ids: list[str]) -> list[str]:  # noqa: ANN001
    return vendor_credits.push_vendor_credits(container, org_id, record_ids)


@handler("create_platform_vendor")
def create_platform_vendor(container, job) -> None:  # noqa: ANN001
    try:
        platform_vendors.create_platform_vendor(container, job.org_id, job.record_id)
    except LookupError:
        return  # disconnected meanwhile


@handler("void_bill")
def void_bill(container, job) -> None:  # noqa: ANN001
    engine.void_bill(container, job.org_id, job.record_id)


@handler("pull_bills")
def pull_bills(container, job) -> None:  # noqa: ANN001
    try:
        pull.pull_bills(container, job.org_id, full=bool((job.payload or {}).get("full")))
    except LookupError:
        return  # disconnected meanwhile: nothing to pull


@handler("refresh_reference")
def refresh_reference(container, job) -> None:  # noqa: ANN001
    try:
        engine.refresh_reference(container, job.org_id)
        company_facts.refresh(container, job.org_id)  # what the company accepts, for the checks before payment
    except LookupError:
        return


@handler("learn_profile")
def learn_profile(container, job) -> None:  # noqa: ANN001
    from ..services import capture_learning

    with container.tx(system_actor(job.org_id)) as ctx:
        capture_learning.learn(ctx, job.record_id)
