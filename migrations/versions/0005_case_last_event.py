"""Every step touches its case: `case.last_event_at`, so the version column guards steps
that only add rows (extension requests, parts, progress) as well; filled from the events.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:35:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_event_at', sa.DateTime(), nullable=True))
    op.execute('UPDATE "case" SET last_event_at = (SELECT max(e.at) FROM case_event e '
               'WHERE e.case_id = "case".id)')


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('last_event_at')
