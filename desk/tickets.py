"""Ticket threads: a ticket with the replies sent from the desk appended."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from core.settings import DEMO_TICKETS
from core.types import Message, Ticket


class SentReplies(Protocol):
    """Anything that can list the replies sent on a ticket (the desk store does)."""

    def sent_replies(self, ticket_id: str) -> list[Message]:
        """Replies sent on a ticket, oldest first."""


def demo_tickets_dir() -> Path:
    """The folder of demo tickets shipped with the product."""
    return DEMO_TICKETS


def thread(ticket: Ticket, store: SentReplies) -> Ticket:
    """A copy of the ticket with the replies sent from the desk appended in time order."""
    replies = store.sent_replies(ticket.id)
    if not replies:
        return ticket.model_copy(deep=True)
    return ticket.model_copy(update={"messages": [*ticket.messages, *replies]}, deep=True)
