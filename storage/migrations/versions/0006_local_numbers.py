"""local numbers: a member's own report numbers, a cell's own join-request numbers

Numbers people see and type are small and local: a member's first report is 1, a cell's
first join request is 1. Existing rows are numbered in the order they were stored (by id),
per member and per cell. A deleted report's number is kept aside, never given again.

Revision ID: 0006_local_numbers
Revises: 0005_roll_call
Create Date: 2026-11-25 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_local_numbers"
down_revision: str | Sequence[str] | None = "0005_roll_call"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _number(table: str, owner: str) -> None:
    """Add `number`, fill it with each row's rank by id among its owner's rows, make it required."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
    # A correlated count works the same on SQLite and PostgreSQL (the owner's index keeps it cheap).
    op.execute(
        f"UPDATE {table} SET number = (SELECT count(*) FROM {table} AS earlier "
        f"WHERE earlier.{owner} = {table}.{owner} AND earlier.id <= {table}.id)"
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(f"ix_{table}_{owner.removesuffix('_id')}_number", [owner, "number"], unique=True)


def upgrade() -> None:
    _number("report", "member_id")
    _number("join_request", "unit_id")
    # A deleted report's number is never given again (storage.reports.RetiredReportNumber).
    op.create_table(
        "report_number_retired",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("member_id"),
    )


def downgrade() -> None:
    op.drop_table("report_number_retired")
    for table, owner in (("join_request", "unit_id"), ("report", "member_id")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_{owner.removesuffix('_id')}_number")
            batch_op.drop_column("number")
