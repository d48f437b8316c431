"""Send latency: `desk.send.send_reply` with RecordSender on a real SQLite store, per reply size.

Each reply differs from its suggestion by a few edits (greeting changed, a sentence added, the closing
rewritten), as an agent's edit would. The 5,000-character case must stay under TARGET_MS at p95 so
Send never blocks the agent; the text metrics are also timed alone on that pair.
"""
from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

from core.types import Message, SuggestionRecord, Ticket
from desk.send import RecordSender, send_reply
from desk.store import DeskStore, open_store
from desk.text_metrics import normalized_edit_distance, similarity
from evals.bench_common import summary_ms, timed

SIZES = (1500, 2400, 5000)
TARGET_MS = 50
TARGET_SIZE = 5000
AGENT = "bench-agent"
REPLY_SENTENCES = (
    "Thank you for your patience while we looked into your order.",
    "Your refund for order #48213 was issued today to the card you paid with.",
    "Banks usually show the credit within three to five business days.",
    "If you paid with a gift card, the balance is restored to the same card right away.",
    "You can follow every step on the Orders page under Refunds.",
    "If anything still looks wrong after five days, reply to this message and we will check with billing.",
)


def suggestion_text(size: int) -> str:
    """A support reply of exactly `size` characters, opening with a greeting."""
    body = " ".join(REPLY_SENTENCES)
    text = "Hi there, " + " ".join([body] * (size // len(body) + 1))
    return text[:size]


def edited_reply(suggested: str) -> str:
    """The suggestion after a few agent edits: greeting changed, a sentence added, the closing cut."""
    middle = len(suggested) // 2
    text = suggested.replace("Hi there", "Hello Minji", 1)
    text = text[:middle] + " I have also asked billing to confirm the date." + text[middle:]
    return text[:-40] + " Kind regards, Alex"


def suggestion_record(suggested: str) -> SuggestionRecord:
    """The record the workspace builds for a chosen draft (see assist_ui/screens/workspace.py)."""
    return SuggestionRecord(
        engine="offline", model="offline-grounded", suggested=suggested, tone="warm",
        citations=["refunds#1", "refunds#3"], flags=[], prompt_versions={"draft": "draft@bench"},
        suggested_at=datetime.now(timezone.utc), rating=1,
    )


def bench_ticket(ticket_id: str) -> Ticket:
    """A one-message ticket to reply to."""
    message = Message(role="customer", author="Minji Park", text="Where is my refund?")
    return Ticket(id=ticket_id, subject="Refund not received", channel="email", messages=[message])


def time_sends(store: DeskStore, size: int, repeats: int) -> list[float]:
    """Seconds of `send_reply` for `repeats` replies of one size, each on a fresh ticket."""
    suggested = suggestion_text(size)
    sent, record = edited_reply(suggested), suggestion_record(suggested)
    seconds = []
    for n in range(repeats):
        ticket = bench_ticket(f"BENCH-{size}-{n}")
        store.save_working_draft(ticket.id, AGENT, sent)  # the UI saves the draft as the agent types
        outcome, elapsed = timed(send_reply, ticket, sent, AGENT, record, RecordSender(), store)
        if not outcome.ok or outcome.error:
            raise RuntimeError(f"send_reply failed on a {size}-character reply: {outcome.error}")
        seconds.append(elapsed)
    return seconds


def size_report(store: DeskStore, size: int, repeats: int) -> dict:
    """Latency of one reply size, with the lengths and metrics of the pair it sends."""
    suggested = suggestion_text(size)
    sent = edited_reply(suggested)
    return {
        "suggested_chars": len(suggested), "sent_chars": len(sent),
        "edit_distance": round(normalized_edit_distance(suggested, sent), 4),
        "similarity": round(similarity(suggested, sent), 4),
        **summary_ms(time_sends(store, size, repeats)),
    }


def time_text_metrics(size: int, repeats: int) -> dict:
    """`normalized_edit_distance` + `similarity` alone on one pair, in milliseconds."""
    suggested = suggestion_text(size)
    sent = edited_reply(suggested)
    seconds = [timed(lambda: (normalized_edit_distance(suggested, sent), similarity(suggested, sent)))[1]
               for _ in range(repeats)]
    return {"chars": size, **summary_ms(seconds)}


def run_send(repeats: int = 20) -> dict:
    """p50/p95/max ms of Send per reply size, the text metrics alone, and whether p95 meets the target."""
    with tempfile.TemporaryDirectory(prefix="bench-send-") as tmp:
        with open_store(f"sqlite:///{Path(tmp)}/desk.db") as store:
            time_sends(store, SIZES[0], 1)  # warm-up: first connection and statement compilation
            sizes = {str(size): size_report(store, size, repeats) for size in SIZES}
    return {
        "store": "sqlite (temporary folder)", "sender": "RecordSender", "repeats": repeats,
        "sizes": sizes,
        "text_metrics_only": time_text_metrics(TARGET_SIZE, repeats),
        "target_ms": TARGET_MS,
        "met": sizes[str(TARGET_SIZE)]["p95"] < TARGET_MS,
    }
