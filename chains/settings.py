"""One settings object, read from the environment, `.env` and (in the app) `st.secrets`."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MissingSecretError(RuntimeError):
    """A provider is configured but its key is not; the message says how to fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

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
    ui_language: str = Field("en", alias="ASSIST_UI_LANGUAGE")
    agent_name: str = Field("Support team", alias="ASSIST_AGENT_NAME")
    shop_name: str = Field("Maru Market", alias="ASSIST_SHOP_NAME")
    index_dir: str | None = Field(None, alias="ASSIST_INDEX_DIR")
    database_url: SecretStr | None = Field(None, alias="ASSIST_DATABASE_URL")
    send_webhook_url: SecretStr | None = Field(None, alias="ASSIST_SEND_WEBHOOK_URL")

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
            env = self.model_fields[name].alias
            raise MissingSecretError(f"{env} is not set: set {env} (in the environment, .env or Streamlit secrets) or use ASSIST_LLM=offline.")
        return secret.get_secret_value()


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from env/.env, with explicit overrides (e.g. from st.secrets) taking precedence."""
    return Settings(**{k: v for k, v in (overrides or {}).items() if v is not None})


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return load_settings()
