"""What reaches the provider: every request body of the LLM path, decoded, carries no raw personal data.

assist() runs against a local OpenAI-compatible server process over every demo ticket and over every text of
the labelled masking set (`evals/data/pii_labelled.jsonl`) turned into a ticket."""
from __future__ import annotations

import json
import unicodedata

import pytest

from chains.pipeline import assist
from chains.runtime import build_deps
from core.settings import load_settings
from core.types import Ticket
from evals.pii import load_examples


def llm_deps(server, index):
    settings = load_settings({"ASSIST_LLM": "openai:fake-model", "OPENAI_BASE_URL": server.base_url,
                              "OPENAI_API_KEY": "sk-test-not-a-real-key", "ASSIST_LLM_TIMEOUT": 5,
                              "ASSIST_LLM_MAX_RETRIES": 0})
    return build_deps(settings, index=index)


@pytest.fixture(scope="module")
def deps(server, demo_index):
    return llm_deps(server, demo_index)


@pytest.fixture(scope="module")
def quick_deps(server, demo_articles, fake_embedder):
    """The demo KB with deterministic vectors: the labelled texts are many, and masking does not depend on ranking."""
    from knowledge.build import build_in_memory

    return llm_deps(server, build_in_memory(demo_articles, fake_embedder))


def sent_text(server) -> str:
    """Every request body, JSON-decoded (so \\uXXXX escapes are characters again) and joined."""
    bodies = [json.loads(json.dumps(r["body"])) for r in server.requests()]
    return "\n".join(json.dumps(b, ensure_ascii=False) for b in bodies)


def spellings(value: str) -> set[str]:
    """The value as written and as NFKC without zero-width characters (what a provider could read back)."""
    plain = unicodedata.normalize("NFKC", value).replace("\u200b", "")
    return {value, plain}


def assist_and_collect(server, deps, ticket: Ticket) -> str:
    server.reset()
    result = assist(ticket, deps)
    assert result.engine == "llm", result.notices
    text = sent_text(server)
    assert text, "the provider was called"
    return text


def example_ticket(n: int, example: dict) -> Ticket:
    customer = example.get("customer") or {}
    messages = [{"role": "customer", "author": customer.get("name", ""), "text": example["text"]}]
    messages += [{"role": "agent", "author": agent, "text": "Thanks, I'm checking this now."}
                 for agent in example.get("agents", [])]
    return Ticket(id=f"PII-{n}", subject="Question about my order", customer=customer, messages=messages)


def test_pii_requests_carry_no_demo_ticket_customer_data(server, deps, demo_tickets):
    checked = 0
    for ticket in demo_tickets.values():
        sent = assist_and_collect(server, deps, ticket)
        values = [ticket.customer.email, ticket.customer.name, *ticket.customer.name.split()]
        values += [m.author for m in ticket.messages if m.author]
        for value in (v for v in values if len(v) >= 2):
            assert value not in sent, f"{ticket.id}: {value!r} reached the provider"
            checked += 1
    assert checked >= 24 * 3


def test_pii_requests_carry_no_labelled_value(server, quick_deps):
    examples = load_examples()
    missed = []
    for n, example in enumerate(examples):
        sent = assist_and_collect(server, quick_deps, example_ticket(n, example))
        for span in example["spans"]:
            for spelled in spellings(span["value"]):
                if spelled in sent:
                    missed.append((span["category"], spelled))
    assert not missed, missed
    assert sum(len(e["spans"]) for e in examples) >= 150


def test_pii_requests_mask_passages_and_show_them_restored(server, deps):
    ticket = Ticket(id="PII-KB", subject="Password reset", customer={"name": "Yuna Seo", "email": "yuna@example.com"},
                    messages=[{"role": "customer", "author": "Yuna Seo",
                               "text": "The password reset e-mail never arrives. Which address does it come from?"}])

    sent = assist_and_collect(server, deps, ticket)
    result = assist(ticket, deps)

    shown = "\n".join(h.chunk.text for h in result.hits)
    assert "support@marumarket.example" in shown, "the agent sees the passage as written"
    assert "support@marumarket.example" not in sent and "[EMAIL_" in sent
