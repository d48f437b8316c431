"""The assist cache keeps only encrypted results: entries written in clear before are dropped.

Cached results hold the customer's restored details (card numbers, order ids); they are only an
optimisation, so the next view recomputes them and stores them encrypted (or not at all without
ASSIST_ENCRYPTION_KEY).

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Forget every cached assist result written before encryption."""
    op.execute("DELETE FROM assist_cache")


def downgrade() -> None:
    """Nothing to bring back: the cache refills itself."""
