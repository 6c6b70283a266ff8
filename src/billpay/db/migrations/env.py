from __future__ import annotations

from alembic import context

from billpay.db.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        from billpay.db.engine import make_engine

        connectable = make_engine(config.get_main_option("sqlalchemy.url"))
        try:
            with connectable.connect() as connection:
                _run(connection)
        finally:
            connectable.dispose()
    else:
        _run(connectable)


def _run(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
