"""Dashboard figures precomputed for the standard periods (fiscal year, quarters × unit kind).

Revision ID: 20261124_0006
Revises: 20261124_0005
Create Date: 2026-11-24 22:09:00.003582
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.base

revision: str = '20261124_0006'
down_revision: str | None = '20261124_0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('figures_snapshot',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('computed_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_figures_snapshot'))
    )


def downgrade() -> None:
    op.drop_table('figures_snapshot')
