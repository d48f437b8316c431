"""Bring a desk database to the newest schema with the bundled Alembic migrations.

Alembic (~11 MB resident once imported) is loaded only when a migration is due: a process that opens an up-to-date
database, such as the app after `make run` migrated it, never imports it."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions; a test checks it against Alembic's own head, so a new migration
# cannot be forgotten here.
SCHEMA_HEAD = "0006"
# Any fixed 64-bit number works; it names the PostgreSQL advisory lock held while migrating.
_PG_MIGRATION_LOCK = 0x64_65_73_6B_6D_69_67


class MigrationError(Exception):
    """The database's schema cannot be brought to SCHEMA_HEAD (for example a revision this release does not know)."""


def alembic_config() -> Config:
    """An Alembic config built in code, pointing at the bundled migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def schema_revision(engine: Engine) -> str | None:
    """The revision recorded in the database, or None for a database no migration has touched yet."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_to_head(engine: Engine) -> None:
    """Apply pending migrations; processes opening the same database at once take turns."""
    if schema_revision(engine) == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.util.exc import CommandError

    with engine.connect() as connection:
        _hold_migration_lock(connection)
        config = alembic_config()
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
        except CommandError as exc:
            raise MigrationError(str(exc)) from exc
        connection.commit()


def _hold_migration_lock(connection: Connection) -> None:
    """Lock the database until this transaction ends, so only one process migrates at a time."""
    backend = connection.dialect.name
    if backend == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
    elif backend == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
