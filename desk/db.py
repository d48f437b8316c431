"""Where the desk store lives: URL resolution, safe URL rendering and engine creation."""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from core.settings import Settings, load_settings

DATABASE_URL_ENV = "ASSIST_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_SECONDS = 30
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
_POSTGRES_ALIASES = ("postgres", "postgresql")
PRIVATE_FILE_MODE = 0o600  # the database file; SQLite gives its -wal and -shm files the same mode
PRIVATE_DIR_MODE = 0o700


class StoreError(RuntimeError):
    """The desk store cannot be opened or used; the message never contains a password."""


def resolve_url(url: str | URL | None = None, settings: Settings | None = None) -> URL:
    """Pick the store URL: the argument, else ASSIST_DATABASE_URL, else var/assist.db; a relative SQLite
    file is resolved against ASSIST_HOME like every path in settings."""
    settings = settings or load_settings()
    parsed = _parse(url or settings.database_url_value() or default_sqlite_url(settings))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        parsed = parsed.set(database=str(settings.resolve(parsed.database)))
    if parsed.drivername in _POSTGRES_ALIASES:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise StoreError(
            f"unsupported database {parsed.get_backend_name()!r} in {safe_url(parsed)}; "
            f"use a sqlite:/// or postgresql:// URL"
        )
    return parsed


def _parse(raw: str | URL) -> URL:
    """Parse a URL string without echoing it (it may hold a password) when it is malformed."""
    try:
        return make_url(raw)
    except ArgumentError:
        raise StoreError(
            f"the desk store URL is not a valid database URL; check {DATABASE_URL_ENV}"
        ) from None


def default_sqlite_url(settings: Settings) -> str:
    """The SQLite file used when nothing is configured: var/assist.db under ASSIST_HOME."""
    return f"sqlite:///{settings.default_sqlite_path}"


def safe_url(url: str | URL) -> str:
    """Render a URL for messages and reprs with its password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for in-memory and non-SQLite URLs."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def scrub_error(exc: BaseException) -> BaseException:
    """Cut a database error's message (and its driver error's) to the first line, in place.

    hide_parameters keeps statement parameters out of messages, but PostgreSQL's DETAIL line repeats the
    rejected row ("Failing row contains (..., the reply text, ...)"); the first line names the table and
    the constraint only. The error keeps its type, so callers still tell an outage from a refusal."""
    orig = getattr(exc, "orig", None)
    for error in (exc, orig):
        if isinstance(error, BaseException) and error.args and isinstance(error.args[0], str):
            error.args = ((error.args[0].strip().splitlines() or [""])[0], *error.args[1:])
    if isinstance(orig, BaseException) and isinstance(exc, DBAPIError):
        exc.args = (f"({type(orig).__module__}.{type(orig).__name__}) {orig}",)
    return exc


def create_store_engine(url: URL) -> Engine:
    """The engine for a resolved URL: WAL and a busy timeout on SQLite, pre-ping on PostgreSQL."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _sqlite_engine(url: URL) -> Engine:
    """SQLite engine whose connections use WAL and wait for locks instead of failing at once."""
    path = sqlite_file(url)
    if path is not None and not url.query.get("uri"):
        create_private_file(path)
    elif path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, hide_parameters=True)
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def create_private_file(path: Path) -> None:
    """Create the database file readable by its owner only (0600), and a missing folder 0700, before SQLite
    opens it; SQLite then creates the -wal and -shm files with the database file's mode. An existing file
    is left as it is."""
    path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)
    os.chmod(path, PRIVATE_FILE_MODE)  # whatever the umask was


def _configure_sqlite_connection(dbapi_connection, _connection_record) -> None:
    """Per-connection SQLite settings: write-ahead log, busy timeout, safe-but-fast syncing."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    _enable_wal(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _enable_wal(cursor, attempts: int = 50) -> None:
    """Switch to WAL; the switch needs an exclusive lock and SQLite does not wait for it through the busy
    timeout, so processes opening a brand-new file together retry briefly instead of failing."""
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 + 0.01 * attempt)
