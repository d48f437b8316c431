"""Lead reports: what the assistant read and how long the reply took on each audit event, the agent's
timings in the working state, feedback with a reason per user and suggestion, imported baseline handle times.

Existing audit events get `used_suggestion` and `unedited` from their flags (their text may be sealed).

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ID = sa.String(255)
_WHEN = sa.DateTime(timezone=True)
_AUDIT_COLUMNS = (
    ("feedback_reason", sa.String(32), "''"), ("intent", sa.String(64), "''"), ("language", sa.String(16), "''"),
    ("abstained", sa.Boolean, sa.false()), ("question", sa.Text, "''"), ("cost_usd", sa.Float, "0"),
    ("used_suggestion", sa.Boolean, sa.true()), ("unedited", sa.Boolean, sa.false()),
)

# The lead report reads only these columns of every reply in a window: an index holding all of them lets the
# database answer from the index alone, without reading the rows' long texts.
REPORT_COLUMNS = ("sent_at", "agent", "intent", "engine", "prompt_versions", "used_suggestion", "unedited",
                  "edit_distance", "handle_seconds", "cost_usd", "rating", "feedback_reason")


def upgrade() -> None:
    """Add the report columns, fill the two derived ones, create feedback and baseline tables."""
    with op.batch_alter_table("audit_events") as batch:
        for name, kind, default in _AUDIT_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
        for name in ("opened_at", "first_typed_at"):
            batch.add_column(sa.Column(name, _WHEN, nullable=True))
        batch.add_column(sa.Column("handle_seconds", sa.Float, nullable=True))
        batch.create_index("ix_audit_events_agent", ["agent"])
        batch.create_index("ix_audit_events_intent", ["intent"])
        batch.create_index("ix_audit_events_report", list(REPORT_COLUMNS))
    op.execute("UPDATE audit_events SET used_suggestion = false WHERE flags LIKE '%\"written_without_suggestion\"%'")
    op.execute("UPDATE audit_events SET unedited = true WHERE flags LIKE '%\"unedited\"%'")
    with op.batch_alter_table("working_state") as batch:
        batch.add_column(sa.Column("opened_at", _WHEN, nullable=True))
        batch.add_column(sa.Column("first_typed_at", _WHEN, nullable=True))
    _create_feedback()
    _create_baseline()


def downgrade() -> None:
    """Drop what this revision added."""
    op.drop_table("baseline_handle_times")
    op.drop_table("feedback")
    with op.batch_alter_table("working_state") as batch:
        batch.drop_column("first_typed_at")
        batch.drop_column("opened_at")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_report")
        batch.drop_index("ix_audit_events_intent")
        batch.drop_index("ix_audit_events_agent")
        for name in ("handle_seconds", "first_typed_at", "opened_at", *(c[0] for c in reversed(_AUDIT_COLUMNS))):
            batch.drop_column(name)


def _create_feedback() -> None:
    """One row per user and suggestion: a rating, a reason and a comment; a change updates the row."""
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("suggestion_key", sa.String(64), nullable=False),
        sa.Column("user", _ID, nullable=False),
        sa.Column("ticket_id", _ID, nullable=False, index=True),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False, server_default="''"),
        sa.Column("comment", sa.Text, nullable=False, server_default="''"),
        sa.Column("suggested", sa.Text, nullable=False, server_default="''"),
        sa.Column("engine", sa.String(16), nullable=False, server_default="''"),
        sa.Column("model", _ID, nullable=False, server_default="''"),
        sa.Column("tone", sa.String(64), nullable=False, server_default="''"),
        sa.Column("intent", sa.String(64), nullable=False, server_default="''"),
        sa.Column("prompt_versions", sa.Text, nullable=False, server_default="'{}'"),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False, index=True),
        sa.UniqueConstraint("suggestion_key", "user", name="uq_feedback_suggestion_user"),
        sa.CheckConstraint("rating IN (-1, 1)", name="ck_feedback_rating"),
    )


def _create_baseline() -> None:
    """Handle times from before the assistant (imported from the helpdesk), for the ROI baseline."""
    op.create_table(
        "baseline_handle_times",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("replied_at", _WHEN, nullable=False, index=True),
        sa.Column("handle_seconds", sa.Float, nullable=False),
        sa.Column("agent", _ID, nullable=False, server_default="''"),
        sa.Column("intent", sa.String(64), nullable=False, server_default="''"),
        sa.Column("source", _ID, nullable=False, server_default="''"),
    )
