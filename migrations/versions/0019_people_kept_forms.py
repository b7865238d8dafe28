"""Forms kept across an ended session (issue 17 item 1).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'kept_form',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('had_files', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE',
                                name=op.f('fk_kept_form_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kept_form')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_kept_form_key_hash')),
    )
    op.create_index(op.f('ix_kept_form_expires_at'), 'kept_form', ['expires_at'])


def downgrade():
    op.drop_index(op.f('ix_kept_form_expires_at'), table_name='kept_form')
    op.drop_table('kept_form')
