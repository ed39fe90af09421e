"""minutes: the meeting's paperwork (issue 13)

- `minutes`: one row per meeting, the answers of the minutes as the secretary gives them (chair,
  minute-taker, guests, agenda items with speeches and conclusions, the vote, the closing time),
  the step to ask next, and when the papers were first produced. What the bot knows of the
  meeting (time, place, roll call) is not copied: it is read when the papers are drawn.
- `resolution`: one row per meeting, the month's resolution: the past month's results (drafted by
  the bot, kept as the secretary left them), the tasks with the member in charge and the date.
- `meeting_document`: the documents attached to a meeting (a link, or a path on the console's
  machine) and their size; the message carrying them is an outbox notice.

Carried forward: nothing (no minutes were kept in chibo before).

Revision ID: 0012_minutes
Revises: 0011_candidates
Create Date: 2026-11-30 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0012_minutes"
down_revision: str | Sequence[str] | None = "0011_candidates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "minutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("recorder_id", sa.Integer(), nullable=True),
        sa.Column("guests", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("agenda", sa.JSON(), nullable=False),
        sa.Column("votes_for", sa.Integer(), nullable=True),
        sa.Column("votes_against", sa.Integer(), nullable=True),
        sa.Column("votes_abstain", sa.Integer(), nullable=True),
        sa.Column("closed_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("finished_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["cell_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["chair_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["recorder_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id"),
    )
    op.create_index(op.f("ix_minutes_cell_id"), "minutes", ["cell_id"], unique=False)
    op.create_table(
        "resolution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("results", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("tasks", sa.JSON(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("finished_at", storage.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["cell_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id"),
    )
    op.create_index(op.f("ix_resolution_cell_id"), "resolution", ["cell_id"], unique=False)
    op.create_table(
        "meeting_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["added_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_meeting_document_meeting_id"), "meeting_document", ["meeting_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_meeting_document_meeting_id"), table_name="meeting_document")
    op.drop_table("meeting_document")
    op.drop_index(op.f("ix_resolution_cell_id"), table_name="resolution")
    op.drop_table("resolution")
    op.drop_index(op.f("ix_minutes_cell_id"), table_name="minutes")
    op.drop_table("minutes")
