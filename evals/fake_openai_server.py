"""A small OpenAI-compatible HTTP server for tests and benchmarks (standard library only).

Run it as its own process::

    python evals/fake_openai_server.py --port 0 --port-file PATH

It writes the bound port to PATH once it is listening and prints ``READY <port>``
to stdout. ``FakeOpenAIServer`` wraps that for tests (a context manager), and
``start_in_thread()`` runs the same server inside the current process.

Endpoints
---------
``POST /v1/chat/completions``  Chat Completions, plain or streamed (SSE), with
                               structured output (``response_format`` json_schema /
                               json_object) and tool calls.
``GET  /v1/models``            One model, ``fake-model``.
``GET  /health``               ``ok``.
``POST /_control/script``      ``{"replies": [behaviour, ...]}``: queue behaviours,
                               one consumed per chat request, in order.
``GET  /_control/script``      ``{"pending": n, "replies": [...]}``.
``POST /_control/reset``       Clear the queue and the request log.
``GET  /_control/requests``    Every chat request received: ``{"index", "path",
                               "body", "headers"}``. ``headers`` holds a few safe
                               headers; ``headers["authorization"]`` is only a
                               boolean (present or not), never the value.

Behaviour keys (combine freely)
-------------------------------
``content``            text reply (streamed or not, as the request asks).
``json``               structured payload: tool-call arguments when a tool is
                       called, the message content for ``json_schema`` /
                       ``json_object`` requests (or for plain requests).
``tool``               call this function name even if the request does not force it.
``status``             answer with this HTTP status and an OpenAI-style error body.
``retry_after``        seconds; sets ``Retry-After`` (and ``retry-after-ms``).
``message``            error message for ``status``.
``delay``              seconds to sleep before answering at all.
``first_token_delay``  streaming: seconds between the response headers and the
                       first chunk (non-streaming: added to ``delay``).
``chunk_delay``        streaming: seconds between chunks.
``cut_after``          streaming: send that many content chunks, then drop the
                       connection without ``[DONE]``; non-streaming: send a
                       truncated body and drop the connection.
``malformed``          ``true`` or ``"body"``: a 200 whose body (or SSE event) is
                       not valid JSON; ``"arguments"``: tool-call arguments (or
                       structured content) that are not valid JSON.
``finish_reason``      override the finish reason.

Without a scripted behaviour the reply is deterministic: a short text that
mentions the number of messages and carries a ``[1]`` citation marker, or, for
structured requests, the minimal valid JSON for the schema
(``generate_from_schema``).

Tool selection: a ``tool_choice`` naming a function always calls it;
``"required"`` calls the first tool; otherwise (``"auto"`` or absent) a tool is
called when a ``json`` reply is scripted, or when there is exactly one tool, no
``content`` is scripted and the last message is not a tool result.
``tool_choice: "none"`` never calls a tool unless ``tool`` is scripted.
"""
from __future__ import annotations

import argparse
import collections
import copy
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "DEFAULT_HOST",
    "MODEL_ID",
    "SCRIPT_PATH",
    "BEHAVIOUR_KEYS",
    "FakeOpenAIHTTPServer",
    "FakeOpenAIServer",
    "FakeOpenAIState",
    "FakeServerError",
    "SchemaError",
    "default_reply",
    "generate_from_schema",
    "main",
    "start_in_thread",
    "validate_behaviour",
]

DEFAULT_HOST = "127.0.0.1"
MODEL_ID = "fake-model"
CREATED = 1_700_000_000
SCRIPT_PATH = os.path.abspath(__file__)

# Request headers copied into the request log. Authorization is never copied;
# only its presence is recorded.
LOGGED_HEADERS = ("content-type", "accept", "user-agent", "x-stainless-retry-count")

BEHAVIOUR_KEYS = frozenset({
    "content", "json", "tool", "status", "retry_after", "message", "delay",
    "first_token_delay", "chunk_delay", "cut_after", "malformed", "finish_reason",
})

