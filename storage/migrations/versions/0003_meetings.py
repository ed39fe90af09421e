"""meetings: one meeting per series and month, outbox claims and the dispatcher lease

Revision ID: 0003_meetings
Revises: 0002_activity
Create Date: 2026-11-22 15:10:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


import storage.types

revision: str = '0003_meetings'
down_revision: str | Sequence[str] | None = '0002_activity'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dispatcher_lease',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('expires_at', storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True))
        batch_op.create_index('ux_meeting_series_month', ['series_id', 'series_month'], unique=True)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', storage.types.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_outbox_account_id_chat_account', 'chat_account', ['account_id'], ['id'])
        batch_op.create_index('ix_outbox_meeting', ['meeting_id', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_meeting')
        batch_op.drop_constraint('fk_outbox_account_id_chat_account', type_='foreignkey')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('account_id')

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index('ux_meeting_series_month')
        batch_op.drop_column('series_month')

    op.drop_table('dispatcher_lease')
