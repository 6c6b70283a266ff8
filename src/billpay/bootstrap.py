"""Composition root: builds the engine, vault, storage and clock once, for serve/worker/CLI/tests."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
from .crypto import Vault
from .db.engine import make_engine, make_sessionmaker
from .services.context import Actor, Ctx, transaction, utcnow
from .storage import DocumentStore, open_storage


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
    mailer: object | None = None

    def close(self) -> None:
        """Release database connections (the app's pool and the document store's, if it has one)."""
        getattr(self.storage, "close", lambda: None)()
        self.engine.dispose()

    @contextmanager
    def tx(self, actor: Actor) -> Iterator[Ctx]:
        with transaction(self.sessionmaker, actor, self.vault, self.now, self.storage, self.mailer) as ctx:
            yield ctx


def build(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    engine = make_engine(settings.resolved_database_url)
    from .mail import Mailer

    mailer = Mailer(settings.mail_host, settings.mail_port, settings.mail_from) if settings.mail_host else None
    return Container(settings=settings, engine=engine, sessionmaker=make_sessionmaker(engine),
                     vault=Vault(settings.resolved_secret_key), storage=open_storage(settings, engine),
                     mailer=mailer)
