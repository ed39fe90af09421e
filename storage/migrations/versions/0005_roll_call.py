"""roll call and local meeting numbers: a meeting without a roll call has no attendance

- `meeting.roll_call_at`: when the roll call was taken. Carried forward: an ended meeting with
  at least one "present" row had one (at its end, or its start); an ended meeting without any
  had none, and the statuses its end wrote ("everyone absent") are cleared. A meeting under
  way with a check-in has one since its first check-in.
- `meeting.number`: the cell's own number (1, 2, 3…) that people see and type, unique per cell;
  existing meetings numbered per cell in the order they were stored (by id).

Revision ID: 0005_roll_call
Revises: 0004_merge
Create Date: 2026-11-25 11:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005_roll_call"
down_revision: str | Sequence[str] | None = "0004_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PRESENT = "EXISTS (SELECT 1 FROM attendance WHERE attendance.meeting_id = meeting.id AND attendance.status = 'present')"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    # SQLite cannot make a column required without rebuilding the table, and dropping `meeting` to
    # rebuild it breaks the foreign keys of its attendance and outbox rows: there the column is
    # added required at once, with a default the numbering below replaces (the ORM always sets it).
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=not _sqlite(),
                                      server_default="0" if _sqlite() else None))
        batch_op.add_column(sa.Column("roll_call_at", storage.types.UtcDateTime(timezone=True), nullable=True))
    # A correlated count works the same on SQLite and PostgreSQL.
    op.execute("UPDATE meeting SET number = (SELECT count(*) FROM meeting AS earlier "
               "WHERE earlier.cell_id = meeting.cell_id AND earlier.id <= meeting.id)")
    op.execute(f"UPDATE meeting SET roll_call_at = COALESCE(ended_at, starts_at) WHERE status = 'ended' AND {_PRESENT}")
    op.execute("UPDATE meeting SET roll_call_at = COALESCE((SELECT min(attendance.checked_in_at) FROM attendance "
               "WHERE attendance.meeting_id = meeting.id AND attendance.status = 'present'), starts_at) "
               f"WHERE status = 'scheduled' AND {_PRESENT}")
    op.execute("UPDATE attendance SET status = NULL WHERE status IS NOT NULL AND meeting_id IN "
               "(SELECT id FROM meeting WHERE roll_call_at IS NULL)")
    if not _sqlite():
        op.alter_column("meeting", "number", existing_type=sa.Integer(), nullable=False)
    op.create_index("ux_meeting_cell_number", "meeting", ["cell_id", "number"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_meeting_cell_number", table_name="meeting")
    if _sqlite():  # SQLite ≥ 3.35 drops a column in place (no rebuild: see upgrade)
        op.execute("ALTER TABLE meeting DROP COLUMN roll_call_at")
        op.execute("ALTER TABLE meeting DROP COLUMN number")
        return
    op.drop_column("meeting", "roll_call_at")
    op.drop_column("meeting", "number")
