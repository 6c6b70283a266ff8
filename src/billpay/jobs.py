"""Background jobs: Huey wakes workers; the outbox table says what to do.

``serve`` runs a Huey consumer in-process (SQLite-backed queue in the data
dir) unless ``BILLPAY_INPROCESS_WORKER=false``; ``billpay worker`` runs the
same consumer as its own process. With ``BILLPAY_REDIS_URL`` the queue lives
in Redis so any number of workers on any number of machines share it. A lost
queue message loses nothing: the periodic tick drains the outbox every
minute anyway.
"""
from __future__ import annotations

import logging
import threading

from huey import RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from .sync import worker

log = logging.getLogger("billpay.jobs")
_huey = None
_container = None


def configure(container) -> object:  # noqa: ANN001
    """Create the queue for this process and register the tasks."""
    global _huey, _container
    settings = container.settings
    # Nobody reads the tasks' results: none are stored (``results=False``).
    if settings.redis_url:
        huey = RedisHuey("billpay", url=settings.redis_url, results=False)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("billpay", filename=str(settings.data_dir / "queue.sqlite3"), results=False)

    @huey.task(name="billpay.drain")
    def drain() -> None:
        worker.run_until_idle(_container)

    @huey.periodic_task(crontab(minute="*"), name="billpay.tick")
    def tick() -> None:
        worker.tick(_container)
        worker.run_until_idle(_container)

    huey.billpay_drain = drain
    _huey, _container = huey, container
    container.wake = wake
    worker.schedule_wake = wake_at
    return huey


def wake() -> None:
    """Ask a worker to look at the outbox now (called after a commit that wrote outbox rows)."""
    if _huey is None:
        return
    try:
        _huey.billpay_drain()
    except Exception:  # the periodic tick drains the outbox anyway
        log.warning("could not enqueue a wake-up; the next tick will pick the work up")


def wake_at(when) -> None:  # noqa: ANN001
    """Ask a worker to look at the outbox at ``when`` (a retry that is due then, not at the next tick)."""
    if _huey is None:
        return
    try:
        _huey.billpay_drain.schedule(eta=when)
    except Exception:  # the periodic tick drains the outbox anyway
        log.warning("could not schedule a wake-up; the next tick will pick the work up")


#: An idle consumer thread looks at the queue again at least this often (Huey's default backs off to 10 s, which
#: a woken job would wait on top of everything else).
IDLE_POLL = {"initial_delay": 0.1, "backoff": 1.15, "max_delay": 0.5}


class _ThreadConsumer(Consumer):
    def _set_signal_handlers(self) -> None:  # signals belong to the main thread (uvicorn's)
        pass


def start_in_process(container, workers: int = 1) -> Consumer:  # noqa: ANN001
    huey = configure(container)
    consumer = _ThreadConsumer(huey, workers=workers, worker_type="thread", periodic=True, check_worker_health=False,
                               **IDLE_POLL)
    thread = threading.Thread(target=consumer.start, name="billpay-jobs", daemon=True)
    thread.start()
    return consumer


def run_worker(container, workers: int = 2) -> None:  # noqa: ANN001
    huey = configure(container)
    Consumer(huey, workers=workers, worker_type="thread", periodic=True, **IDLE_POLL).run()