_ERROR_KINDS = {
    400: ("invalid_request_error", "invalid_request"),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "forbidden"),
    404: ("invalid_request_error", "not_found"),
    408: ("timeout_error", "request_timeout"),
    409: ("conflict_error", "conflict"),
    422: ("invalid_request_error", "unprocessable_entity"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", "internal_error"),
    502: ("server_error", "bad_gateway"),
    503: ("server_error", "service_unavailable"),
    504: ("server_error", "gateway_timeout"),
}

_WORD_PIECES = re.compile(r"\s*\S+\s*")


# --------------------------------------------------------------------------- #
# Minimal JSON-schema instance generator
# --------------------------------------------------------------------------- #
class SchemaError(ValueError):
    """The schema cannot be satisfied by the minimal generator."""


def generate_from_schema(schema: Any, root: Any = None) -> Any:
    """Return a minimal instance that is valid for ``schema``.

    Strings become ``"x"``, numbers ``0`` (moved into ``minimum``/``maximum``),
    booleans ``False``, arrays ``[]`` (or ``minItems`` items), objects get only
    their ``required`` properties. ``const``, ``enum`` (first value),
    ``$ref`` (local, e.g. ``#/$defs/X``), ``anyOf``/``oneOf`` (first non-null
    option), ``allOf`` and type lists are honoured. ``pattern`` and
    ``multipleOf`` are not.
    """
    return _generate(schema, schema if root is None else root, 0)


def _resolve_ref(ref: str, root: Any) -> Any:
    if not isinstance(ref, str) or not ref.startswith("#"):
        raise SchemaError(f"only local $ref values are supported, got {ref!r}")
    node = root
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SchemaError(f"unresolvable $ref {ref!r}")
    return node


def _is_null_schema(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "null":
        return True
    return "const" in schema and schema["const"] is None


def _generate(schema: Any, root: Any, depth: int) -> Any:
    if depth > 64:
        raise SchemaError("schema nesting too deep (recursive required properties?)")
    if schema is True or schema is None:
        return None
    if schema is False:
        raise SchemaError("schema `false` accepts no value")
    if not isinstance(schema, dict):
        raise SchemaError(f"schema must be an object, got {type(schema).__name__}")
    if "$ref" in schema:
        return _generate(_resolve_ref(schema["$ref"], root), root, depth + 1)
    if "const" in schema:
        return copy.deepcopy(schema["const"])
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return copy.deepcopy(schema["enum"][0])
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            chosen = next((o for o in options if not _is_null_schema(o)), options[0])
            return _generate(chosen, root, depth + 1)
    if isinstance(schema.get("allOf"), list) and schema["allOf"]:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        parts = [_generate(s, root, depth + 1) for s in schema["allOf"]]
        if any(k in rest for k in ("type", "properties", "required", "items")):
            parts.append(_generate(rest, root, depth + 1))
        if all(isinstance(p, dict) for p in parts):
            merged: dict = {}
            for part in parts:
                merged.update(part)
            return merged
        return parts[0]

    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        if not non_null:
            return None
        kind = non_null[0]
    if kind is None:
        if any(k in schema for k in ("properties", "required", "additionalProperties")):
            kind = "object"
        elif any(k in schema for k in ("items", "prefixItems", "minItems")):
            kind = "array"
        elif any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
            kind = "string"
        elif any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
            kind = "number"
        else:
            return None

    if kind == "object":
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        out = {}
        for name in schema.get("required") or []:
            if name in properties:
                out[name] = _generate(properties[name], root, depth + 1)
            elif isinstance(extra, dict):
                out[name] = _generate(extra, root, depth + 1)
            else:
                out[name] = None
        return out
    if kind == "array":
        prefix = schema.get("prefixItems")
        items = schema.get("items")
        if isinstance(items, list):  # draft-4 style tuple
            prefix, items = items, schema.get("additionalItems")
        prefix = prefix or []
        count = max(int(schema.get("minItems") or 0), 0)
        out_list = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else items
            out_list.append(_generate(sub if sub is not None else {}, root, depth + 1))
        return out_list
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, integer=(kind == "integer"))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    raise SchemaError(f"unsupported type {kind!r}")


