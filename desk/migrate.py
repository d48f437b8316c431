"""Bring a desk database to the newest schema with the bundled Alembic migrations."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number works; it names the PostgreSQL advisory lock held while migrating.
_PG_MIGRATION_LOCK = 0x64_65_73_6B_6D_69_67


def alembic_config() -> Config:
    """An Alembic config built in code, pointing at the bundled migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply pending migrations; processes opening the same database at once take turns."""
    with engine.connect() as connection:
        _hold_migration_lock(connection)
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


def _hold_migration_lock(connection: Connection) -> None:
    """Lock the database until this transaction ends, so only one process migrates at a time."""
    backend = connection.dialect.name
    if backend == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
    elif backend == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
