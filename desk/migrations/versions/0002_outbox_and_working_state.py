"""Outbox for exactly-once sends; working state (text, chosen suggestion, rating, key) replaces working drafts.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.String(255)
_WHEN = sa.DateTime(timezone=True)
_KEY = sa.String(64)


def upgrade() -> None:
    """Create the outbox and working_state tables and move each working draft's text over."""
    _create_outbox()
    _create_working_state()
    op.execute(
        "INSERT INTO working_state (ticket_id, agent, text, updated_at) "
        "SELECT ticket_id, agent, text, updated_at FROM working_drafts"
    )
    op.drop_table("working_drafts")


def downgrade() -> None:
    """Bring back text-only working drafts (suggestion, rating and key are lost) and drop the outbox."""
    op.create_table(
        "working_drafts",
        sa.Column("ticket_id", _ID, primary_key=True),
        sa.Column("agent", _ID, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    op.execute(
        "INSERT INTO working_drafts (ticket_id, agent, text, updated_at) "
        "SELECT ticket_id, agent, text, updated_at FROM working_state"
    )
    op.drop_table("working_state")
    op.drop_table("outbox")


def _create_outbox() -> None:
    """One row per composed reply, unique by its idempotency key."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", _KEY, nullable=False),
        sa.Column("ticket_id", _ID, nullable=False),
        sa.Column("agent", _ID, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("channel", _ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("delivered_at", _WHEN, nullable=True),
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("audit_events.id"), nullable=True),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'delivered', 'failed')", name="ck_outbox_status"
        ),
    )
    op.create_index("ix_outbox_ticket_id", "outbox", ["ticket_id"])
    op.create_index("ix_outbox_status", "outbox", ["status"])
    op.create_index("ix_outbox_audit_id", "outbox", ["audit_id"])


def _create_working_state() -> None:
    """What each agent is composing on each ticket."""
    op.create_table(
        "working_state",
        sa.Column("ticket_id", _ID, primary_key=True),
        sa.Column("agent", _ID, primary_key=True),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("suggestion", sa.Text, nullable=True),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("idempotency_key", _KEY, nullable=True),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.CheckConstraint("rating IN (-1, 1)", name="ck_working_state_rating"),
    )
