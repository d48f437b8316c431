"""Users (administrators): accounts and roles."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from assist_ui import auth
from desk.accounts import ROLES, AccountError


def render_accounts() -> None:
    found = auth.accounts().list()
    if not found:
        st.info("No accounts yet: the app runs as an unauthenticated demo on this machine only. Add an "
                "administrator below (or with `python -m desk users add`) to require sign-in.")
        return
    st.dataframe(pd.DataFrame([{"name": u.name, "role": u.role, "e-mail": u.email,
                                "status": "disabled" if u.disabled else "active"} for u in found]),
                 hide_index=True, width="stretch")


def render_add() -> None:
    with st.form("user_add", clear_on_submit=True):
        st.markdown("**Add an account**")
        name = st.text_input("Name", key="user_add_name")
        role = st.selectbox("Role", ROLES, key="user_add_role")
        email = st.text_input("E-mail (for single sign-on, optional)", key="user_add_email")
        password = st.text_input("Password (at least 10 characters)", type="password", key="user_add_password")
        if st.form_submit_button("Add account"):
            _act(lambda: auth.accounts().add(name, role, password or None, email=email), "Added {}.")


def render_change(me: str) -> None:
    names = [u.name for u in auth.accounts().list()]
    if not names:
        return
    st.markdown("**Change an account**")
    cols = st.columns([2, 1, 1, 1])
    name = cols[0].selectbox("Account", names, key="user_change_name")
    role = cols[1].selectbox("New role", ROLES, key="user_change_role")
    if cols[2].button("Set role", key="user_set_role"):
        _act(lambda: auth.accounts().set_role(name, role), "{} has a new role.")
    if cols[3].button("Disable", key="user_disable", disabled=name == me, help="You cannot disable yourself."):
        _act(lambda: auth.accounts().disable(name), "{} is disabled.")


def _act(action, message: str) -> None:
    try:
        user = action()
    except AccountError as exc:
        st.error(str(exc))
        return
    st.success(message.format(user.name))


def main() -> None:
    me = auth.require("admin")
    st.header("Users")
    render_accounts()
    render_add()
    render_change(me.name)


main()
