"""The latest rating on the case (`case.rating_level`, `case.rating_solved`), so that the
figures over a million cases read one row per case; filled from each case's latest rating.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 05:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LATEST = ('(SELECT r.{column} FROM rating r WHERE r.case_id = "case".id '
          'ORDER BY r.id DESC LIMIT 1)')


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_level', sa.Enum(
            'satisfied', 'basically_satisfied', 'unsatisfied', name='ratinglevel',
            native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('rating_solved', sa.Boolean(), nullable=True))
    op.execute(f'UPDATE "case" SET rating_level = {LATEST.format(column="level")}, '
               f'rating_solved = {LATEST.format(column="solved")} '
               'WHERE EXISTS (SELECT 1 FROM rating r WHERE r.case_id = "case".id)')


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('rating_solved')
        batch_op.drop_column('rating_level')
