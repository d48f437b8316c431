"""Text at rest: reply, draft and audit text sealed with Fernet keys from ASSIST_ENCRYPTION_KEY.

The setting holds one or several comma-separated Fernet keys: the first seals new text, every one of them
opens old text (MultiFernet), so a key is rotated by putting the new one first. Sealed text is stored as
PREFIX + token; text without the prefix is a row written before encryption was turned on and reads as it is.
Without a key text is stored as given, and sealed text found in the database is a clear error.
"""
from __future__ import annotations

import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.settings import Settings
from desk.db import StoreError

KEY_SETTING = "ASSIST_ENCRYPTION_KEY"
PREFIX = "fernet:"
KEYGEN_HINT = "make one with `python -m desk keygen`"
_TOKEN = re.compile(r"gAAAAA[A-Za-z0-9_\-]{90,}={0,2}")  # a Fernet token: version byte 0x80, then base64url


class EncryptionKeyError(StoreError):
    """The encryption key is malformed, missing for sealed text, or not the one the text was sealed with."""


class TextCipher:
    """Seals and opens stored text; without keys it stores text as given."""

    def __init__(self, keys: list[str] | tuple[str, ...] = ()) -> None:
        self._fernet = MultiFernet([_fernet(key, position) for position, key in enumerate(keys, 1)]) if keys else None

    def __repr__(self) -> str:
        return f"TextCipher(enabled={self.enabled})"

    @property
    def enabled(self) -> bool:
        """Whether new text is sealed."""
        return self._fernet is not None

    def seal(self, text: str) -> str:
        """The text as it goes into the database: sealed when a key is set, else as given."""
        if self._fernet is None:
            return text
        return PREFIX + self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def seal_optional(self, text: str | None) -> str | None:
        """seal() that lets None through (nullable columns)."""
        return None if text is None else self.seal(text)

    def open(self, stored: str, what: str = "stored text") -> str:
        """The text a row holds: sealed text opened, plaintext (older rows) returned as it is."""
        if not is_sealed(stored):
            return stored
        if self._fernet is None:
            raise EncryptionKeyError(f"The {what} in the desk database is encrypted but {KEY_SETTING} is not set: "
                                     f"set it to the key (or keys) the text was encrypted with.")
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise EncryptionKeyError(f"The {what} in the desk database was encrypted with a key that is not in "
                                     f"{KEY_SETTING}: add the old key after the new one (comma-separated).") from None

    def open_optional(self, stored: str | None, what: str = "stored text") -> str | None:
        """open() that lets None through (nullable columns)."""
        return None if stored is None else self.open(stored, what)


NO_ENCRYPTION = TextCipher()


def is_sealed(stored: str) -> bool:
    """Whether a stored value is sealed text (the prefix followed by a Fernet token)."""
    return stored.startswith(PREFIX) and _TOKEN.fullmatch(stored, len(PREFIX)) is not None


def cipher_from_settings(settings: Settings) -> TextCipher:
    """The cipher for the configured ASSIST_ENCRYPTION_KEY (no encryption when it is empty)."""
    return TextCipher(settings.encryption_keys())


def new_key() -> str:
    """A fresh Fernet key (32 random bytes, base64url) for ASSIST_ENCRYPTION_KEY."""
    return Fernet.generate_key().decode("ascii")


def _fernet(key: str, position: int) -> Fernet:
    """One Fernet from one key of the setting; a malformed key names its position, never its value."""
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise EncryptionKeyError(f"{KEY_SETTING} key {position} is not a Fernet key (32 url-safe base64-encoded "
                                 f"bytes); {KEYGEN_HINT}.") from None
