"""`load_chat_model("provider:model")` picks the engine: `offline`, `openai:<model>` or `azure:<deployment>`."""
from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from chains.offline import OfflineChatModel
from core.settings import MissingSecretError, Settings

LOCAL_KEY = "not-needed"  # local OpenAI-compatible servers (Ollama, vLLM, LM Studio) accept any key


class UnknownProviderError(ValueError):
    pass


def engine_of(model: BaseChatModel) -> str:
    return "offline" if isinstance(model, OfflineChatModel) else "llm"


def model_name_of(model: BaseChatModel) -> str:
    for attr in ("model_name", "deployment_name", "model"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__


def load_chat_model(spec: str, settings: Settings, intent_classifier=None) -> BaseChatModel:
    provider, _, name = spec.partition(":")
    provider = provider.strip().lower()
    if provider == "offline":
        return OfflineChatModel(intent_classifier=intent_classifier)
    if provider == "openai":
        return _openai(name or "gpt-4o-mini", settings)
    if provider == "azure":
        return _azure(name, settings)
    raise UnknownProviderError(f"Unknown model provider {provider!r} in ASSIST_LLM={spec!r}: use offline, openai:<model> or azure:<deployment>.")


def _openai(name: str, settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    if settings.openai_base_url and not settings.openai_api_key:
        key = LOCAL_KEY
    else:
        key = settings.require("openai_api_key")
    return ChatOpenAI(
        model=name, api_key=key, base_url=settings.openai_base_url or None, timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries, stream_usage=True, temperature=0.2,
    )


def _azure(deployment: str, settings: Settings) -> BaseChatModel:
    from langchain_openai import AzureChatOpenAI

    if not deployment:
        raise UnknownProviderError("Set ASSIST_LLM=azure:<deployment name>.")
    if not settings.azure_openai_endpoint:
        raise MissingSecretError("AZURE_OPENAI_ENDPOINT is not set: set it to https://<resource>.openai.azure.com or use ASSIST_LLM=offline.")
    return AzureChatOpenAI(
        azure_deployment=deployment, api_version=settings.openai_api_version, azure_endpoint=settings.azure_openai_endpoint,
        api_key=settings.require("azure_openai_api_key"), timeout=settings.llm_timeout, max_retries=settings.llm_max_retries,
        stream_usage=True, temperature=0.2,
    )
