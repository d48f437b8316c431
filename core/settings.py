"""The one settings object: every `ASSIST_*` variable (and the provider's own), read from the environment,
`$ASSIST_HOME/.env` and, in the app, `st.secrets`.

Relative paths in settings (index, model cache, tickets, articles, a SQLite database file) are resolved
against one base, `ASSIST_HOME`: by default the folder of the checkout (where `make run` runs). ASSIST_HOME
itself is read from the process environment only, because it says where `.env` lives.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CODE_ROOT = Path(__file__).resolve().parents[1]
HOME_ENV = "ASSIST_HOME"
DEMO_TICKETS = CODE_ROOT / "desk" / "demo" / "tickets"
DEMO_ARTICLES = CODE_ROOT / "knowledge" / "demo" / "articles"
DEFAULT_SQLITE_FILE = Path("var") / "assist.db"
CustomerCitations = Literal["remove", "sources"]
# What the channels take in one message (Messenger 2,000, WhatsApp 4,096, Instagram and KakaoTalk 1,000, one SMS 160).
DEFAULT_CHANNEL_LIMITS = "chat=2000,messenger=2000,whatsapp=4096,instagram=1000,kakao=1000,sms=160"


class MissingSecretError(RuntimeError):
    """A provider is configured but its key is not; the message says how to fix it."""


def home_dir() -> Path:
    """The base for relative paths: $ASSIST_HOME, else the checkout folder."""
    raw = os.environ.get(HOME_ENV, "").strip()
    return Path(raw).expanduser().resolve() if raw else CODE_ROOT


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    # the drafting engine
    assist_llm: str = Field("", alias="ASSIST_LLM", description="openai:<model>, azure:<deployment> or offline; empty = openai:gpt-4o-mini when a key is set, else offline")
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    azure_openai_api_key: SecretStr | None = Field(None, alias="AZURE_OPENAI_API_KEY")
    azure_openai_endpoint: str | None = Field(None, alias="AZURE_OPENAI_ENDPOINT")
    openai_api_version: str = Field("2024-10-21", alias="OPENAI_API_VERSION")
    llm_timeout: float = Field(30.0, alias="ASSIST_LLM_TIMEOUT", gt=0)
    llm_max_retries: int = Field(2, alias="ASSIST_LLM_MAX_RETRIES", ge=0, le=6)
    price_input_per_1k: float = Field(0.0, alias="ASSIST_PRICE_INPUT_PER_1K", ge=0)
    price_output_per_1k: float = Field(0.0, alias="ASSIST_PRICE_OUTPUT_PER_1K", ge=0)
    # what drafts and the interface say
    ui_language: str = Field("en", alias="ASSIST_UI_LANGUAGE")
    agent_name: str = Field("Support team", alias="ASSIST_AGENT_NAME")
    company_name: str = Field("Maru Market", validation_alias=AliasChoices("ASSIST_COMPANY_NAME", "ASSIST_SHOP_NAME"),
                              alias="ASSIST_COMPANY_NAME")
    agent_signature: str = Field("", alias="ASSIST_AGENT_SIGNATURE",
                                 description="sign-off of every draft, {agent} and {company} filled in; empty = the built-in one per language")
    customer_citations: CustomerCitations = Field(
        "remove", alias="ASSIST_CUSTOMER_CITATIONS",
        description="what 'Use this draft' does with [n] markers: remove them, or list the cited articles as sources")
    # where things live (relative paths are resolved against ASSIST_HOME)
    index_dir: str = Field("var/index", alias="ASSIST_INDEX_DIR")
    model_cache: str = Field("var/models", alias="ASSIST_MODEL_CACHE")
    embeddings: str = Field("onnx-int8", alias="ASSIST_EMBEDDINGS", description="onnx-int8, onnx-fp32, onnx-fp16 or torch-fp32")
    kb_dir: str = Field("", alias="ASSIST_KB_DIR", description="article folder the index is built from; empty = the demo KB")
    tickets_dir: str = Field("", alias="ASSIST_TICKETS_DIR", description="folder of ticket JSON files; empty = the demo tickets")
    data_dir: str = Field("../shared/data", alias="ASSIST_DATA_DIR", description="evaluation datasets (python -m evals, make bench)")
    # who may use the app
    session_idle_minutes: float = Field(120.0, alias="ASSIST_SESSION_IDLE_MINUTES", gt=0)
    session_max_hours: float = Field(12.0, alias="ASSIST_SESSION_MAX_HOURS", gt=0)
    max_message_chars: int = Field(20_000, alias="ASSIST_MAX_MESSAGE_CHARS", ge=1_000)
    max_messages: int = Field(200, alias="ASSIST_MAX_MESSAGES", ge=1)
    channel_limits: str = Field(
        DEFAULT_CHANNEL_LIMITS, alias="ASSIST_CHANNEL_LIMITS",
        description="characters a reply may have per channel, e.g. chat=2000,sms=160; a channel not listed has no limit")
    database_url: SecretStr | None = Field(None, alias="ASSIST_DATABASE_URL")
    send_webhook_url: SecretStr | None = Field(None, alias="ASSIST_SEND_WEBHOOK_URL")
    # a connected helpdesk (python -m desk sync): tickets pulled in, replies posted back as public comments
    zendesk_url: str = Field("", alias="ASSIST_ZENDESK_URL", description="e.g. https://yourshop.zendesk.com")
    zendesk_email: str = Field("", alias="ASSIST_ZENDESK_EMAIL", description="the API user's email")
    zendesk_token: SecretStr | None = Field(None, alias="ASSIST_ZENDESK_TOKEN", description="a Zendesk API token")
    sync_interval_seconds: float = Field(60.0, alias="ASSIST_SYNC_INTERVAL_SECONDS", ge=5)
    # what the desk keeps at rest
    encryption_key: SecretStr | None = Field(
        None, alias="ASSIST_ENCRYPTION_KEY",
        description="comma-separated Fernet keys (python -m desk keygen): the first encrypts stored reply, draft, "
                    "audit and cached assist text, all decrypt; empty = text stored in clear, no shared assist cache")
    retention_days: int | None = Field(
        None, alias="ASSIST_RETENTION_DAYS", ge=1,
        description="python -m desk purge removes reply and draft text older than this; empty = kept until purged by hand")

    @field_validator("customer_citations", mode="before")
    @classmethod
    def citations_mode_any_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("channel_limits")
    @classmethod
    def channel_limits_readable(cls, value: str) -> str:
        parse_channel_limits(value)
        return value

    @field_validator("retention_days", mode="before")
    @classmethod
    def empty_retention_is_off(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    def __init__(self, **values: Any) -> None:
        values.setdefault("_env_file", home_dir() / ".env")
        super().__init__(**values)

    @property
    def llm(self) -> str:
        """The provider string in use: explicit ASSIST_LLM, else openai when a key is set, else offline."""
        if self.assist_llm.strip():
            return self.assist_llm.strip()
        if self.openai_api_key or self.azure_openai_api_key:
            return "openai:gpt-4o-mini"
        return "offline"

    def require(self, name: str) -> str:
        """The value of a secret, or an error that says how to set it."""
        secret = getattr(self, name)
        if secret is None or not secret.get_secret_value().strip():
            env = type(self).model_fields[name].alias
            raise MissingSecretError(f"{env} is not set: set {env} (in the environment, .env or Streamlit secrets) or use ASSIST_LLM=offline.")
        return secret.get_secret_value()

    # -- resolved paths ------------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return home_dir()

    def resolve(self, value: str | Path) -> Path:
        """A path from settings: absolute as given, relative to ASSIST_HOME otherwise."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.home / path

    @property
    def index_path(self) -> Path:
        return self.resolve(self.index_dir)

    @property
    def model_cache_path(self) -> Path:
        return self.resolve(self.model_cache)

    @property
    def kb_path(self) -> Path:
        return self.resolve(self.kb_dir) if self.kb_dir.strip() else DEMO_ARTICLES

    @property
    def tickets_path(self) -> Path:
        return self.resolve(self.tickets_dir) if self.tickets_dir.strip() else DEMO_TICKETS

    @property
    def data_path(self) -> Path:
        return self.resolve(self.data_dir)

    @property
    def default_sqlite_path(self) -> Path:
        return self.resolve(DEFAULT_SQLITE_FILE)

    def database_url_value(self) -> str | None:
        """The configured database URL (a secret: it may hold a password), or None for the SQLite default."""
        if self.database_url is None or not self.database_url.get_secret_value().strip():
            return None
        return self.database_url.get_secret_value().strip()

    def encryption_keys(self) -> tuple[str, ...]:
        """The Fernet keys of ASSIST_ENCRYPTION_KEY, newest (the one that encrypts) first; () when unset."""
        raw = self.encryption_key.get_secret_value() if self.encryption_key else ""
        return tuple(key.strip() for key in raw.split(",") if key.strip())

    def reply_limit(self, channel: str) -> int | None:
        """How many characters a reply on `channel` may have (ASSIST_CHANNEL_LIMITS), or None for no limit."""
        return parse_channel_limits(self.channel_limits).get(channel.strip().lower())

    def sign_off(self, agent: str) -> str:
        """The configured signature with the agent and company filled in ('' when none is configured)."""
        return self.agent_signature.replace("\\n", "\n").replace("{agent}", agent).replace("{company}", self.company_name)


def parse_channel_limits(raw: str) -> dict[str, int]:
    """`chat=2000,sms=160` as {channel: characters}; a clear ValueError for anything else."""
    limits: dict[str, int] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        channel, _, number = item.partition("=")
        if not channel.strip() or not number.strip().isdigit() or int(number) < 1:
            raise ValueError(f"ASSIST_CHANNEL_LIMITS: {item!r} is not channel=characters (for example chat=2000)")
        limits[channel.strip().lower()] = int(number)
    return limits


def setting_names() -> tuple[str, ...]:
    """Every variable name Settings reads (aliases), e.g. for picking them out of st.secrets."""
    names: list[str] = []
    for field in Settings.model_fields.values():
        choices = field.validation_alias.choices if isinstance(field.validation_alias, AliasChoices) else [field.alias]
        names.extend(str(c) for c in choices if c)
    return tuple(dict.fromkeys(names))


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from env/.env, with explicit overrides (e.g. from st.secrets or a CLI flag) taking precedence."""
    return Settings(**{k: v for k, v in (overrides or {}).items() if v is not None})


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    """Settings read once per process, for defaults deep inside library code."""
    return load_settings()
