"""A case's own limits from where it came: a 12345 work order's (issue 16 item 5).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case') as batch:
        batch.add_column(sa.Column('own_limits', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('case') as batch:
        batch.drop_column('own_limits')
