"""Tickets live in the database: tickets and their messages (upserted by source and external id), each user's
interface language, who has a ticket open right now, the team's macros, and where each helpdesk sync stopped.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.String(255)
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create tickets, ticket_messages, user_preferences and ticket_presence."""
    op.create_table(
        "tickets",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("external_id", _ID, nullable=False),
        sa.Column("subject", sa.Text, nullable=False, server_default="''"),
        sa.Column("channel", sa.String(64), nullable=False, server_default="'email'"),
        sa.Column("customer_name", sa.Text, nullable=False, server_default="''"),
        sa.Column("customer_email", sa.Text, nullable=False, server_default="''"),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="'open'"),
        sa.Column("assignee", _ID, nullable=True, index=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False, index=True),
        sa.UniqueConstraint("source", "external_id", name="uq_tickets_source_external_id"),
        sa.CheckConstraint("status IN ('open', 'pending', 'solved')", name="ck_tickets_status"),
    )
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", _ID, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("external_id", _ID, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("author", sa.Text, nullable=False, server_default="''"),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", _WHEN, nullable=True),
        sa.UniqueConstraint("ticket_id", "external_id", name="uq_ticket_messages_external_id"),
        sa.CheckConstraint("role IN ('customer', 'agent', 'note')", name="ck_ticket_messages_role"),
    )
    op.create_table(
        "user_preferences",
        sa.Column("user", _ID, primary_key=True),
        sa.Column("ui_language", sa.String(8), nullable=True),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    op.create_table(
        "macros",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("intent", sa.String(64), nullable=False, server_default="''"),
        sa.Column("language", sa.String(16), nullable=False, server_default="''"),
        sa.Column("created_by", _ID, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    op.create_table(
        "sync_state",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.Text, nullable=False, server_default="''"),
        sa.Column("updated_at", _WHEN, nullable=False),
    )
    op.create_table(
        "ticket_presence",
        sa.Column("ticket_id", _ID, primary_key=True),
        sa.Column("user", _ID, primary_key=True),
        sa.Column("seen_at", _WHEN, nullable=False, index=True),
    )


def downgrade() -> None:
    """Drop what this revision added."""
    for table in ("ticket_presence", "sync_state", "macros", "user_preferences", "ticket_messages", "tickets"):
        op.drop_table(table)
