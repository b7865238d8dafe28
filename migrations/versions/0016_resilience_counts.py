"""Counts one user cannot inflate (issue 18 item 4): "this answers my question" once per
enterprise and answer (duplicates already counted are removed, the first kept), and the
office's confirmation of an individual business registered under a company's exact name.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "DELETE FROM deflection WHERE enterprise_id IS NOT NULL AND id NOT IN ("
        "SELECT MIN(id) FROM deflection WHERE enterprise_id IS NOT NULL "
        "GROUP BY enterprise_id, answer_id)"
    )
    with op.batch_alter_table('deflection', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_deflection_enterprise_id_answer_id'), ['enterprise_id', 'answer_id']
        )
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_check', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('enterprise', schema=None) as batch_op:
        batch_op.drop_column('name_check')
    with op.batch_alter_table('deflection', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_deflection_enterprise_id_answer_id'), type_='unique'
        )
