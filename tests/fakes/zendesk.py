"""A local fake of the Zendesk Support API on 127.0.0.1: the incremental cursor export (with users), ticket
comments (two per page), and PUT of a ticket with a comment, which it appends; it checks the API-token
authentication and can answer 429 or 500 on demand."""
from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

EMAIL, TOKEN = "lead@example.com", "zd-secret-token"
PAGE_SIZE = 2


class FakeZendesk:
    """Tickets, users and comments in memory; `fail_next` queues status codes to answer before the real one."""

    def __init__(self) -> None:
        self.tickets: list[dict] = []  # every update appended, as the incremental export sees them
        self.users: list[dict] = []
        self.comments: dict[int, list[dict]] = {}
        self.fail_next: list[int] = []
        self.requests: list[tuple[str, str, dict]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeZendesk:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_ticket(self, ticket: dict, comments: list[dict]) -> None:
        """Add a ticket, or an update of one, with its comments; the export cursor counts updates."""
        self.tickets.append(ticket)
        self.comments[ticket["id"]] = comments

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self._answer("GET")

            def do_PUT(self) -> None:
                self._answer("PUT")

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                fake.requests.append((method, self.path, dict(self.headers)))
                expected = "Basic " + base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self._send(401, {"error": "Couldn't authenticate you"})
                if fake.fail_next:
                    status = fake.fail_next.pop(0)
                    return self._send(status, {"error": "try later"}, {"Retry-After": "7"} if status == 429 else {})
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if method == "GET" and parts.path == "/api/v2/incremental/tickets/cursor.json":
                    return self._send(200, fake.export_page(query))
                if method == "GET" and parts.path.endswith("/comments.json"):
                    return self._send(200, fake.comment_page(int(parts.path.split("/")[4]), int(query.get("page", 1))))
                if method == "PUT" and parts.path.startswith("/api/v2/tickets/"):
                    return self._send(200, fake.add_comment(int(parts.path.split("/")[4].split(".")[0]), body))
                return self._send(404, {"error": "InvalidEndpoint"})

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def export_page(self, query: dict) -> dict:
        start = int(query.get("cursor", "0") or 0)
        page = self.tickets[start:start + PAGE_SIZE]
        ids = {t.get("requester_id") for t in page} | {c.get("author_id") for t in page
                                                        for c in self.comments.get(t["id"], [])}
        end = start + len(page)
        return {"tickets": page, "users": [u for u in self.users if u["id"] in ids],
                "after_cursor": str(end), "end_of_stream": end >= len(self.tickets)}

    def comment_page(self, ticket_id: int, page: int) -> dict:
        comments = self.comments.get(ticket_id, [])
        chunk = comments[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
        more = page * PAGE_SIZE < len(comments)
        following = f"{self.url}/api/v2/tickets/{ticket_id}/comments.json?page={page + 1}" if more else None
        return {"comments": chunk, "next_page": following}

    def add_comment(self, ticket_id: int, body: dict) -> dict:
        comment = body["ticket"]["comment"]
        stored = {"id": 90_000 + sum(len(c) for c in self.comments.values()), "author_id": 1,
                  "body": comment["body"], "public": comment.get("public", True), "created_at": "2026-12-01T10:00:00Z"}
        self.comments.setdefault(ticket_id, []).append(stored)
        return {"ticket": {"id": ticket_id}, "audit": {"events": [{"type": "Comment", **stored}]}}
