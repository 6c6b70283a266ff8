"""Composition root: builds the engine, vault, storage and clock once, for serve/worker/CLI/tests."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from . import job_handlers  # noqa: F401 - registers the job kinds with the worker
from .config import Settings
from .crypto import Vault
from .db.engine import make_engine, make_sessionmaker
from .services import payment_due
from .services.context import Actor, Ctx, transaction, utcnow
from .storage import DocumentStore, open_storage
from .sync import builtin_sandbox


@dataclass
class Container:
    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    vault: Vault
    storage: DocumentStore  # local dir, PostgreSQL or S3: BILLPAY_STORAGE
    now: Callable[[], dt.datetime] = utcnow
    # platform -> callable(connection_row, container) -> AccountingConnector; tests may replace it
    connector_overrides: dict = field(default_factory=dict)
    # keyword overrides every connector is built with (tests: ``{"sleep": lambda s: None, "max_retries": 0}``)
    connector_options: dict = field(default_factory=dict)
    mailer: object | None = None
    # Wakes a worker after a commit that wrote outbox rows (set by ``jobs.configure``; a no-op without a queue).
    wake: Callable[[], None] = lambda: None
    # Pooled HTTP clients, shared platform limiters and call counts per connection (``sync.connections``).
    connection_resources: Any = None

    def builtin_sandbox(self, platform: str):  # noqa: ANN201
        """The installation's built-in sandbox of ``platform`` (demo equipment, built on first use)."""
        return builtin_sandbox.get(self, platform)

    def close(self) -> None:
        """Release HTTP clients and database connections (the app's pool and the document store's, if any)."""
        if self.connection_resources is not None:
            self.connection_resources.close()
            self.connection_resources = None
        getattr(self.storage, "close", lambda: None)()
        self.engine.dispose()

    @contextmanager
    def tx(self, actor: Actor) -> Iterator[Ctx]:
        with transaction(self.sessionmaker, actor, self.vault, self.now, self.storage, self.mailer,
                         wake=self.wake) as ctx:
            yield ctx


def build(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    engine = make_engine(settings.resolved_database_url)
    from .mail import Mailer

    mailer = Mailer(settings.mail_host, settings.mail_port, settings.mail_from) if settings.mail_host else None
    factory = make_sessionmaker(engine)
    payment_due.install(factory)  # payments.due_at stays right on every flush
    return Container(settings=settings, engine=engine, sessionmaker=factory,
                     vault=Vault(settings.resolved_secret_key), storage=open_storage(settings, engine),
                     mailer=mailer)
