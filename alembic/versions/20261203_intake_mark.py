"""The intake mark: each web replica publishes the instant before which every webhook request it
received is stored, so the inbox's claim waits for a replica still storing an earlier event.

Revision ID: 20261203_0008
Revises: 20261124_0007
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '20261203_0008'
down_revision: str | None = '20261124_0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('intake_mark',
    sa.Column('replica_id', sa.String(length=100), nullable=False),
    sa.Column('stored_before', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('replica_id', name=op.f('pk_intake_mark'))
    )


def downgrade() -> None:
    op.drop_table('intake_mark')
