"""workers: inbox rows claimed by a worker with a lease, kept per chat; conversations kept per chat

- `inbox.chat_key`: the platform and chat an update belongs to. Only the oldest waiting update of
  a chat may be claimed, so one person's messages are handled in order across every process.
- `inbox.claimed_by`, `inbox.claimed_until`: which worker holds the update, until when; any live
  worker takes over an update whose claim expired (its worker died).
- `inbox.attempts`: how often handling it met a transient database fault.
- `conversation.chat_id`: the chat a conversation started in; it continues only there.

Carried forward: rows left in the inbox get an empty chat key (handled one at a time, oldest
first, as before); conversations in progress get no chat and continue in the private chat only.

Revision ID: 0008_workers
Revises: 0007_membership
Create Date: 2026-11-29 21:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008_workers"
down_revision: str | Sequence[str] | None = "0007_membership"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_key", sa.String(length=160), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", storage.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_inbox_chat", "inbox", ["chat_key", "id"])
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_column("chat_id")
    op.drop_index("ix_inbox_chat", table_name="inbox")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("chat_key")