_FORMAT_EXAMPLES = {
    "date-time": "1970-01-01T00:00:00Z",
    "date": "1970-01-01",
    "time": "00:00:00Z",
    "email": "x@example.com",
    "uri": "https://example.com/x",
    "url": "https://example.com/x",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "ipv4": "127.0.0.1",
}


def _string(schema: dict) -> str:
    value = _FORMAT_EXAMPLES.get(schema.get("format"), "x")
    min_length = int(schema.get("minLength") or 0)
    if len(value) < min_length:
        value += "x" * (min_length - len(value))
    max_length = schema.get("maxLength")
    if isinstance(max_length, int) and len(value) > max_length:
        value = value[:max_length]
    return value


def _number(schema: dict, integer: bool) -> int | float:
    lo, hi = schema.get("minimum"), schema.get("maximum")
    lo_excl = hi_excl = False
    ex_lo, ex_hi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(ex_lo, bool):  # draft 4
        lo_excl = ex_lo
    elif isinstance(ex_lo, (int, float)) and (lo is None or ex_lo >= lo):
        lo, lo_excl = ex_lo, True
    if isinstance(ex_hi, bool):
        hi_excl = ex_hi
    elif isinstance(ex_hi, (int, float)) and (hi is None or ex_hi <= hi):
        hi, hi_excl = ex_hi, True

    def ok(v: float) -> bool:
        if lo is not None and (v < lo or (lo_excl and v == lo)):
            return False
        if hi is not None and (v > hi or (hi_excl and v == hi)):
            return False
        return True

    if ok(0):
        return 0
    if lo is not None and (lo > 0 or (lo == 0 and lo_excl)):
        if integer:
            value: float = math.floor(lo) + 1 if lo_excl else math.ceil(lo)
        elif not lo_excl:
            value = lo
        else:
            value = (lo + hi) / 2 if hi is not None else lo + 1
    else:
        if integer:
            value = math.ceil(hi) - 1 if hi_excl else math.floor(hi)
        elif not hi_excl:
            value = hi
        else:
            value = (lo + hi) / 2 if lo is not None else hi - 1
    if not ok(value):
        raise SchemaError(f"no value satisfies the bounds of {schema!r}")
    return int(value) if integer else value


# --------------------------------------------------------------------------- #
# Shared state: scripted behaviours and the request log
# --------------------------------------------------------------------------- #
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate_behaviour(behaviour: Any) -> dict:
    """Check one scripted behaviour; raise ``ValueError`` with a readable reason."""
    if not isinstance(behaviour, dict):
        raise ValueError(f"each reply must be a JSON object, got {behaviour!r}")
    unknown = set(behaviour) - BEHAVIOUR_KEYS
    if unknown:
        raise ValueError(f"unknown reply keys {sorted(unknown)}; allowed: {sorted(BEHAVIOUR_KEYS)}")
    for key in ("content", "tool", "message", "finish_reason"):
        if key in behaviour and not isinstance(behaviour[key], str):
            raise ValueError(f"{key!r} must be a string")
    for key in ("delay", "first_token_delay", "chunk_delay", "retry_after"):
        if key in behaviour and not (_is_number(behaviour[key]) and behaviour[key] >= 0):
            raise ValueError(f"{key!r} must be a non-negative number of seconds")
    if "status" in behaviour:
        status = behaviour["status"]
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise ValueError("'status' must be an HTTP status code (200-599)")
    if "cut_after" in behaviour:
        cut = behaviour["cut_after"]
        if isinstance(cut, bool) or not isinstance(cut, int) or cut < 0:
            raise ValueError("'cut_after' must be a non-negative integer")
    if "malformed" in behaviour and behaviour["malformed"] not in (True, False, "body", "arguments"):
        raise ValueError("'malformed' must be true, false, \"body\" or \"arguments\"")
    return dict(behaviour)


