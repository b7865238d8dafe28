"""The date each case waits on, stored (`case.due_key`), with the queues' order, the office
desk's conditions and the search by name as indexes: a queue page over 10,000 cases walks
the top of an index instead of computing and sorting every row's deadline (issue 5's 30 ms
budget; bench/queues.py).
Filled from the columns it is computed from, with the rule as `queues.due_column` states it
at this revision (`queues.refresh_due_keys`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    from portal.domain.models import NO_DUE
    from portal.domain.queues import refresh_due_keys

    op.add_column('case', sa.Column('due_key', sa.Date(), nullable=False,
                                    server_default=NO_DUE.isoformat()))
    refresh_due_keys(op.get_bind())
    op.create_index('ix_case_queue_order', 'case',
                    ['due_key', sa.text('received_at DESC'), sa.text('id DESC'),
                     'jurisdiction_id'])
    op.create_index('ix_case_office_desk', 'case',
                    ['office_id', 'state', 'with_leaders', 'needs_callback', 'rating_due',
                     'jurisdiction_id'])
    op.create_index('ix_case_applicant', 'case', ['applicant_name', 'jurisdiction_id'])


def downgrade():
    op.drop_index('ix_case_applicant', table_name='case')
    op.drop_index('ix_case_office_desk', table_name='case')
    op.drop_index('ix_case_queue_order', table_name='case')
    with op.batch_alter_table('case') as batch:
        batch.drop_column('due_key')
