"""Entry point: who is signed in, and the pages their role may open."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from assist_ui import auth
from assist_ui.language_choice import render_language_choice
from assist_ui.i18n import t
from desk.db import StoreError
from desk.encryption import EncryptionKeyError

PAGES = Path(__file__).resolve().parent / "screens"  # not "pages/": Streamlit would serve that folder by URL, bypassing this entry point
ROLE_PAGES = (  # (file, title, icon, lowest role that may open it)
    ("workspace.py", "page.workspace", ":material/forum:", "agent"),
    ("audit.py", "page.audit", ":material/fact_check:", "lead"),
    ("kb_gaps.py", "page.kb_gaps", ":material/help_center:", "lead"),
    ("knowledge.py", "page.knowledge", ":material/menu_book:", "admin"),
    ("tickets.py", "page.tickets", ":material/inbox:", "admin"),
    ("users.py", "page.users", ":material/group:", "admin"),
)

st.set_page_config(page_title="Support assist", page_icon=":material/support_agent:", layout="wide")
try:
    user = auth.current_user()
except StoreError as exc:
    key = "store.key_problem" if isinstance(exc, EncryptionKeyError) else "store.unreachable"
    st.error(t(key, error=str(exc)), icon=":material/database:")
    st.stop()
if user is None:
    st.navigation([st.Page(auth.sign_in_page, title=t("page.sign_in"), icon=":material/login:")]).run()
else:
    render_language_choice(user)
    auth.sidebar_identity(user)
    pages = [st.Page(PAGES / file, title=t(title), icon=icon, default=file == "workspace.py")
             for file, title, icon, role in ROLE_PAGES if user.may(role)]
    st.navigation(pages).run()
