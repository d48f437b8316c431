"""The offline engine: grounded drafts composed from KB passages, extractive summaries, embedding-kNN triage
and deterministic rewrites, behind the LangChain chat-model interface."""
from chains.offline.engine import (
    OFFLINE_MODEL_NAME,
    OfflineChatModel,
    OfflineEngineError,
    priority_for,
)

__all__ = ["OFFLINE_MODEL_NAME", "OfflineChatModel", "OfflineEngineError", "priority_for"]
