"""Who holds a lease: `claimed_by` on inbox_event and outbox_message, so a worker that starts again
releases at once what it held when it died instead of waiting for the leases to run out.

Revision ID: 20261124_0007
Revises: 20261124_0006
Create Date: 2026-11-24 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261124_0007'
down_revision: str | None = '20261124_0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ('inbox_event', 'outbox_message'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))


def downgrade() -> None:
    for table in ('inbox_event', 'outbox_message'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('claimed_by')
