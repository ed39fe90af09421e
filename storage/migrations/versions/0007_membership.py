"""membership history: dated events, the spans derived from them, dissolved cells

- `membership_event`: every change of a member's cell or state is a dated event.
- `membership_span`: the days over which a member counted in one cell with one state, derived
  from the events (storage.membership.rebuild) so that a period's figures read an index.
- `org_unit.dissolved_on`: a cell dissolved keeps its history.

Carried forward: each member of a cell becomes a "listed" event in their current cell, with their
current status, on their admission date (1900-01-01 when it is unknown, so that they count in
every past period as before); an active member gets one open span from that day. A member no
longer active also gets a transfer out on the same day: such members counted in no period
before, and still count in none, so every summary of an upgraded database is unchanged.

Revision ID: 0007_membership
Revises: 0006_local_numbers
Create Date: 2026-11-29 19:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0007_membership"
down_revision: str | Sequence[str] | None = "0006_local_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_START = "COALESCE(admitted_on, DATE '1900-01-01')"


def upgrade() -> None:
    op.create_table(
        "membership_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("temporary", sa.Boolean(), nullable=False),
        sa.Column("other_unit", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cell_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_membership_event_member", "membership_event", ["member_id", "on"], unique=False)
    op.create_table(
        "membership_span",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("away", sa.Boolean(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["cell_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_membership_span_cell", "membership_span", ["cell_id", "start"], unique=False)
    op.create_index("ix_membership_span_member", "membership_span", ["member_id"], unique=False)
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dissolved_on", sa.Date(), nullable=True))

    start = _START if op.get_bind().dialect.name == "postgresql" else "COALESCE(admitted_on, '1900-01-01')"
    op.execute(
        "INSERT INTO membership_event (member_id, kind, \"on\", cell_id, status, temporary, recorded_at) "
        f"SELECT id, 'listed', {start}, cell_id, status, false, CURRENT_TIMESTAMP FROM member "
        "WHERE cell_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO membership_event (member_id, kind, \"on\", cell_id, temporary, reason, recorded_at) "
        f"SELECT id, 'transferred', {start}, NULL, false, 'đã rời chi bộ trước khi có lịch sử', CURRENT_TIMESTAMP "
        "FROM member WHERE cell_id IS NOT NULL AND NOT active"
    )
    op.execute(
        "INSERT INTO membership_span (member_id, cell_id, status, away, start, \"end\") "
        f"SELECT id, cell_id, status, false, {start}, NULL FROM member WHERE cell_id IS NOT NULL AND active"
    )


def downgrade() -> None:
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.drop_column("dissolved_on")
    op.drop_index("ix_membership_span_member", table_name="membership_span")
    op.drop_index("ix_membership_span_cell", table_name="membership_span")
    op.drop_table("membership_span")
    op.drop_index("ix_membership_event_member", table_name="membership_event")
    op.drop_table("membership_event")
