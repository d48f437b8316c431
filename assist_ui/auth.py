"""Who is using the app: sign-in (password or the optional single sign-on), session expiry, roles, demo mode.

Demo mode: while no account exists and the server listens on a loopback address only, the app opens
without sign-in, as an administrator, under a banner that says so. Once an account exists, or the server
listens on another address, every page needs a signed-in, enabled account; roles decide the pages.
"""
from __future__ import annotations

import ipaddress
import time

import streamlit as st

from assist_ui import deps
from assist_ui.i18n import t
from assist_ui.render import inert, word
from desk.accounts import Accounts, Role, SignInError, User

SESSION_KEY = "auth"
FIRST_ADMIN = "python -m desk users add NAME --role admin --password-stdin"


def listens_on_loopback_only() -> bool:
    """True when Streamlit's server.address is a loopback address (make run's default 127.0.0.1)."""
    address = (st.get_option("server.address") or "").strip().strip("[]")
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False  # unset means every interface


def accounts() -> Accounts:
    return Accounts(deps.get_store())


def demo_mode() -> bool:
    return listens_on_loopback_only() and accounts().count() == 0


def demo_user() -> User:
    return User(name=deps.get_settings().agent_name, role="admin")


def current_user() -> User | None:
    """The signed-in (or demo) user of this browser session, or None when sign-in is needed."""
    if demo_mode():
        return demo_user()
    session = st.session_state.get(SESSION_KEY)
    if session is None:
        return _sso_user()
    if _expired(session):
        sign_out(t("auth.expired"))
        return None
    user = accounts().find(session["name"])
    if user is None or user.disabled:
        sign_out(t("auth.inactive"))
        return None
    session["last_seen"] = time.time()
    return user


def _expired(session: dict) -> bool:
    settings, now = deps.get_settings(), time.time()
    return (now - session["last_seen"] > settings.session_idle_minutes * 60
            or now - session["signed_in_at"] > settings.session_max_hours * 3600)


def start_session(user: User) -> None:
    now = time.time()
    st.session_state[SESSION_KEY] = {"name": user.name, "signed_in_at": now, "last_seen": now}


def sign_out(message: str = "") -> None:
    """Forget the signed-in user and everything this browser session holds."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if message:
        st.session_state["auth_message"] = message


def sso_configured() -> bool:
    """True when Streamlit's OIDC sign-in is configured ([auth] in .streamlit/secrets.toml)."""
    try:
        return "auth" in st.secrets and bool(st.secrets["auth"].get("redirect_uri"))
    except Exception:  # no secrets file
        return False


def account_for_sso(email: str, found: Accounts) -> User | None:
    """The enabled account whose e-mail the identity provider vouched for, if any."""
    user = found.find_by_email(email)
    return user if user is not None and not user.disabled else None


def _sso_user() -> User | None:
    if not sso_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    user = account_for_sso(str(st.user.get("email", "")), accounts())
    if user is not None:
        start_session(user)
    else:
        st.session_state["auth_message"] = t("auth.sso_no_access",
                                             email=str(st.user.get("email", t("auth.this_account"))))
    return user


def require(role: Role) -> User:
    """The current user if their role allows `role`; otherwise the page shows the sign-in form (nobody signed
    in) or a refusal (a role too low) and stops: every page protects itself, not only the navigation."""
    user = current_user()
    if user is None:
        sign_in_page()
        st.stop()
    if not user.may(role):
        st.error(t("auth.no_access"), icon=":material/lock:")
        st.stop()
    return user


def sign_in_page() -> None:
    """The only page an unauthenticated visitor sees: no customer data, only the form."""
    st.header(t("auth.sign_in"))
    if message := st.session_state.pop("auth_message", None):
        st.warning(message)
    if accounts().count() == 0:
        st.info(t("auth.no_account_yet", command=FIRST_ADMIN), icon=":material/person_add:")
    with st.form("sign_in", clear_on_submit=False):
        name = st.text_input(t("auth.name"), key="sign_in_name")
        password = st.text_input(t("auth.password"), type="password", key="sign_in_password")
        submitted = st.form_submit_button(t("auth.sign_in"), type="primary")
    if submitted:
        _try_sign_in(name, password)
    if sso_configured():
        st.button(t("auth.sign_in_sso"), on_click=st.login, key="sign_in_sso")


def _try_sign_in(name: str, password: str) -> None:
    try:
        user = accounts().sign_in(name, password)
    except SignInError as exc:
        st.error(t(f"auth.sign_in_error.{exc.code}", **exc.params))
        return
    start_session(user)
    st.rerun()


def sidebar_identity(user: User) -> None:
    """Who is signed in (or the demo banner), and the sign-out button."""
    with st.sidebar:
        if demo_mode():
            st.warning(t("auth.demo_banner", command=FIRST_ADMIN), icon=":material/science:")
            return
        st.caption(t("auth.signed_in_as", name=inert(user.name), role=word("auth.role", user.role)))
        st.button(t("auth.sign_out"), key="sign_out", on_click=sign_out)
        if sso_configured() and getattr(st.user, "is_logged_in", False):
            st.button(t("auth.sign_out_sso"), key="sign_out_sso", on_click=st.logout)

