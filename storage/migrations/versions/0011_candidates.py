"""candidates: Party development's candidates (quần chúng ưu tú) and their dated steps (issue 15)

- `candidate`: a person sponsored by a cell, numbered per committee, with the date of each step
  (class certificate, application, introducers, the cell's vote, the committee's decision, the
  ceremony), the member the ceremony made, and a code the candidate may use with /thamgia.

Carried forward: nothing (no candidate was kept in chibo before).

Revision ID: 0011_candidates
Revises: 0010_tallies
Create Date: 2026-11-30 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0011_candidates"
down_revision: str | Sequence[str] | None = "0010_tallies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("gender", sa.String(length=8), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("youth_union", sa.Boolean(), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("listed_on", sa.Date(), nullable=False),
        sa.Column("class_on", sa.Date(), nullable=True),
        sa.Column("application_on", sa.Date(), nullable=True),
        sa.Column("introducers", sa.String(length=300), nullable=True),
        sa.Column("introduced_on", sa.Date(), nullable=True),
        sa.Column("votes_for", sa.Integer(), nullable=True),
        sa.Column("votes_of", sa.Integer(), nullable=True),
        sa.Column("voted_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("admitted_on", sa.Date(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["chat_account.id"]),
        sa.ForeignKeyConstraint(["cell_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["committee_id"], ["org_unit.id"]),
        sa.ForeignKeyConstraint(["helper_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["recorded_by"], ["member.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_candidate_cell", "candidate", ["cell_id"], unique=False)
    op.create_index("ix_candidate_committee_number", "candidate", ["committee_id", "number"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_candidate_committee_number", table_name="candidate")
    op.drop_index("ix_candidate_cell", table_name="candidate")
    op.drop_table("candidate")
