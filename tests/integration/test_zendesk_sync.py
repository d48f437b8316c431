"""The Zendesk connector against a local fake of the Zendesk API: incremental pulls resume from the saved cursor,
comments are read across pages, failures back off, and a sent reply is posted back as a public comment."""
from __future__ import annotations

import threading

import pytest

from core.types import Ticket
from desk.connectors.base import ConnectorError, saved_cursor, sync_loop, sync_once
from desk.connectors.zendesk import ZendeskClient, ZendeskConnector, ZendeskSender
from desk.send import SendError
from desk.store import open_store
from tests.fakes.zendesk import EMAIL, TOKEN, FakeZendesk


def zendesk_ticket(n: int, subject: str) -> dict:
    return {"id": n, "subject": subject, "status": "open", "requester_id": 100 + n,
            "created_at": "2026-11-20T09:00:00Z", "updated_at": "2026-11-20T09:30:00Z"}


def comments(n: int, count: int) -> list[dict]:
    return [{"id": n * 10 + i, "author_id": 100 + n, "body": f"Message {i} on {n}", "public": True,
             "created_at": f"2026-11-20T09:{i:02d}:00Z"} for i in range(count)]


@pytest.fixture
def fake():
    with FakeZendesk() as server:
        for n, subject in ((1, "Refund not received"), (2, "배송 지연"), (3, "Wrong size")):
            server.users.append({"id": 100 + n, "name": f"Customer {n}", "email": f"c{n}@example.com",
                                 "role": "end-user"})
            server.add_ticket(zendesk_ticket(n, subject), comments(n, 3))
        yield server


@pytest.fixture
def store(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'desk.db'}") as opened:
        yield opened


def connector(fake: FakeZendesk, token: str = TOKEN) -> ZendeskConnector:
    return ZendeskConnector(ZendeskClient(fake.url, EMAIL, token))


def recording_upsert(seen: list[dict]):
    def upsert(bundle: dict) -> dict:
        seen.append(bundle)
        return {"tickets": len(bundle["tickets"])}
    return upsert


def test_zendesk_sync_pulls_every_page_with_comments_and_resumes_from_the_cursor(fake, store):
    seen: list[dict] = []
    result = sync_once(store, connector(fake), recording_upsert(seen))

    assert result.batches == 2 and result.counts == {"tickets": 3}
    assert [t["id"] for b in seen for t in b["tickets"]] == [1, 2, 3]
    assert [len(b["comments"][str(t["id"])]) for b in seen for t in b["tickets"]] == [3, 3, 3], "all comment pages"
    assert {u["id"] for b in seen for u in b["users"]} == {101, 102, 103}
    assert saved_cursor(store, "zendesk") == "3"

    fake.add_ticket(zendesk_ticket(1, "Refund not received (updated)"), comments(1, 4))
    again: list[dict] = []
    sync_once(store, connector(fake), recording_upsert(again))
    assert [t["subject"] for b in again for t in b["tickets"]] == ["Refund not received (updated)"]


def test_zendesk_errors_say_why_without_the_token(fake, store):
    with pytest.raises(ConnectorError) as refused:
        sync_once(store, connector(fake, token="wrong"), recording_upsert([]))
    assert "HTTP 401" in str(refused.value) and "wrong" not in str(refused.value)

    fake.fail_next = [429]
    with pytest.raises(ConnectorError) as slowed:
        sync_once(store, connector(fake), recording_upsert([]))
    assert slowed.value.retry_after == 7.0
    assert saved_cursor(store, "zendesk") == "", "nothing was imported, so the cursor did not move"


def test_zendesk_sync_loop_backs_off_after_failures_and_recovers(fake, store):
    fake.fail_next = [500, 500]
    waits, stop, seen = [], threading.Event(), []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            stop.set()

    sync_loop(store, connector(fake), recording_upsert(seen), interval=60, first_retry=5, stop=stop, sleep=sleep,
              report=lambda line: None)

    assert waits == [5, 10, 60]
    assert [t["id"] for b in seen for t in b["tickets"]] == [1, 2, 3]


def test_zendesk_sender_posts_the_reply_as_a_public_comment(fake):
    ticket = Ticket.model_validate({"id": "ZD-2", "subject": "배송 지연", "channel": "email",
                                    "customer": {"name": "Customer 2"},
                                    "messages": [{"role": "customer", "author": "Customer 2", "text": "언제 와요?"}]})
    ZendeskSender(ZendeskClient(fake.url, EMAIL, TOKEN)).send(ticket, "오늘 출고됩니다.", "alex", "key-1")

    posted = fake.comments[2][-1]
    assert posted["body"] == "오늘 출고됩니다." and posted["public"] is True
    method, path, headers = fake.requests[-1]
    assert (method, path, headers.get("Idempotency-Key")) == ("PUT", "/api/v2/tickets/2.json", "key-1")


def test_zendesk_sender_refuses_a_ticket_from_elsewhere(fake):
    ticket = Ticket.model_validate({"id": "T-1001", "subject": "s", "channel": "email", "customer": {"name": "A"},
                                    "messages": [{"role": "customer", "author": "A", "text": "hi"}]})
    with pytest.raises(SendError, match="did not come from Zendesk"):
        ZendeskSender(ZendeskClient(fake.url, EMAIL, TOKEN)).send(ticket, "x", "alex", "k")
