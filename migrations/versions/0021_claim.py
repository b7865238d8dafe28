"""One-time codes (SMS and service card) and the verified mobile (issue 17 item 7).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 16:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'one_time_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('mobile', sa.String(length=20), nullable=True),
        sa.Column('enterprise_id', sa.Integer(), nullable=True),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ondelete='CASCADE',
                                name=op.f('fk_one_time_code_enterprise_id_enterprise')),
        sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'],
                                name=op.f('fk_one_time_code_issued_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_code')),
    )
    op.create_index(op.f('ix_one_time_code_code_hash'), 'one_time_code', ['code_hash'])
    op.create_index('ix_one_time_code_target', 'one_time_code',
                    ['purpose', 'mobile', 'enterprise_id'])
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('mobile_verified_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user') as batch:
        batch.drop_column('mobile_verified_at')
    op.drop_index('ix_one_time_code_target', table_name='one_time_code')
    op.drop_index(op.f('ix_one_time_code_code_hash'), table_name='one_time_code')
    op.drop_table('one_time_code')
