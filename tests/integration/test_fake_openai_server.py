"""The fake OpenAI server, driven by the real langchain-openai / openai clients over 127.0.0.1."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Literal

import openai
import pytest
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from evals.fake_openai_server import (
    SCRIPT_PATH,
    FakeOpenAIServer,
    FakeServerError,
    SchemaError,
    default_reply,
    generate_from_schema,
    start_in_thread,
)

API_KEY = "test-key"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "OPENAI_PROXY")
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Customer(BaseModel):
    name: str
    tier: Literal["standard", "gold"]


class RefundDecision(BaseModel):
    """Decision on a refund request."""

    decision: Literal["approve", "deny", "escalate"]
    reason: str
    customer: Customer
    amount: float | None = None
    tags: list[str] = Field(default_factory=list)


SCRIPTED_DECISION = {
    "decision": "deny",
    "reason": "Outside the 30-day window",
    "customer": {"name": "Minji", "tier": "gold"},
    "amount": 12.5,
    "tags": ["late"],
}


@pytest.fixture(autouse=True)
def clean_server(request, monkeypatch):
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    if "server" in request.fixturenames:
        request.getfixturevalue("server").reset()


def make_llm(server: FakeOpenAIServer, **overrides) -> ChatOpenAI:
    params = dict(model="fake-model", base_url=server.base_url, api_key=API_KEY, timeout=2, max_retries=0)
    params.update(overrides)
    return ChatOpenAI(**params)


# --------------------------------------------------------------------------- #
# Plain chat
# --------------------------------------------------------------------------- #
def test_chat_invoke_returns_default_reply_and_usage(server):
    reply = make_llm(server).invoke("How do I reset my password?")

    assert reply.content == default_reply([{"role": "user"}])
    assert "[1]" in reply.content
    assert reply.usage_metadata["input_tokens"] == 6
    assert reply.usage_metadata["output_tokens"] == len(reply.content.split())
    assert reply.usage_metadata["total_tokens"] == 6 + len(reply.content.split())
    assert reply.response_metadata["finish_reason"] == "stop"


def test_chat_invoke_returns_scripted_content_in_order(server):
    server.script({"content": "First answer."}, {"content": "Second answer."})
    llm = make_llm(server)

    assert llm.invoke("one").content == "First answer."
    assert llm.invoke("two").content == "Second answer."
    assert server.pending() == []
    assert llm.invoke("three").content == default_reply([{}])


def test_chat_stream_yields_word_chunks_that_join_to_full_text(server):
    text = "Your refund was issued today and should arrive within five days [1]."
    server.script({"content": text})

    chunks = list(make_llm(server, stream_usage=True).stream("Where is my refund?"))

    pieces = [c.content for c in chunks if c.content]
    assert len(pieces) == len(text.split())
    assert "".join(pieces) == text
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.content == text
    assert merged.usage_metadata == {
        "input_tokens": 4, "output_tokens": len(text.split()), "total_tokens": 4 + len(text.split()),
        "input_token_details": {}, "output_token_details": {},
    }
    body = server.requests()[-1]["body"]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_chat_stream_waits_first_token_delay(server):
    server.script({"first_token_delay": 0.4, "content": "Delayed hello"})
    started = time.monotonic()
    first_at = None
    pieces = []
    for chunk in make_llm(server).stream("hi"):
        if chunk.content:
            first_at = first_at or time.monotonic() - started
            pieces.append(chunk.content)

    assert first_at is not None and first_at >= 0.35
    assert "".join(pieces) == "Delayed hello"


# --------------------------------------------------------------------------- #
# Structured output and tools
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("method", [None, "function_calling"])
def test_structured_output_parses_scripted_json(server, method):
    server.script({"json": SCRIPTED_DECISION})
    kwargs = {} if method is None else {"method": method}

    result = make_llm(server).with_structured_output(RefundDecision, **kwargs).invoke("Refund order #48213?")

    assert result == RefundDecision(**SCRIPTED_DECISION)
    body = server.requests()[-1]["body"]
    if method is None:
        assert body["response_format"]["type"] == "json_schema"
    else:
        assert body["tool_choice"]["function"]["name"] == "RefundDecision"


@pytest.mark.parametrize("method", [None, "function_calling"])
def test_structured_output_generates_minimal_valid_json_when_unscripted(server, method):
    kwargs = {} if method is None else {"method": method}

    result = make_llm(server).with_structured_output(RefundDecision, **kwargs).invoke("Refund?")

    assert isinstance(result, RefundDecision)
    assert (result.decision, result.reason, result.customer) == ("approve", "x", Customer(name="x", tier="standard"))
    assert result.tags == []


def test_tool_call_uses_scripted_tool_and_arguments(server):
    def lookup_order(order_id: str) -> str:
        """Look up an order."""
        return order_id

    def escalate(reason: str) -> str:
        """Escalate to a human."""
        return reason

    server.script({"tool": "escalate", "json": {"reason": "angry customer"}}, {"content": "Done."})
    llm = make_llm(server).bind_tools([lookup_order, escalate])

    first = llm.invoke("Help!")
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [("escalate", {"reason": "angry customer"})]
    assert first.response_metadata["finish_reason"] == "tool_calls"
    assert llm.invoke("and then?").content == "Done."


def test_tool_call_stream_assembles_arguments(server):
    def lookup_order(order_id: str, include_history: bool = False) -> str:
        """Look up an order."""
        return order_id

    server.script({"json": {"order_id": "48213", "include_history": True}})
    llm = make_llm(server).bind_tools([lookup_order], tool_choice="lookup_order")

    chunks = list(llm.stream("Where is order 48213?"))

    assert len(chunks) > 3
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.tool_calls[0]["name"] == "lookup_order"
    assert merged.tool_calls[0]["args"] == {"order_id": "48213", "include_history": True}


def test_malformed_arguments_become_invalid_tool_call(server):
    server.script(
        {"json": SCRIPTED_DECISION, "malformed": "arguments"},
        {"json": SCRIPTED_DECISION, "malformed": "arguments"},
    )
    llm = make_llm(server)

    raw = llm.bind_tools([RefundDecision], tool_choice="RefundDecision").invoke("Refund?")
    parsed = llm.with_structured_output(RefundDecision, method="function_calling").invoke("Refund?")

    assert raw.tool_calls == []
    assert [c["name"] for c in raw.invalid_tool_calls] == ["RefundDecision"]
    assert parsed is None


def test_malformed_structured_content_raises(server):
    server.script({"json": SCRIPTED_DECISION, "malformed": "arguments"})

    with pytest.raises((ValueError, OutputParserException)):
        make_llm(server).with_structured_output(RefundDecision).invoke("Refund?")


# --------------------------------------------------------------------------- #
# Failures
# --------------------------------------------------------------------------- #
def test_rate_limit_retry_after_then_success_with_one_retry(server):
    server.script({"status": 429, "retry_after": 1}, {"content": "Recovered."})
    started = time.monotonic()

    reply = make_llm(server, max_retries=1).invoke("hello")

    assert reply.content == "Recovered."
    assert time.monotonic() - started >= 0.9
    logged = server.requests()
    assert [r["headers"]["x-stainless-retry-count"] for r in logged] == ["0", "1"]


def test_rate_limit_without_retries_raises_rate_limit_error(server):
    server.script({"status": 429, "retry_after": 1})

    with pytest.raises(openai.RateLimitError) as caught:
        make_llm(server).invoke("hello")

    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.body["type"] == "rate_limit_error"


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_raises_internal_server_error(server, status):
    server.script({"status": status, "message": "upstream exploded"})

    with pytest.raises(openai.InternalServerError) as caught:
        make_llm(server).invoke("hello")

    assert caught.value.status_code == status
    assert "upstream exploded" in str(caught.value)


def test_delay_beyond_timeout_raises_api_timeout_error(server):
    server.script({"delay": 3.0, "content": "too late"})
    started = time.monotonic()

    with pytest.raises(openai.APITimeoutError):
        make_llm(server).invoke("hello")

    assert 1.5 <= time.monotonic() - started < 3.0


def test_cut_stream_raises_after_some_chunks(server):
    server.script({"cut_after": 3, "content": "one two three four five six"})
    received = []

    with pytest.raises(openai.APIConnectionError):
        for chunk in make_llm(server).stream("hello"):
            received.append(chunk.content)

    assert "".join(received) == "one two three "


def test_cut_body_raises_connection_error(server):
    server.script({"cut_after": 0, "content": "never complete"})

    with pytest.raises(openai.APIConnectionError):
        make_llm(server).invoke("hello")


@pytest.mark.parametrize("streaming", [False, True])
def test_malformed_body_raises(server, streaming):
    server.script({"malformed": True})
    llm = make_llm(server)

    with pytest.raises((ValueError, openai.APIError)):
        if streaming:
            list(llm.stream("hello"))
        else:
            llm.invoke("hello")


# --------------------------------------------------------------------------- #
# Request log and control API
# --------------------------------------------------------------------------- #
def test_request_log_records_messages_without_authorization_value(server):
    reply = make_llm(server).invoke([
        SystemMessage("You are a support agent."),
        HumanMessage("My parcel is late."),
    ])

    assert reply.content == default_reply([{}, {}])
    logged = server.requests()
    assert len(logged) == 1
    assert logged[0]["body"]["messages"] == [
        {"role": "system", "content": "You are a support agent."},
        {"role": "user", "content": "My parcel is late."},
    ]
    assert logged[0]["body"]["model"] == "fake-model"
    assert logged[0]["headers"]["authorization"] is True
    assert API_KEY not in json.dumps(logged)


def test_control_reset_clears_queue_and_log(server):
    server.script({"content": "queued"})
    make_llm(server).invoke("hello")
    server.script({"content": "still queued"})

    server.reset()

    assert server.requests() == []
    assert server.pending() == []


def test_control_script_rejects_unknown_keys_atomically(server):
    with pytest.raises(FakeServerError, match="400"):
        server.script({"content": "fine"}, {"contnet": "typo"})

    assert server.pending() == []


def test_control_unknown_path_returns_404_json(server):
    with pytest.raises(urllib.error.HTTPError) as caught:
        DIRECT.open(server.root_url + "/v1/embeddings-nope", timeout=5)

    assert caught.value.code == 404
    assert "error" in json.loads(caught.value.read())


def test_models_lists_fake_model(server):
    client = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0, timeout=2)

    assert [m.id for m in client.models.list()] == ["fake-model"]
    assert server.health()


# --------------------------------------------------------------------------- #
# Process and thread modes
# --------------------------------------------------------------------------- #
def test_fake_server_context_manager_stops_process():
    with FakeOpenAIServer() as fake:
        pid = fake.pid
        assert fake.running and fake.health()

    assert not fake.running
    if os.name == "posix":
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_cli_writes_port_file_and_never_logs_authorization(tmp_path):
    port_file = tmp_path / "port"
    secret = "Bearer sk-never-print-me"
    proc = subprocess.Popen(
        [sys.executable, SCRIPT_PATH, "--port", "0", "--port-file", str(port_file), "--verbose"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        ready = proc.stdout.readline().strip()
        port = int(port_file.read_text())
        assert ready == f"READY {port}"
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            data=json.dumps({"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}).encode(),
            headers={"Authorization": secret, "Content-Type": "application/json"},
        )
        with DIRECT.open(request, timeout=5) as response:
            completion = json.loads(response.read())
        assert completion["object"] == "chat.completion"
        words = len(default_reply([{}]).split())
        assert completion["choices"][0]["message"]["content"] == default_reply([{}])
        assert completion["usage"] == {"prompt_tokens": 1, "completion_tokens": words, "total_tokens": 1 + words}
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=5)
    assert proc.returncode == 0
    assert "/v1/chat/completions" in err
    assert "never-print-me" not in out + err


def test_start_in_thread_serves_chat():
    fake, base_url = start_in_thread()
    try:
        fake.state.script([{"content": "threaded"}])
        llm = ChatOpenAI(model="fake-model", base_url=base_url, api_key=API_KEY, timeout=2, max_retries=0)
        assert llm.invoke("hi").content == "threaded"
        assert fake.state.requests()[0]["body"]["messages"][0]["content"] == "hi"
    finally:
        fake.stop()


# --------------------------------------------------------------------------- #
# Schema generator
# --------------------------------------------------------------------------- #
def test_generate_from_schema_honours_refs_required_and_bounds():
    schema = {
        "$defs": {
            "Item": {"type": "object", "properties": {"sku": {"type": "string", "minLength": 3}},
                     "required": ["sku"]},
        },
        "type": "object",
        "properties": {
            "kind": {"const": "order"},
            "status": {"enum": ["open", "closed"]},
            "note": {"anyOf": [{"type": "null"}, {"type": "string"}]},
            "count": {"type": "integer", "minimum": 2},
            "score": {"type": "number", "exclusiveMaximum": -1},
            "flag": {"type": ["null", "boolean"]},
            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "minItems": 1},
            "merged": {"allOf": [{"$ref": "#/$defs/Item"}]},
            "optional": {"type": "string"},
        },
        "required": ["kind", "status", "note", "count", "score", "flag", "items", "merged"],
    }

    assert generate_from_schema(schema) == {
        "kind": "order", "status": "open", "note": "x", "count": 2, "score": -2,
        "flag": False, "items": [{"sku": "xxx"}], "merged": {"sku": "xxx"},
    }
    assert generate_from_schema(RefundDecision.model_json_schema()) == {
        "decision": "approve", "reason": "x", "customer": {"name": "x", "tier": "standard"},
    }
    with pytest.raises(SchemaError):
        generate_from_schema({"$ref": "https://example.com/schema.json"})
