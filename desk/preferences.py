"""Each user's saved choices (the interface language), kept in the desk database so they follow the user to any
browser or replica."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from desk import tables
from desk.records import check_row
from desk.store import DeskStore

UI_LANGUAGES = ("en", "ko")


def ui_language(store: DeskStore, user: str) -> str | None:
    """The interface language this user chose, or None (the default applies)."""
    table = tables.user_preferences
    with store.connection() as connection:
        return connection.execute(select(table.c.ui_language).where(table.c.user == user)).scalar_one_or_none()


def set_ui_language(store: DeskStore, user: str, language: str | None) -> None:
    """Save the user's interface language (None: back to the default)."""
    if language is not None and language not in UI_LANGUAGES:
        raise ValueError(f"unknown interface language {language!r}; expected one of {', '.join(UI_LANGUAGES)}")
    values = {"user": user, "ui_language": language, "updated_at": datetime.now(timezone.utc)}
    check_row(tables.user_preferences, values)
    table = tables.user_preferences
    statement = store.insert(table).values(**values)
    statement = statement.on_conflict_do_update(index_elements=["user"], set_={
        "ui_language": statement.excluded.ui_language, "updated_at": statement.excluded.updated_at})
    with store.transaction() as connection:
        connection.execute(statement)
