"""merge the meetings and webhooks branches into one head

Revision ID: 0004_merge
Revises: 0003_meetings, 0003_webhooks
Create Date: 2026-11-22 15:15:00
"""
from collections.abc import Sequence

revision: str = "0004_merge"
down_revision: str | Sequence[str] | None = ("0003_meetings", "0003_webhooks")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the two branches touch different tables."""


def downgrade() -> None:
    """Nothing to change."""