class FakeOpenAIState:
    """Thread-safe queue of scripted behaviours plus the chat request log."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: collections.deque[dict] = collections.deque()
        self._requests: list[dict] = []
        self._counter = 0

    def script(self, replies: list) -> int:
        """Validate and queue behaviours (all or none); return the number pending."""
        checked = [validate_behaviour(r) for r in replies]
        with self._lock:
            self._replies.extend(checked)
            return len(self._replies)

    def pending(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(list(self._replies))

    def reset(self) -> None:
        with self._lock:
            self._replies.clear()
            self._requests.clear()

    def next_behaviour(self) -> dict:
        with self._lock:
            return self._replies.popleft() if self._replies else {}

    def record(self, entry: dict) -> int:
        with self._lock:
            self._counter += 1
            entry["index"] = self._counter
            self._requests.append(entry)
            return self._counter

    def requests(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._requests)


# --------------------------------------------------------------------------- #
# Reply planning
# --------------------------------------------------------------------------- #
def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return " ".join(parts)
    return ""


def count_tokens(text: str | None) -> int:
    """Rough, deterministic token count: whitespace-separated words."""
    return len(text.split()) if text else 0


def prompt_tokens(messages: list) -> int:
    return sum(count_tokens(_text_of(m.get("content"))) for m in messages if isinstance(m, dict))


def default_reply(messages: list) -> str:
    """The deterministic text reply used when nothing is scripted."""
    n = len(messages)
    noun = "message" if n == 1 else "messages"
    return f"Thanks for your message ({n} {noun} received). Here is what our policy says [1]."


def _break_json(text: str) -> str:
    """Return ``text`` (valid JSON) made invalid by dropping its last character."""
    return text[:-1] if len(text) > 1 else "{"


def _select_tool(request: dict, behaviour: dict) -> dict | None:
    tools = [
        t for t in request.get("tools") or []
        if isinstance(t, dict) and isinstance(t.get("function"), dict)
        and isinstance(t["function"].get("name"), str)
    ]
    by_name = {t["function"]["name"]: t for t in tools}

    def named(name: str) -> dict:
        return by_name.get(name) or {"type": "function", "function": {"name": name, "parameters": {}}}

    if "tool" in behaviour:
        return named(behaviour["tool"])
    choice = request.get("tool_choice")
    if choice == "none" or not tools:
        return None
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name") or choice.get("name")
        if isinstance(name, str):
            return named(name)
    if choice == "required":
        return tools[0]
    if "json" in behaviour:
        return tools[0]
    if "content" in behaviour or len(tools) != 1:
        return None
    messages = request.get("messages") or []
    if messages and isinstance(messages[-1], dict) and messages[-1].get("role") == "tool":
        return None
    return tools[0]


def plan_reply(request: dict, behaviour: dict, index: int) -> dict:
    """Decide the assistant message: ``{"content", "tool_calls", "finish_reason"}``."""
    malformed_args = behaviour.get("malformed") == "arguments"
    tool = _select_tool(request, behaviour)
    if tool is not None:
        function = tool["function"]
        if "json" in behaviour:
            payload = behaviour["json"]
        else:
            payload = generate_from_schema(function.get("parameters") or {"type": "object"})
        arguments = json.dumps(payload)
        if malformed_args:
            arguments = _break_json(arguments)
        return {
            "content": behaviour.get("content"),
            "tool_calls": [{
                "id": f"call_fake_{index}",
                "type": "function",
                "function": {"name": function["name"], "arguments": arguments},
            }],
            "finish_reason": behaviour.get("finish_reason", "tool_calls"),
        }

    response_format = request.get("response_format")
    format_type = response_format.get("type") if isinstance(response_format, dict) else None
    structured = True
    if "content" in behaviour and "json" not in behaviour:
        content, structured = behaviour["content"], False
    elif "json" in behaviour:
        content = json.dumps(behaviour["json"])
    elif format_type == "json_schema":
        spec = response_format.get("json_schema") or {}
        content = json.dumps(generate_from_schema(spec.get("schema") or {"type": "object"}))
    elif format_type == "json_object":
        content = "{}"
    else:
        content, structured = default_reply(request.get("messages") or []), False
    if malformed_args and structured:
        content = _break_json(content)
    return {"content": content, "tool_calls": None, "finish_reason": behaviour.get("finish_reason", "stop")}


def _pieces(text: str | None) -> list[str]:
    if not text:
        return []
    return _WORD_PIECES.findall(text) or [text]


# --------------------------------------------------------------------------- #
# HTTP layer
# --------------------------------------------------------------------------- #
def _error_body(status: int, message: str | None = None) -> dict:
    kind, code = _ERROR_KINDS.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    return {"error": {
        "message": message or f"Scripted error {status} from the fake OpenAI server.",
        "type": kind,
        "param": None,
        "code": code,
    }}


class _ClientGone(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"
    sys_version = ""

    def setup(self) -> None:
        """Headers and body go out in separate writes: without TCP_NODELAY each keep-alive reply stalls ~40 ms."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server: "FakeOpenAIHTTPServer"

    # -- plumbing ----------------------------------------------------------- #
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:  # request line only; headers are never logged
            sys.stderr.write("fake-openai: " + (format % args) + "\n")

    def _route(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        if len(path) > 1:
            path = path.rstrip("/")
        routes = {
            "/v1/chat/completions": {"POST": self._chat},
            "/chat/completions": {"POST": self._chat},
            "/v1/models": {"GET": self._models},
            "/health": {"GET": self._health},
            "/_control/script": {"POST": self._control_script, "GET": self._control_pending},
            "/_control/reset": {"POST": self._control_reset},
            "/_control/requests": {"GET": self._control_requests},
        }
        try:
            handlers = routes.get(path)
            if handlers is None:
                self._discard_body()
                self._send_json(404, _error_body(404, f"Unknown path: {method} {path}"))
            elif method not in handlers:
                self._discard_body()
                self._send_json(405, _error_body(405, f"Method {method} not allowed on {path}"),
                                {"Allow": ", ".join(sorted(handlers))})
            else:
                handlers[method]()
        except (_ClientGone, ConnectionError, socket.timeout):
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._route("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    def do_PATCH(self) -> None:  # noqa: N802
        self._route("PATCH")

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is not None:
            return self.rfile.read(int(length)) if int(length) > 0 else b""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline(65537)
        return b""

    def _discard_body(self) -> None:
        try:
            self._read_body()
        except ValueError:
            self.close_connection = True

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as exc:
            raise _ClientGone() from exc

    def _send_json(self, status: int, payload: Any, headers: dict | None = None) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_bytes(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self._write(body)

    def _drop_connection(self) -> None:
        """Close the connection abruptly (no end of message)."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- simple endpoints --------------------------------------------------- #
    def _health(self) -> None:
        self._send_bytes(200, b"ok", "text/plain; charset=utf-8")

    def _models(self) -> None:
        self._send_json(200, {"object": "list", "data": [
            {"id": MODEL_ID, "object": "model", "created": CREATED, "owned_by": "fake"},
        ]})

    def _read_json(self) -> Any:
        raw = self._read_body()
        return json.loads(raw) if raw.strip() else None

    def _control_script(self) -> None:
        try:
            payload = self._read_json()
        except ValueError:
            self._send_json(400, _error_body(400, "control body is not valid JSON"))
            return
        replies = payload.get("replies") if isinstance(payload, dict) else None
        if not isinstance(replies, list):
            self._send_json(400, _error_body(400, 'expected {"replies": [...]}'))
            return
        try:
            pending = self.server.state.script(replies)
        except ValueError as exc:
            self._send_json(400, _error_body(400, str(exc)))
            return
        self._send_json(200, {"queued": len(replies), "pending": pending})

    def _control_pending(self) -> None:
        replies = self.server.state.pending()
        self._send_json(200, {"pending": len(replies), "replies": replies})

    def _control_reset(self) -> None:
        self._discard_body()
        self.server.state.reset()
        self._send_json(200, {"reset": True})

    def _control_requests(self) -> None:
        self._send_json(200, self.server.state.requests())

    # -- chat completions --------------------------------------------------- #
    def _chat(self) -> None:
        raw = self._read_body()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = None
        headers: dict[str, Any] = {"authorization": bool(self.headers.get("Authorization"))}
        for name in LOGGED_HEADERS:
            if self.headers.get(name) is not None:
                headers[name] = self.headers.get(name)
        index = self.server.state.record({"path": self.path.split("?", 1)[0], "body": body, "headers": headers})

        if not isinstance(body, dict):
            self._send_json(400, _error_body(400, "We could not parse the JSON body of your request."))
            return
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self._send_json(400, _error_body(400, "'messages' must be a non-empty array."))
            return

        behaviour = self.server.state.next_behaviour()
        stream = body.get("stream") is True
        delay = behaviour.get("delay", 0) + (0 if stream else behaviour.get("first_token_delay", 0))
        if delay:
            time.sleep(delay)

        status = behaviour.get("status", 200)
        if status != 200:
            extra = {"x-request-id": f"req_fake_{index}"}
            if "retry_after" in behaviour:
                seconds = behaviour["retry_after"]
                extra["Retry-After"] = str(math.ceil(seconds))
                extra["retry-after-ms"] = str(int(round(seconds * 1000)))
            self._send_json(status, _error_body(status, behaviour.get("message")), extra)
            return

        model = body.get("model") if isinstance(body.get("model"), str) else MODEL_ID
        malformed_body = behaviour.get("malformed") in (True, "body")
        try:
            reply = plan_reply(body, behaviour, index)
        except SchemaError as exc:
            self._send_json(400, _error_body(400, f"cannot generate a reply for this schema: {exc}"))
            return
        if stream:
            self._stream(body, reply, behaviour, index, model, malformed_body)
        else:
            self._complete(body, reply, behaviour, index, model, malformed_body)

    def _usage(self, request: dict, reply: dict) -> dict:
        prompt = prompt_tokens(request.get("messages") or [])
        completion = count_tokens(reply["content"]) + sum(
            count_tokens(call["function"]["arguments"]) for call in reply["tool_calls"] or []
        )
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _complete(self, request: dict, reply: dict, behaviour: dict, index: int, model: str,
                  malformed_body: bool) -> None:
        headers = {"x-request-id": f"req_fake_{index}"}
        if malformed_body:
            body = b'{"id": "chatcmpl-fake-%d", "object": "chat.completion", "choices": [{"message": ' % index
            self._send_bytes(200, body, "application/json", headers)
            return
        message: dict[str, Any] = {"role": "assistant", "content": reply["content"], "refusal": None}
        if reply["tool_calls"]:
            message["tool_calls"] = reply["tool_calls"]
        completion = {
            "id": f"chatcmpl-fake-{index}",
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": reply["finish_reason"]}],
            "usage": self._usage(request, reply),
        }
        body = json.dumps(completion).encode()
        if "cut_after" in behaviour:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self._write(body[: len(body) // 2])
            self._drop_connection()
            return
        self._send_bytes(200, body, "application/json", headers)

    def _stream(self, request: dict, reply: dict, behaviour: dict, index: int, model: str,
                malformed_body: bool) -> None:
        options = request.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        chunk_delay = behaviour.get("chunk_delay", 0)

        def chunk(delta: dict, finish_reason: str | None = None) -> dict:
            event = {
                "id": f"chatcmpl-fake-{index}",
                "object": "chat.completion.chunk",
                "created": CREATED,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            }
            if include_usage:
                event["usage"] = None
            return event

        def send_raw(data: bytes) -> None:
            self._write(b"%X\r\n%s\r\n" % (len(data), data))

        def send_event(payload: Any) -> None:
            text = payload if isinstance(payload, str) else json.dumps(payload)
            send_raw(f"data: {text}\n\n".encode())

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", f"req_fake_{index}")
        self.end_headers()
        self.wfile.flush()

        if behaviour.get("first_token_delay"):
            time.sleep(behaviour["first_token_delay"])

        if malformed_body:
            send_event('{"id": "chatcmpl-fake-%d", "choices": [{"delta": ' % index)
            send_event("[DONE]")
            self._write(b"0\r\n\r\n")
            return

        calls = reply["tool_calls"] or []
        first: dict[str, Any] = {"role": "assistant", "content": "" if not calls else None, "refusal": None}
        deltas: list[dict] = [{"content": piece} for piece in _pieces(reply["content"])]
        for position, call in enumerate(calls):
            deltas.append({"tool_calls": [{
                "index": position, "id": call["id"], "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }]})
            deltas.extend(
                {"tool_calls": [{"index": position, "function": {"arguments": piece}}]}
                for piece in _pieces(call["function"]["arguments"])
            )

        cut_after = behaviour.get("cut_after")
        send_event(chunk(first))
        for sent, delta in enumerate(deltas):
            if cut_after is not None and sent >= cut_after:
                self._drop_connection()
                return
            if chunk_delay:
                time.sleep(chunk_delay)
            send_event(chunk(delta))
        if cut_after is not None:
            self._drop_connection()
            return
        send_event(chunk({}, reply["finish_reason"]))
        if include_usage:
            usage_chunk = chunk({})
            usage_chunk["choices"] = []
            usage_chunk["usage"] = self._usage(request, reply)
            send_event(usage_chunk)
        send_event("[DONE]")
        self._write(b"0\r\n\r\n")


class FakeOpenAIHTTPServer(ThreadingHTTPServer):
    """The fake server; ``state`` holds the scripted replies and the request log."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int] = (DEFAULT_HOST, 0), *, verbose: bool = False) -> None:
        self.state = FakeOpenAIState()
        self.verbose = verbose
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def root_url(self) -> str:
        return f"http://{self.server_address[0]}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + "/v1"

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, socket.timeout)):
            return
        super().handle_error(request, client_address)

    def stop(self) -> None:
        """Stop a server started with ``start_in_thread``."""
        self.shutdown()
        self.server_close()


def start_in_thread(host: str = DEFAULT_HOST, port: int = 0, *, verbose: bool = False
                    ) -> tuple[FakeOpenAIHTTPServer, str]:
    """Serve from a daemon thread; return ``(server, base_url)``. Call ``server.stop()`` when done."""
    server = FakeOpenAIHTTPServer((host, port), verbose=verbose)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="fake-openai-server", daemon=True)
    thread.start()
    return server, server.base_url


