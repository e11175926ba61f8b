"""One-time dashboard sign-in links (the token's hash only), and an index for a person's latest
case event (the dashboard's coordinator activity).

Revision ID: 20261124_0005
Revises: 20261124_0004
Create Date: 2026-11-24 21:32:53.945314
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '20261124_0005'
down_revision: str | None = '20261124_0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dashboard_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_dashboard_link_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_dashboard_link_token_hash'))
    )
    op.create_index('ix_dashboard_link_person_id', 'dashboard_link', ['person_id'])
    op.create_index('ix_case_event_actor_at', 'case_event', ['actor_id', 'at'])


def downgrade() -> None:
    op.drop_index('ix_case_event_actor_at', 'case_event')
    op.drop_index('ix_dashboard_link_person_id', 'dashboard_link')
    op.drop_table('dashboard_link')
