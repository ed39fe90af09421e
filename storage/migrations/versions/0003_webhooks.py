"""webhooks: the inbox of webhook updates, file links, a member's preferred messenger

Revision ID: 0003_webhooks
Revises: 0002_activity
Create Date: 2026-11-23 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


import storage.types

revision: str = '0003_webhooks'
down_revision: str | Sequence[str] | None = '0002_activity'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('update_key', sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('received_at', storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'update_key')
    )
    op.create_table('file_link',
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('stored_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('expires_at', storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token')
    )
    with op.batch_alter_table('file_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_link_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('preferred_platform')

    with op.batch_alter_table('file_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_link_expires_at'))

    op.drop_table('file_link')
    op.drop_table('inbox')
