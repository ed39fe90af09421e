"""member_report_tally: each member's reports per month of a year, in a cell (issue 12)

`/tonghop` counts the members who reported in a period; for a committee's year that was a probe
into the reports for each of its 10,000 members. One row per member, cell and year, with the
twelve months' counts side by side, is kept by the same statements that keep `report_tally`
(storage/tallies.py).

Carried forward: counted from the reports already stored, in this migration (the same counts
storage.tallies.rebuild_statements makes; written out here so that the migration stays as it was
when later code changes).

Revision ID: 0013_member_reports
Revises: 0012_minutes
Create Date: 2026-11-30 00:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_member_reports"
down_revision: str | Sequence[str] | None = "0012_minutes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTHS = [f"m{month}" for month in range(1, 13)]


def upgrade() -> None:
    op.create_table(
        "member_report_tally",
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cell_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in MONTHS),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["cell_id"], ["org_unit.id"]),
        sa.PrimaryKeyConstraint("member_id", "cell_id", "year"),
    )
    op.create_index("ix_member_report_tally_cell", "member_report_tally", ["cell_id", "year"])
    if op.get_bind().dialect.name == "postgresql":
        year, month = "CAST(EXTRACT(YEAR FROM done_on) AS integer)", "CAST(EXTRACT(MONTH FROM done_on) AS integer)"
    else:
        year, month = "CAST(strftime('%Y', done_on) AS integer)", "CAST(strftime('%m', done_on) AS integer)"
    counts = ", ".join(f"count(CASE WHEN {month} = {number} THEN 1 END)" for number in range(1, 13))
    op.execute(
        f"INSERT INTO member_report_tally (member_id, cell_id, year, {', '.join(MONTHS)}) "
        f"SELECT member_id, cell_id, {year}, {counts} FROM report GROUP BY member_id, cell_id, {year}"
    )


def downgrade() -> None:
    op.drop_index("ix_member_report_tally_cell", table_name="member_report_tally")
    op.drop_table("member_report_tally")
