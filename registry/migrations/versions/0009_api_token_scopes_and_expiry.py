"""API tokens have scopes (read, write) and an expiry

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 03:20:00

"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_token') as batch:
        # Tokens made before scopes could read and write: they keep both.
        batch.add_column(sa.Column('scopes', sa.String(length=50), nullable=False,
                                   server_default='read write'))
        batch.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
    # ...and expire 90 days after this upgrade (times are stored as naive UTC).
    moment = (datetime.now(UTC) + timedelta(days=90)).replace(tzinfo=None)
    op.execute(sa.text("UPDATE api_token SET expires_at = :moment").bindparams(moment=moment))
    with op.batch_alter_table('api_token') as batch:
        batch.alter_column('expires_at', existing_type=sa.DateTime(), nullable=False)
        batch.alter_column('scopes', existing_type=sa.String(length=50), server_default=None)


def downgrade():
    with op.batch_alter_table('api_token') as batch:
        batch.drop_column('expires_at')
        batch.drop_column('scopes')
