"""The interface language picker in the sidebar: each user's choice is saved and comes back at every sign-in."""
from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from assist_ui import deps
from assist_ui.i18n import LANGUAGE_SLOT, LANGUAGES, default_language, t
from desk import preferences
from desk.accounts import User
from desk.db import StoreError

log = logging.getLogger(__name__)
LOADED_SLOT = "ui_language_loaded_for"
PICKER_KEY = "ui_language_picker"
NAMES = {"en": "English", "ko": "한국어"}


def load_saved_choice(user: User) -> None:
    """Once per session and user: the saved language becomes this session's."""
    if st.session_state.get(LOADED_SLOT) == user.name:
        return
    try:
        saved = preferences.ui_language(deps.get_store(), user.name)
    except (StoreError, SQLAlchemyError, OSError) as exc:
        log.warning("language preference unavailable: %s", type(exc).__name__)
        saved = None
    st.session_state[LANGUAGE_SLOT] = saved or default_language()
    st.session_state[LOADED_SLOT] = user.name


def render_language_choice(user: User) -> None:
    load_saved_choice(user)
    current = st.session_state[LANGUAGE_SLOT]
    with st.sidebar:
        st.selectbox(t("ui.language"), LANGUAGES, index=LANGUAGES.index(current), format_func=NAMES.get,
                     key=PICKER_KEY, on_change=_chosen, args=(user.name,))


def _chosen(name: str) -> None:
    language = st.session_state.get(PICKER_KEY)
    if language not in LANGUAGES:
        return
    st.session_state[LANGUAGE_SLOT] = language
    try:
        preferences.set_ui_language(deps.get_store(), name, language)
    except (StoreError, SQLAlchemyError, OSError, ValueError) as exc:
        log.warning("language preference not saved: %s", type(exc).__name__)
