"""Entry point: who is signed in, and the pages their role may open."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from assist_ui import auth
from assist_ui.i18n import t
from desk.db import StoreError
from desk.encryption import EncryptionKeyError

PAGES = Path(__file__).resolve().parent / "screens"  # not "pages/": Streamlit would serve that folder by URL, bypassing this entry point
ROLE_PAGES = (  # (file, title, icon, lowest role that may open it)
    ("workspace.py", "Agent workspace", ":material/forum:", "agent"),
    ("audit.py", "Audit", ":material/fact_check:", "lead"),
    ("kb_gaps.py", "Missing articles", ":material/help_center:", "lead"),
    ("knowledge.py", "Knowledge", ":material/menu_book:", "admin"),
    ("tickets.py", "Tickets", ":material/inbox:", "admin"),
    ("users.py", "Users", ":material/group:", "admin"),
)

st.set_page_config(page_title="Support assist", page_icon=":material/support_agent:", layout="wide")
try:
    user = auth.current_user()
except StoreError as exc:
    key = "store.key_problem" if isinstance(exc, EncryptionKeyError) else "store.unreachable"
    st.error(t(key, error=str(exc)), icon=":material/database:")
    st.stop()
if user is None:
    st.navigation([st.Page(auth.sign_in_page, title="Sign in", icon=":material/login:")]).run()
else:
    auth.sidebar_identity(user)
    pages = [st.Page(PAGES / file, title=title, icon=icon, default=file == "workspace.py")
             for file, title, icon, role in ROLE_PAGES if user.may(role)]
    st.navigation(pages).run()
