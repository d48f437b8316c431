"""Wires the real dependencies of `assist()` from settings: index, embedders, intent model, chat models."""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from chains.models import load_chat_model
from chains.offline import OfflineChatModel
from chains.offline.intent import IntentClassifier
from chains.offline.intent_store import load_classifier
from chains.pipeline import AssistDeps
from chains.results import ResultCache
from core.settings import Settings
from knowledge.embeddings import load_embedder
from knowledge.index import KnowledgeIndex, load_index

# The retrieval model's own session (per-channel 7-bit int8): classifies as well as fp32 arithmetic did (banking77
# 0.881, bitext 0.985, ko_3i4k macro-F1 0.579) and a second MiniLM session would cost ~70 MB.
INTENT_EMBEDDINGS = "onnx-int8"


@lru_cache(maxsize=2)
def load_intent_classifier(embeddings: str = INTENT_EMBEDDINGS) -> IntentClassifier:
    """The shipped examples' classifier, fitted once (in a child process) and loaded from disk after that."""
    return load_classifier(embeddings)


def offline_engine() -> OfflineChatModel:
    return OfflineChatModel(intent_classifier=load_intent_classifier())


def open_index(settings: Settings) -> KnowledgeIndex:
    return load_index(settings.index_path, load_embedder(settings.embeddings))


def build_deps(settings: Settings, index: KnowledgeIndex | None = None, cache: ResultCache | None = None,
               llm: str | None = None, tones: tuple[str, ...] | None = None) -> AssistDeps:
    """AssistDeps for the settings: the configured (or given) engine, the live (or given) index, the cache."""
    from knowledge.text import lexical_tokens

    lexical_tokens("준비")  # load Kiwi now (1–2 s) rather than on the first Korean ticket
    offline = offline_engine()
    spec = llm or settings.llm
    model = offline if spec == "offline" else load_chat_model(spec, settings)
    deps = AssistDeps(
        model=model, index=index if index is not None else open_index(settings), offline=offline,
        agent_name=settings.agent_name, company_name=settings.company_name,
        sign_off=settings.sign_off(settings.agent_name), ui_language=settings.ui_language,
        intents=tuple(sorted(set(offline.intent_classifier.labels))), cache=cache,
        price_input_per_1k=settings.price_input_per_1k, price_output_per_1k=settings.price_output_per_1k,
        max_message_chars=settings.max_message_chars, max_messages=settings.max_messages,
    )
    if tones is not None:
        deps.tones = tones
    return deps


def deps_for_agent(deps: AssistDeps, settings: Settings, agent: str) -> AssistDeps:
    """The same deps (engine, index, caches, counters) with drafts signed by `agent` for the configured company."""
    return replace(deps, agent_name=agent, company_name=settings.company_name, sign_off=settings.sign_off(agent))
