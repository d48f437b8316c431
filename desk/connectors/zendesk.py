"""Zendesk: pull new and updated tickets with the incremental cursor export, read their comments, and post a sent
reply back as a public comment.

Endpoints used (Zendesk Support API v2): GET /api/v2/incremental/tickets/cursor.json (start_time / cursor,
include=users), GET /api/v2/tickets/{id}/comments.json (paged by next_page), PUT /api/v2/tickets/{id}.json with
{"ticket": {"comment": {"body", "public": true}}}. Authentication is an API token: `{email}/token` and the token.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx

from core.types import Ticket
from desk.connectors.base import ConnectorError, PullBatch
from desk.send import SendError

SOURCE = "zendesk"
TICKET_PREFIX = "ZD-"  # the product's id of Zendesk ticket 123 is ZD-123
MAX_COMMENT_PAGES = 50


class ZendeskClient:
    """A small client for the three endpoints above; errors become ConnectorError with the status, never the token."""

    def __init__(self, url: str, email: str, token: str, timeout: float = 15.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the Zendesk URL must look like https://yourcompany.zendesk.com")
        self._base = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        self._client = httpx.Client(base_url=self._base, auth=httpx.BasicAuth(f"{email}/token", token),
                                    timeout=timeout, follow_redirects=False,
                                    headers={"Accept": "application/json"})

    def __repr__(self) -> str:
        return f"ZendeskClient(url={self._base!r})"

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, params: dict | None = None) -> dict:
        return self._json(self._call("GET", path, params=params))

    def put(self, path: str, body: dict, headers: dict | None = None) -> dict:
        return self._json(self._call("PUT", path, json=body, headers=headers))

    def _call(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise ConnectorError(f"Zendesk ({self._base}) did not answer in time") from None
        except httpx.HTTPError as exc:
            raise ConnectorError(f"Zendesk ({self._base}) could not be reached: {type(exc).__name__}") from None
        if response.status_code == 429:
            raise ConnectorError("Zendesk asked to slow down (HTTP 429)", retry_after=_seconds(response))
        if not response.is_success:
            raise ConnectorError(f"Zendesk answered HTTP {response.status_code} for {method} {path}")
        return response

    def _json(self, response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            raise ConnectorError(f"Zendesk sent a reply that is not JSON ({response.request.url.path})") from None
        if not isinstance(body, dict):
            raise ConnectorError("Zendesk sent JSON that is not an object")
        return body


def _seconds(response: httpx.Response) -> float | None:
    try:
        return max(1.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


class ZendeskConnector:
    """Pulls changed tickets (with their requesters and comments) as a Zendesk bundle, one page per call."""

    source = SOURCE

    def __init__(self, client: ZendeskClient, start_time: int = 0) -> None:
        self._client = client
        self._start_time = start_time

    def pull(self, cursor: str) -> PullBatch:
        params = {"cursor": cursor} if cursor else {"start_time": self._start_time}
        page = self._client.get("/api/v2/incremental/tickets/cursor.json", {**params, "include": "users"})
        tickets = [t for t in page.get("tickets") or [] if isinstance(t, dict) and "id" in t]
        comments = {str(t["id"]): self._comments(t["id"]) for t in tickets}
        bundle = {"tickets": tickets, "users": page.get("users") or [], "comments": comments}
        next_cursor = str(page.get("after_cursor") or cursor)
        return PullBatch(bundle=bundle, cursor=next_cursor, done=bool(page.get("end_of_stream", True)))

    def _comments(self, ticket_id) -> list[dict]:
        found, path, params = [], f"/api/v2/tickets/{ticket_id}/comments.json", None
        for _ in range(MAX_COMMENT_PAGES):
            page = self._client.get(path, params)
            found.extend(c for c in page.get("comments") or [] if isinstance(c, dict))
            following = page.get("next_page")
            if not following:
                break
            parts = urlsplit(following)
            path, params = parts.path, dict(parse_qsl(parts.query))
        return found


class ZendeskSender:
    """Delivers a sent reply as a public comment on its Zendesk ticket (tickets imported from Zendesk only)."""

    def __init__(self, client: ZendeskClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"ZendeskSender({self._client!r})"

    def send(self, ticket: Ticket, text: str, agent: str, idempotency_key: str) -> None:
        if not ticket.id.startswith(TICKET_PREFIX):
            raise SendError(f"ticket {ticket.id} did not come from Zendesk, so it cannot be answered there")
        body = {"ticket": {"comment": {"body": text, "public": True}}}
        try:
            self._client.put(f"/api/v2/tickets/{ticket.id[len(TICKET_PREFIX):]}.json", body,
                             headers={"Idempotency-Key": idempotency_key})
        except ConnectorError as exc:
            raise SendError(str(exc)) from None
