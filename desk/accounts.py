"""Accounts and roles: who may sign in, with which role, and how sign-ins are checked.

Passwords are hashed with Argon2id (argon2-cffi). Failed sign-ins are recorded and rate-limited per account
name: after MAX_FAILURES within FAILURE_WINDOW the account cannot sign in until the window has passed.
Roles grow: an agent works tickets; a lead also sees the audit and reports; an admin also manages the
knowledge base and the accounts.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Boolean, Column, Integer, String, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from desk.store import DeskStore
from desk.tables import UtcDateTime, metadata

log = logging.getLogger(__name__)
Role = Literal["agent", "lead", "admin"]
ROLES: tuple[Role, ...] = ("agent", "lead", "admin")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a real password, only used to spend the same time")

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("email", String(255), nullable=True, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
sign_in_attempts = Table(
    "sign_in_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, index=True),
    Column("ok", Boolean, nullable=False),
    Column("at", UtcDateTime, nullable=False, index=True),
)


class AccountError(ValueError):
    """An account request that cannot be carried out; the message says why and what to do."""


class SignInError(AccountError):
    """A sign-in that failed; the message never says whether the name exists. `code` ("locked" or "refused")
    and `params` name the same sentence for an interface that translates it."""

    def __init__(self, message: str, code: str, **params: str) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class User(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    role: Role
    email: str = ""
    disabled: bool = False

    def may(self, role: Role) -> bool:
        """True when this user's role includes `role` (admin ⊃ lead ⊃ agent)."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def check_name(name: str) -> str:
    name = name.strip()
    if not NAME.match(name):
        raise AccountError("An account name is 1 to 64 characters, without control characters.")
    return name


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    return role  # type: ignore[return-value]


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH or "\x00" in password:
        raise AccountError(f"A password is at most {MAX_PASSWORD_LENGTH} characters, without NUL characters.")
    return password


class Accounts:
    """The accounts kept in the desk store."""

    def __init__(self, store: DeskStore) -> None:
        self._engine = store.engine

    # -- administration ----------------------------------------------------------------------------
    def add(self, name: str, role: str, password: str | None = None, email: str = "") -> User:
        """Create an account; `password` may be None for a single-sign-on-only account with an e-mail."""
        name, role = check_name(name), check_role(role)
        if password is None and not email:
            raise AccountError("Give a password, or an e-mail address for single sign-on.")
        values = {"name": name, "role": role, "email": email.strip().lower() or None, "disabled": False,
                  "password_hash": _HASHER.hash(check_password(password)) if password is not None else None,
                  "created_at": _now(), "updated_at": _now()}
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(users).values(**values))
        except IntegrityError:
            raise AccountError(f"An account named {name!r} (or with that e-mail) already exists.") from None
        return self.get(name)

    def list(self) -> list[User]:
        with self._engine.connect() as connection:
            return [_user(row) for row in connection.execute(select(users).order_by(users.c.name))]

    def get(self, name: str) -> User:
        found = self.find(name)
        if found is None:
            raise AccountError(f"There is no account named {name!r}.")
        return found

    def find(self, name: str) -> User | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.name == name.strip())).first()
        return _user(row) if row else None

    def find_by_email(self, email: str) -> User | None:
        if not email.strip():
            return None
        with self._engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.email == email.strip().lower())).first()
        return _user(row) if row else None

    def count(self) -> int:
        with self._engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(users)).scalar_one())

    def set_role(self, name: str, role: str) -> User:
        self._update(name, role=check_role(role))
        return self.get(name)

    def set_password(self, name: str, password: str) -> None:
        self._update(name, password_hash=_HASHER.hash(check_password(password)))

    def disable(self, name: str) -> User:
        self._update(name, disabled=True)
        return self.get(name)

    def enable(self, name: str) -> User:
        self._update(name, disabled=False)
        return self.get(name)

    def _update(self, name: str, **values) -> None:
        with self._engine.begin() as connection:
            result = connection.execute(update(users).where(users.c.name == name.strip())
                                        .values(**values, updated_at=_now()))
        if result.rowcount == 0:
            raise AccountError(f"There is no account named {name!r}.")

    # -- signing in --------------------------------------------------------------------------------
    def sign_in(self, name: str, password: str, now: datetime | None = None) -> User:
        """The user for a name and password, or SignInError; every attempt is recorded and rate-limited."""
        now = now or _now()
        name = name.strip()[:64]
        if self.recent_failures(name, now) >= MAX_FAILURES:
            log.warning("sign-in refused for %r: too many failed attempts", name)
            minutes = int(FAILURE_WINDOW.total_seconds() // 60)
            raise SignInError(f"Too many failed sign-ins for this account. Try again in {minutes} minutes.",
                              "locked", minutes=str(minutes))
        user, stored_hash = self._credentials(name)
        if not _verify(stored_hash, password) or user is None or user.disabled:
            self._record_attempt(name, False, now)
            log.warning("failed sign-in for %r", name)
            raise SignInError("The name or password is not right, or the account is disabled.", "refused")
        self._record_attempt(name, True, now)
        log.info("%r signed in", name)
        return user

    def recent_failures(self, name: str, now: datetime | None = None) -> int:
        """Failed sign-ins for `name` within the window since its last successful one."""
        since = (now or _now()) - FAILURE_WINDOW
        with self._engine.connect() as connection:
            last_ok = connection.execute(select(func.max(sign_in_attempts.c.at)).where(
                sign_in_attempts.c.name == name, sign_in_attempts.c.ok.is_(True))).scalar_one_or_none()
            start = max(since, last_ok) if last_ok is not None else since
            return int(connection.execute(select(func.count()).select_from(sign_in_attempts).where(
                sign_in_attempts.c.name == name, sign_in_attempts.c.ok.is_(False),
                sign_in_attempts.c.at > start)).scalar_one())

    def _credentials(self, name: str) -> tuple[User | None, str]:
        with self._engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.name == name)).first()
        if row is None or row.password_hash is None:
            return (_user(row) if row else None), _DUMMY_HASH
        return _user(row), row.password_hash

    def _record_attempt(self, name: str, ok: bool, at: datetime) -> None:
        with self._engine.begin() as connection:
            connection.execute(insert(sign_in_attempts).values(name=name, ok=ok, at=at))


def _verify(stored_hash: str, password: str) -> bool:
    """Constant-effort check: an unknown name is verified against a dummy hash and fails."""
    try:
        return _HASHER.verify(stored_hash, password) and stored_hash != _DUMMY_HASH
    except (VerificationError, InvalidHashError):
        return False


def _user(row) -> User:
    return User(name=row.name, role=row.role, email=row.email or "", disabled=bool(row.disabled))
