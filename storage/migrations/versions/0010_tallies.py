"""tallies: each meeting's roll-call totals, each cell's monthly report counts by kind (issue 12)

- `roll_call_tally`: per meeting, its attendance rows counted by status (present, excused,
  absent); kept by the flush that writes the rows (storage/tallies.py).
- `report_tally`: per cell, month (its first day) and kind, the reports whose `done_on` falls in
  that month; kept by the statements that insert and delete reports.

Carried forward: both are counted from the rows already stored, in this migration (the same
counts storage.tallies.rebuild_statements makes; written out here so that the migration stays
as it was when later code changes).

Revision ID: 0010_tallies
Revises: 0009_dues
Create Date: 2026-11-30 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_tallies"
down_revision: str | Sequence[str] | None = "0009_dues"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roll_call_tally",
        sa.Column("meeting_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("present", sa.Integer(), nullable=False),
        sa.Column("excused", sa.Integer(), nullable=False),
        sa.Column("absent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("meeting_id"),
    )
    op.create_table(
        "report_tally",
        sa.Column("cell_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cell_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("cell_id", "month", "kind"),
    )
    month = ("CAST(date_trunc('month', done_on) AS date)" if op.get_bind().dialect.name == "postgresql"
             else "date(done_on, 'start of month')")
    op.execute(
        "INSERT INTO roll_call_tally (meeting_id, present, excused, absent) SELECT meeting_id, "
        "count(CASE WHEN status = 'present' THEN 1 END), count(CASE WHEN status = 'excused' THEN 1 END), "
        "count(CASE WHEN status = 'absent' THEN 1 END) FROM attendance WHERE status IS NOT NULL GROUP BY meeting_id"
    )
    op.execute(
        f"INSERT INTO report_tally (cell_id, month, kind, count) SELECT cell_id, {month}, kind, count(*) "
        f"FROM report GROUP BY cell_id, {month}, kind"
    )


def downgrade() -> None:
    op.drop_table("report_tally")
    op.drop_table("roll_call_tally")
