"""The LLM path with the real ChatOpenAI against a local OpenAI-compatible server process on 127.0.0.1."""
from __future__ import annotations

import json
import re

import openai
import pytest

from chains.context import TaskContext
from chains.draft import StreamCutError, run_draft, run_draft_streaming
from chains.models import load_chat_model
from chains.pipeline import assist
from chains.redact import CARD, EMAIL, PHONE_PATTERNS, RRN, redact_ticket
from chains.runtime import build_deps
from chains.structured import MalformedOutputError
from chains.triage import run_triage
from core.settings import load_settings
from core.types import Triage


@pytest.fixture(autouse=True)
def clean_server(server):
    server.reset()
    yield


def llm_settings(server, timeout: float = 2.0, retries: int = 0):
    return load_settings({"ASSIST_LLM": "openai:fake-model", "OPENAI_BASE_URL": server.base_url,
                          "OPENAI_API_KEY": "sk-test-not-a-real-key", "ASSIST_LLM_TIMEOUT": timeout,
                          "ASSIST_LLM_MAX_RETRIES": retries, "ASSIST_PRICE_INPUT_PER_1K": 0.5,
                          "ASSIST_PRICE_OUTPUT_PER_1K": 1.5})


def llm_deps(server, demo_index, **kw):
    return build_deps(llm_settings(server, **kw), index=demo_index)


def ticket_context(ticket, demo_index) -> TaskContext:
    redacted, _ = redact_ticket(ticket)
    return TaskContext(ticket=redacted, hits=demo_index.search(ticket.messages[-1].text, k=5), intents=["refund_status", "other"])


def request_texts(server) -> list[str]:
    return [json.dumps(r["body"], ensure_ascii=False) for r in server.requests()]


def test_llm_assist_streams_drafts_and_reports_usage(server, demo_index, demo_tickets):
    pieces: list[tuple[str, str]] = []
    result = assist(demo_tickets["T-1001"], llm_deps(server, demo_index), stream=lambda tone, p: pieces.append((tone, p)))
    assert result.engine == "llm"
    assert {d.engine for d in result.drafts} == {"llm"}
    concise = next(d for d in result.drafts if d.tone == "concise")
    streamed = "".join(p for tone, p in pieces if tone == "concise")
    assert streamed == concise.text and len([p for t, p in pieces if t == "concise"]) > 3
    assert concise.citations and concise.citations[0].chunk_id == result.hits[0].chunk.id
    assert result.cost["input_tokens"] > 0 and result.cost["output_tokens"] > 0 and result.cost["usd"] > 0
    bodies = [r["body"] for r in server.requests()]
    assert any(b.get("stream") for b in bodies), "drafts were requested as a stream"
    assert any(b.get("tools") for b in bodies), "triage and summary use structured output"


def test_llm_structured_triage_parses_scripted_answer(server, demo_index, demo_tickets):
    server.script({"json": {"intent": "refund_status", "intent_confidence": 0.9, "sentiment": "negative",
                            "priority": "high", "language": "en", "injection_suspected": False}})
    model = load_chat_model("openai:fake-model", llm_settings(server))
    triage = run_triage(model, ticket_context(demo_tickets["T-1001"], demo_index))
    assert triage == Triage(intent="refund_status", intent_confidence=0.9, sentiment="negative", priority="high",
                            language="en", injection_suspected=False)


def test_llm_malformed_structured_answer_is_retried_once_then_raises(server, demo_index, demo_tickets):
    server.script({"malformed": "arguments"}, {"malformed": "arguments"})
    model = load_chat_model("openai:fake-model", llm_settings(server))
    with pytest.raises(MalformedOutputError):
        run_triage(model, ticket_context(demo_tickets["T-1001"], demo_index))
    assert len(server.requests()) == 2


def test_llm_malformed_then_valid_answer_succeeds_on_retry(server, demo_index, demo_tickets):
    server.script({"malformed": "arguments"})
    model = load_chat_model("openai:fake-model", llm_settings(server))
    triage = run_triage(model, ticket_context(demo_tickets["T-1001"], demo_index))
    assert isinstance(triage, Triage) and len(server.requests()) == 2


def test_llm_429_with_retry_after_then_success(server, demo_index, demo_tickets):
    server.script({"status": 429, "retry_after": 1}, {"content": "Refunds arrive within 3–5 business days [1]."})
    model = load_chat_model("openai:fake-model", llm_settings(server, retries=1))
    draft = run_draft(model, ticket_context(demo_tickets["T-1001"], demo_index), "concise")
    assert draft.text.startswith("Refunds arrive") and draft.citations
    assert len(server.requests()) == 2