# --------------------------------------------------------------------------- #
# Process entry point
# --------------------------------------------------------------------------- #
def _watch_parent(parent_pid: int, server: FakeOpenAIHTTPServer) -> None:
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            server.shutdown()
            return
        except PermissionError:
            pass


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OpenAI-compatible fake server for tests.")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone (POSIX)")
    parser.add_argument("--verbose", action="store_true", help="log request lines to stderr")
    args = parser.parse_args(argv)

    server = FakeOpenAIHTTPServer((args.host, args.port), verbose=args.verbose)
    if args.port_file:
        partial = f"{args.port_file}.partial"
        with open(partial, "w", encoding="ascii") as handle:
            handle.write(str(server.port))
        os.replace(partial, args.port_file)
    print(f"READY {server.port}", flush=True)

    signal.signal(signal.SIGTERM, _exit_on_signal)
    if args.parent_pid and os.name == "posix":
        threading.Thread(target=_watch_parent, args=(args.parent_pid, server), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


# --------------------------------------------------------------------------- #
# Client helper: run the server as a subprocess
# --------------------------------------------------------------------------- #
class FakeServerError(RuntimeError):
    """The fake server could not start, or a control call failed."""


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class FakeOpenAIServer:
    """Run the fake server in a subprocess.

    ::

        with FakeOpenAIServer() as server:
            server.script({"content": "Hello"}, {"status": 429, "retry_after": 1})
            llm = ChatOpenAI(model="fake-model", base_url=server.base_url, api_key="k")
            ...
            server.requests()[-1]["body"]["messages"]

    ``start()`` / ``stop()`` can be used instead of ``with`` (e.g. from a fixture).
    """

    def __init__(self, *, host: str = DEFAULT_HOST, startup_timeout: float = 10.0,
                 stop_timeout: float = 3.0, verbose: bool = False, python: str | None = None) -> None:
        self.host = host
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.verbose = verbose
        self.python = python or sys.executable
        self.port: int | None = None
        self._proc: subprocess.Popen | None = None
        self._tmpdir: str | None = None
        self._stderr: Any = None

    # -- lifecycle ---------------------------------------------------------- #
    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def root_url(self) -> str:
        if self.port is None:
            raise FakeServerError("the fake OpenAI server is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """OpenAI base URL, e.g. ``http://127.0.0.1:PORT/v1``."""
        return self.root_url + "/v1"

    def start(self) -> "FakeOpenAIServer":
        if self._proc is not None:
            raise FakeServerError("the fake OpenAI server is already started")
        self._tmpdir = tempfile.mkdtemp(prefix="fake-openai-")
        port_file = os.path.join(self._tmpdir, "port")
        self._stderr = tempfile.TemporaryFile()
        command = [self.python, SCRIPT_PATH, "--host", self.host, "--port", "0",
                   "--port-file", port_file, "--parent-pid", str(os.getpid())]
        if self.verbose:
            command.append("--verbose")
        try:
            self._proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            self.port = self._wait_for_port(port_file, time.monotonic() + self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_port(self, port_file: str, deadline: float) -> int:
        assert self._proc is not None
        while True:
            code = self._proc.poll()
            if code is not None:
                raise FakeServerError(f"fake OpenAI server exited with code {code}: {self._stderr_tail()}")
            try:
                with open(port_file, encoding="ascii") as handle:
                    return int(handle.read().strip())
            except (FileNotFoundError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise FakeServerError(
                    f"fake OpenAI server not ready after {self.startup_timeout} s: {self._stderr_tail()}")
            time.sleep(0.02)

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            return self._stderr.read()[-2000:].decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        self.port = None

    def __enter__(self) -> "FakeOpenAIServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- control API -------------------------------------------------------- #
    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.root_url + path, data=data, method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        try:
            with _DIRECT.open(request, timeout=10) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise FakeServerError(f"{method} {path} failed with {exc.code}: {detail}") from None
        content = raw.decode("utf-8")
        try:
            return json.loads(content)
        except ValueError:
            return content

    def script(self, *replies: dict) -> int:
        """Queue behaviours (one per chat request, in order); return how many are pending."""
        if len(replies) == 1 and isinstance(replies[0], (list, tuple)):
            replies = tuple(replies[0])
        return self._call("POST", "/_control/script", {"replies": list(replies)})["pending"]

    def pending(self) -> list[dict]:
        """Scripted behaviours not consumed yet."""
        return self._call("GET", "/_control/script")["replies"]

    def reset(self) -> None:
        """Clear the scripted queue and the request log."""
        self._call("POST", "/_control/reset", {})

    def requests(self) -> list[dict]:
        """Every chat request received: ``{"index", "path", "body", "headers"}``."""
        return self._call("GET", "/_control/requests")

    def health(self) -> bool:
        try:
            return self._call("GET", "/health") == "ok"
        except (OSError, FakeServerError):
            return False


if __name__ == "__main__":
    sys.exit(main())
