"""Entry point: navigation only."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).resolve().parent / "pages"

st.set_page_config(page_title="Support assist", page_icon=":material/support_agent:", layout="wide")
st.navigation([
    st.Page(PAGES / "workspace.py", title="Agent workspace", icon=":material/forum:", default=True),
    st.Page(PAGES / "audit.py", title="Audit", icon=":material/fact_check:"),
    st.Page(PAGES / "knowledge.py", title="Knowledge", icon=":material/menu_book:"),
]).run()
