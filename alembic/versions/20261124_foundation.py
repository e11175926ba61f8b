"""foundation: units, people, invites, groups, cases, assignments, events, inbox, outbox

Revision ID: 20261124_0001
Revises:
Create Date: 2026-11-24 18:19:13.030968
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.base

revision: str = '20261124_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('aliases', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('code', name=op.f('uq_agency_code'))
    )
    op.create_table('case_number_counter',
    sa.Column('fiscal_year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('fiscal_year', name=op.f('pk_case_number_counter'))
    )
    op.create_table('inbox_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('webhook_event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('source_key', sa.String(length=80), nullable=False),
    sa.Column('event_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('is_redelivery', sa.Boolean(), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('available_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=36), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('received_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_event')),
    sa.UniqueConstraint('webhook_event_id', name=op.f('uq_inbox_event_webhook_event_id'))
    )
    op.create_index('ix_inbox_event_due', 'inbox_event', ['status', 'available_at'], unique=False)
    op.create_index('ix_inbox_event_source_order', 'inbox_event', ['source_key', 'status', 'event_timestamp'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('registered_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deactivated_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deactivated_reason', sa.String(length=40), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_person_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('line_user_id', name=op.f('uq_person_line_user_id'))
    )
    op.create_index(op.f('ix_person_agency_id'), 'person', ['agency_id'], unique=False)

    op.create_table('complaint_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=12), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('location', sa.String(length=500), nullable=True),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('external_ref', sa.String(length=100), nullable=True),
    sa.Column('complainant_name', sa.String(length=200), nullable=True),
    sa.Column('complainant_phone', sa.String(length=40), nullable=True),
    sa.Column('complainant_email', sa.String(length=200), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_complaint_case_created_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_case')),
    sa.UniqueConstraint('fiscal_year', 'sequence', name='uq_complaint_case_fy_seq'),
    sa.UniqueConstraint('number', name=op.f('uq_complaint_case_number'))
    )
    op.create_index(op.f('ix_complaint_case_external_ref'), 'complaint_case', ['external_ref'], unique=False)
    op.create_index(op.f('ix_complaint_case_status'), 'complaint_case', ['status'], unique=False)

    op.create_table('invite',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_invite_agency_id_agency')),
    sa.ForeignKeyConstraint(['used_by_id'], ['person.id'], name=op.f('fk_invite_used_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invite')),
    sa.UniqueConstraint('code', name=op.f('uq_invite_code'))
    )
    op.create_table('line_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_group_id', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('bound_by_id', sa.Integer(), nullable=True),
    sa.Column('bound_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('joined_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('left_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_line_group_agency_id_agency')),
    sa.ForeignKeyConstraint(['bound_by_id'], ['person.id'], name=op.f('fk_line_group_bound_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_line_group')),
    sa.UniqueConstraint('line_group_id', name=op.f('uq_line_group_line_group_id'))
    )
    op.create_index(op.f('ix_line_group_agency_id'), 'line_group', ['agency_id'], unique=False)

    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('forwarded_by_id', sa.Integer(), nullable=True),
    sa.Column('forwarded_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_response_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('returned_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('return_reason', sa.String(length=300), nullable=True),
    sa.Column('ack_due_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolve_due_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_assignment_agency_id_agency')),
    sa.ForeignKeyConstraint(['case_id'], ['complaint_case.id'], name=op.f('fk_assignment_case_id_complaint_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['forwarded_by_id'], ['person.id'], name=op.f('fk_assignment_forwarded_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment'))
    )
    op.create_index('ix_assignment_agency_forwarded', 'assignment', ['agency_id', 'forwarded_at'], unique=False)
    op.create_index(op.f('ix_assignment_case_id'), 'assignment', ['case_id'], unique=False)
    op.create_index(op.f('ix_assignment_status'), 'assignment', ['status'], unique=False)

    op.create_table('outbox_message',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('reply_token', sa.String(length=64), nullable=True),
    sa.Column('reply_token_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('messages', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('retry_key', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('available_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=36), nullable=True),
    sa.Column('reply_attempted_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_via', sa.String(length=10), nullable=True),
    sa.Column('line_request_id', sa.String(length=64), nullable=True),
    sa.Column('sent_message_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('inbox_event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['complaint_case.id'], name=op.f('fk_outbox_message_case_id_complaint_case'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['inbox_event_id'], ['inbox_event.id'], name=op.f('fk_outbox_message_inbox_event_id_inbox_event'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('retry_key', name=op.f('uq_outbox_message_retry_key'))
    )
    op.create_index(op.f('ix_outbox_message_case_id'), 'outbox_message', ['case_id'], unique=False)
    op.create_index('ix_outbox_message_due', 'outbox_message', ['status', 'available_at'], unique=False)
    op.create_index('ix_outbox_message_recipient_order', 'outbox_message', ['recipient', 'status', 'id'], unique=False)

    op.create_table('case_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['person.id'], name=op.f('fk_case_event_actor_id_person')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_case_event_assignment_id_assignment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['complaint_case.id'], name=op.f('fk_case_event_case_id_complaint_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event'))
    )
    op.create_index('ix_case_event_case_at', 'case_event', ['case_id', 'at'], unique=False)



def downgrade() -> None:
    op.drop_index('ix_case_event_case_at', table_name='case_event')

    op.drop_table('case_event')
    op.drop_index('ix_outbox_message_recipient_order', table_name='outbox_message')
    op.drop_index('ix_outbox_message_due', table_name='outbox_message')
    op.drop_index(op.f('ix_outbox_message_case_id'), table_name='outbox_message')

    op.drop_table('outbox_message')
    op.drop_index(op.f('ix_assignment_status'), table_name='assignment')
    op.drop_index(op.f('ix_assignment_case_id'), table_name='assignment')
    op.drop_index('ix_assignment_agency_forwarded', table_name='assignment')

    op.drop_table('assignment')
    op.drop_index(op.f('ix_line_group_agency_id'), table_name='line_group')

    op.drop_table('line_group')
    op.drop_table('invite')
    op.drop_index(op.f('ix_complaint_case_status'), table_name='complaint_case')
    op.drop_index(op.f('ix_complaint_case_external_ref'), table_name='complaint_case')

    op.drop_table('complaint_case')
    op.drop_index(op.f('ix_person_agency_id'), table_name='person')

    op.drop_table('person')
    op.drop_index('ix_inbox_event_source_order', table_name='inbox_event')
    op.drop_index('ix_inbox_event_due', table_name='inbox_event')

    op.drop_table('inbox_event')
    op.drop_table('case_number_counter')
    op.drop_table('agency')
