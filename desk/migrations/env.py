"""Alembic environment for the desk store.

The store passes an open connection in `config.attributes["connection"]`; command-line use
falls back to the `sqlalchemy.url` option.
"""
from alembic import context
from sqlalchemy import create_engine

from desk.tables import metadata


def run_on_connection(connection) -> None:
    """Run pending migrations on a connection the caller owns."""
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through the store's connection, or open one from the configured URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on_connection(connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as own_connection:
        run_on_connection(own_connection)
    engine.dispose()


def run_offline() -> None:
    """Emit the migration SQL as a script instead of running it."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
