"""Organisation set-up (issue 16 item 1): a whistle category's default co-handling units.
(The new unit kind 督查室 "inspection" and the level "province" are values of string columns
and need no change of schema.)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 14:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'category_co_handler',
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['category_id'], ['category.id'],
                                name=op.f('fk_category_co_handler_category_id_category')),
        sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'],
                                name=op.f('fk_category_co_handler_unit_id_org_unit')),
        sa.PrimaryKeyConstraint('category_id', 'unit_id', name=op.f('pk_category_co_handler')),
    )


def downgrade():
    op.drop_table('category_co_handler')
