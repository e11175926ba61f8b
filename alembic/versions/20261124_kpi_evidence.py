"""Innovation-KPI evidence: records per unit and fiscal year, Form 1 ideas (one selected), step 4
activities, indicators, and the audit trail of changes.

Revision ID: 20261124_0004
Revises: 20261124_0003
Create Date: 2026-11-24 21:05:50.269896
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.base

revision: str = '20261124_0004'
down_revision: str | None = '20261124_0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kpi_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('innovation_title', sa.String(length=500), nullable=True),
    sa.Column('innovation_type', sa.String(length=20), nullable=True),
    sa.Column('selected_by', sa.String(length=200), nullable=True),
    sa.Column('selected_on', sa.Date(), nullable=True),
    sa.Column('form3_submitted_on', sa.Date(), nullable=True),
    sa.Column('form4_submitted_on', sa.Date(), nullable=True),
    sa.Column('committee_presented_on', sa.Date(), nullable=True),
    sa.Column('committee_decision', sa.String(length=20), nullable=True),
    sa.Column('committee_decided_on', sa.Date(), nullable=True),
    sa.Column('revision_done_on', sa.Date(), nullable=True),
    sa.Column('evidence_sent_on', sa.Date(), nullable=True),
    sa.Column('form5_survey_done_on', sa.Date(), nullable=True),
    sa.Column('form5_approved_on', sa.Date(), nullable=True),
    sa.Column('live_results', sa.Boolean(), nullable=False),
    sa.Column('baseline_tta_seconds', sa.Double(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_kpi_record_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_record')),
    sa.UniqueConstraint('agency_id', 'fiscal_year', name='uq_kpi_record_agency_fy')
    )
    op.create_table('kpi_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('planned_start', sa.Date(), nullable=True),
    sa.Column('planned_end', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['kpi_record.id'], name=op.f('fk_kpi_activity_record_id_kpi_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_activity'))
    )
    op.create_index('ix_kpi_activity_record_id', 'kpi_activity', ['record_id'])

    op.create_table('kpi_change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('what', sa.String(length=50), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['kpi_record.id'], name=op.f('fk_kpi_change_record_id_kpi_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_change'))
    )
    op.create_index('ix_kpi_change_record_at', 'kpi_change', ['record_id', 'at'])

    op.create_table('kpi_idea',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('proposer', sa.String(length=200), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('idea', sa.Text(), nullable=False),
    sa.Column('innovation_type', sa.String(length=20), nullable=False),
    sa.Column('selected', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['kpi_record.id'], name=op.f('fk_kpi_idea_record_id_kpi_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_idea'))
    )
    op.create_index('ix_kpi_idea_record_id', 'kpi_idea', ['record_id'])
    op.create_index('uq_kpi_idea_one_selected', 'kpi_idea', ['record_id'], unique=True, postgresql_where=sa.text('selected'), sqlite_where=sa.text('selected'))

    op.create_table('kpi_indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('unit', sa.String(length=50), nullable=True),
    sa.Column('target', sa.Double(), nullable=False),
    sa.Column('baseline', sa.Double(), nullable=True),
    sa.Column('achieved', sa.Double(), nullable=True),
    sa.Column('higher_is_better', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['kpi_record.id'], name=op.f('fk_kpi_indicator_record_id_kpi_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_indicator'))
    )
    op.create_index('ix_kpi_indicator_record_id', 'kpi_indicator', ['record_id'])



def downgrade() -> None:
    op.drop_index('ix_kpi_indicator_record_id', 'kpi_indicator')
    op.drop_table('kpi_indicator')
    op.drop_index('uq_kpi_idea_one_selected', 'kpi_idea')
    op.drop_index('ix_kpi_idea_record_id', 'kpi_idea')
    op.drop_table('kpi_idea')
    op.drop_index('ix_kpi_change_record_at', 'kpi_change')
    op.drop_table('kpi_change')
    op.drop_index('ix_kpi_activity_record_id', 'kpi_activity')
    op.drop_table('kpi_activity')
    op.drop_table('kpi_record')
