"""SLA policies and reminder timers, the scheduled jobs' run ledger, digest deliveries.

Revision ID: 20261124_0003
Revises: 20261124_0002
Create Date: 2026-11-24 20:50:17.773358
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '20261124_0003'
down_revision: str | None = '20261124_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_run',
    sa.Column('job', sa.String(length=50), nullable=False),
    sa.Column('tick', sa.String(length=40), nullable=False),
    sa.Column('started_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('runner', sa.String(length=100), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('job', 'tick', name=op.f('pk_job_run'))
    )
    op.create_table('sla_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('scope_key', sa.String(length=150), nullable=False),
    sa.Column('ack_seconds', sa.Double(), nullable=False),
    sa.Column('ack_business', sa.Boolean(), nullable=False),
    sa.Column('resolve_seconds', sa.Double(), nullable=False),
    sa.Column('resolve_business', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_sla_policy_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policy')),
    sa.UniqueConstraint('priority', 'scope_key', name='uq_sla_policy_priority_scope')
    )
    op.create_table('digest_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('period_key', sa.String(length=20), nullable=False),
    sa.Column('sent_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_digest_delivery_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_delivery')),
    sa.UniqueConstraint('person_id', 'period', 'period_key', name='uq_digest_delivery_once')
    )
    op.create_table('sla_timer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.String(length=10), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('due_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fire_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fired_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_sla_timer_assignment_id_assignment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_timer')),
    sa.UniqueConstraint('assignment_id', 'deadline', 'threshold', 'due_at', name='uq_sla_timer_once')
    )
    op.create_index('ix_sla_timer_assignment_id', 'sla_timer', ['assignment_id'])
    op.create_index('ix_sla_timer_pending', 'sla_timer', ['fire_at'], postgresql_where=sa.text('fired_at IS NULL'),
                    sqlite_where=sa.text('fired_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_sla_timer_pending', 'sla_timer')
    op.drop_index('ix_sla_timer_assignment_id', 'sla_timer')
    op.drop_table('sla_timer')
    op.drop_table('digest_delivery')
    op.drop_table('sla_policy')
    op.drop_table('job_run')
