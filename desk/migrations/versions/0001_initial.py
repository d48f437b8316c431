"""Initial desk schema: audit log, ticket state, sent replies, working drafts, assist cache.

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.String(255)
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the five desk tables."""
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", _ID, nullable=False),
        sa.Column("agent", _ID, nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("model", _ID, nullable=False),
        sa.Column("suggested", sa.Text, nullable=False),
        sa.Column("sent", sa.Text, nullable=False),
        sa.Column("tone", sa.String(64), nullable=False),
        sa.Column("edit_distance", sa.Float, nullable=False),
        sa.Column("similarity", sa.Float, nullable=False),
        sa.Column("citations", sa.Text, nullable=False),
        sa.Column("flags", sa.Text, nullable=False),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("prompt_versions", sa.Text, nullable=False),
        sa.Column("suggested_at", _WHEN, nullable=True),
        sa.Column("sent_at", _WHEN, nullable=False),
    )
    op.create_index("ix_audit_events_ticket_id", "audit_events", ["ticket_id"])
    op.create_index("ix_audit_events_sent_at", "audit_events", ["sent_at"])
    op.create_table(
        "ticket_state",
        sa.Column("ticket_id", _ID, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    op.create_table(
        "sent_replies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", _ID, nullable=False),
        sa.Column("agent", _ID, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sent_at", _WHEN, nullable=False),
    )
    op.create_index("ix_sent_replies_ticket_id", "sent_replies", ["ticket_id"])
    op.create_table(
        "working_drafts",
        sa.Column("ticket_id", _ID, primary_key=True),
        sa.Column("agent", _ID, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    op.create_table(
        "assist_cache",
        sa.Column("key", _ID, primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
    )


def downgrade() -> None:
    """Drop the desk tables."""
    for table in ("assist_cache", "working_drafts", "sent_replies", "ticket_state", "audit_events"):
        op.drop_table(table)
