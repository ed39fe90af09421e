"""dues: the dues book (sổ thu đảng phí), declared amounts and money received

- `dues_rate`: a member's monthly amount as declared from a month on, with its basis (QĐ
  01-QĐ/TW) and any exemption or reduction with its last month; a new declaration is a new row.
- `dues_entry`: money received, or a signed correction with its reason; never edited.

Carried forward: nothing (no cell kept its dues book in chibo before).

Revision ID: 0009_dues
Revises: 0008_workers
Create Date: 2026-11-30 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009_dues"
down_revision: str | Sequence[str] | None = "0008_workers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dues_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("exemption", sa.String(length=24), nullable=True),
        sa.Column("exemption_until", sa.Date(), nullable=True),
        sa.Column("reduction", sa.Integer(), nullable=False),
        sa.Column("reduction_until", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cell_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dues_rate_member", "dues_rate", ["member_id", "starts"], unique=False)
    op.create_table(
        "dues_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cell_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dues_entry_member", "dues_entry", ["member_id", "paid_on"], unique=False)
    op.create_index("ix_dues_entry_cell", "dues_entry", ["cell_id", "paid_on"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dues_entry_cell", table_name="dues_entry")
    op.drop_index("ix_dues_entry_member", table_name="dues_entry")
    op.drop_table("dues_entry")
    op.drop_index("ix_dues_rate_member", table_name="dues_rate")
    op.drop_table("dues_rate")
