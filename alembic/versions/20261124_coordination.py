"""Coordination: response times on assignments, quoted-message links, reply windows, relayed
images, extra days off, and which card delivers which assignment.

Revision ID: 20261124_0002
Revises: 20261124_0001
Create Date: 2026-11-24 20:14:05.906818
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '20261124_0002'
down_revision: str | None = '20261124_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('day_off',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_day_off'))
    )
    op.create_table('media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('line_message_id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('fetched_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['complaint_case.id'], name=op.f('fk_media_case_id_complaint_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media')),
    sa.UniqueConstraint('token', name=op.f('uq_media_token'))
    )
    op.create_index('ix_media_case_id', 'media', ['case_id'])

    op.create_table('chat_prompt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_chat_prompt_assignment_id_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['complaint_case.id'], name=op.f('fk_chat_prompt_case_id_complaint_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_chat_prompt_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_prompt')),
    sa.UniqueConstraint('chat_id', 'person_id', name='uq_chat_prompt_chat_person')
    )
    op.create_table('message_link',
    sa.Column('line_message_id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_message_link_assignment_id_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['complaint_case.id'], name=op.f('fk_message_link_case_id_complaint_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('line_message_id', name=op.f('pk_message_link'))
    )
    op.create_index('ix_message_link_case_id', 'message_link', ['case_id'])

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tta_seconds', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('tta_business_seconds', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('frt_seconds', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('frt_business_seconds', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('ttr_seconds', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('ttr_business_seconds', sa.Double(), nullable=True))
        batch_op.create_index('ix_assignment_forwarded', ['forwarded_at'], unique=False)

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivers_assignment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_message_delivers_assignment_id_assignment'), 'assignment', ['delivers_assignment_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_message_delivers_assignment_id_assignment'), type_='foreignkey')
        batch_op.drop_column('delivers_assignment_id')

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_assignment_forwarded')
        batch_op.drop_column('ttr_business_seconds')
        batch_op.drop_column('ttr_seconds')
        batch_op.drop_column('frt_business_seconds')
        batch_op.drop_column('frt_seconds')
        batch_op.drop_column('tta_business_seconds')
        batch_op.drop_column('tta_seconds')

    op.drop_index('ix_message_link_case_id', 'message_link')

    op.drop_table('message_link')
    op.drop_table('chat_prompt')
    op.drop_index('ix_media_case_id', 'media')

    op.drop_table('media')
    op.drop_table('day_off')