def test_llm_server_error_falls_back_to_offline_with_notice(server, demo_index, demo_tickets):
    server.script(*[{"status": 500}] * 12)
    result = assist(demo_tickets["T-1001"], llm_deps(server, demo_index))
    assert result.engine == "offline"
    assert len(result.drafts) == 3 and all(d.engine == "offline" and d.citations for d in result.drafts)
    assert len(result.notices) == 1 and "500" in result.notices[0]
    assert "triage, summary, concise draft, detailed draft, warm draft" in result.notices[0]


def test_llm_timeout_falls_back_to_offline(server, demo_index, demo_tickets):
    server.script(*[{"delay": 3.0, "content": "late"}] * 6)
    result = assist(demo_tickets["T-1002"], llm_deps(server, demo_index, timeout=0.5))
    assert all(d.engine == "offline" for d in result.drafts)
    assert any("Timeout" in n for n in result.notices)


def test_llm_connection_refused_falls_back_to_offline(demo_index, demo_tickets):
    settings = load_settings({"ASSIST_LLM": "openai:fake-model", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
                              "OPENAI_API_KEY": "k", "ASSIST_LLM_TIMEOUT": 1, "ASSIST_LLM_MAX_RETRIES": 0})
    result = assist(demo_tickets["T-1003"], build_deps(settings, index=demo_index))
    assert result.engine == "offline" and len(result.drafts) == 3
    assert any("Connection" in n for n in result.notices)


def test_llm_cut_stream_keeps_partial_text_and_falls_back(server, demo_index, demo_tickets):
    text = "Hi Minji, your refund was issued on 12 November and usually appears within 3–5 business days [1]."
    server.script(*[{"cut_after": 4, "content": text}] * 12)
    deps = llm_deps(server, demo_index)
    deps.tones = ("concise",)
    result = assist(demo_tickets["T-1001"], deps, stream=lambda tone, piece: None)
    assert result.partial_drafts["concise"] and text.startswith(result.partial_drafts["concise"].strip())
    assert result.drafts[0].engine == "offline"
    assert any("stream stopped midway" in n for n in result.notices)


def test_llm_stream_cut_error_carries_partial(server, demo_index, demo_tickets):
    server.script({"cut_after": 3, "content": "one two three four five six seven [1]."})
    model = load_chat_model("openai:fake-model", llm_settings(server))
    received: list[str] = []
    with pytest.raises(StreamCutError) as info:
        run_draft_streaming(model, ticket_context(demo_tickets["T-1001"], demo_index), "concise", received.append)
    assert info.value.partial == "".join(received) and info.value.partial.startswith("one")


def raw_pii(ticket) -> list[str]:
    text = "\n".join(m.text for m in ticket.messages) + "\n" + ticket.customer.email
    found = [m.group(0) for m in EMAIL.finditer(text)] + [m.group(0) for m in RRN.finditer(text)]
    found += [m.group(0) for m in CARD.finditer(text) if len(re.sub(r"\D", "", m.group(0))) >= 13]
    for pattern in PHONE_PATTERNS:
        found += [m.group(0) for m in pattern.finditer(text)]
    return [f for f in found if f.strip()]


def test_llm_no_raw_pii_reaches_the_provider_for_any_demo_ticket(server, demo_index, demo_tickets):
    deps = llm_deps(server, demo_index)
    checked = 0
    for ticket in demo_tickets.values():
        server.reset()
        assist(ticket, deps)
        bodies = "\n".join(request_texts(server))
        assert bodies, "the provider was called"
        for value in raw_pii(ticket):
            assert value not in bodies, f"{ticket.id}: {value!r} reached the provider"
            checked += 1
        for note in (m.text for m in ticket.messages if m.role == "note"):
            assert note[:40] not in bodies, f"{ticket.id}: an internal note reached the provider"
    assert checked >= 5, "the demo tickets carry e-mails, phones, a card and an RRN"


def test_llm_restores_placeholders_in_the_draft_shown_to_the_agent(server, demo_index, demo_tickets):
    server.script(*[{"content": "Hi, we will write to [EMAIL_1] once the payment clears [1]."}] * 12)
    deps = llm_deps(server, demo_index)
    deps.tones = ("concise",)
    result = assist(demo_tickets["T-1007"], deps)
    draft = result.drafts[0]
    assert draft.engine == "llm"
    assert "lucas.moreau@example.com" in draft.text and "[EMAIL_1]" not in draft.text
    assert "lucas.moreau@example.com" not in "\n".join(request_texts(server))


def test_llm_request_log_never_holds_the_api_key(server, demo_index, demo_tickets):
    assist(demo_tickets["T-1001"], llm_deps(server, demo_index))
    log = json.dumps(server.requests())
    assert "sk-test-not-a-real-key" not in log
    assert all(r["headers"]["authorization"] is True for r in server.requests())


def test_llm_openai_errors_are_the_documented_types(server):
    server.script({"status": 500})
    model = load_chat_model("openai:fake-model", llm_settings(server))
    with pytest.raises(openai.InternalServerError):
        model.invoke("hello")
