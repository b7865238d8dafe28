"""Work orders from other systems (issue 10): the systems allowed to hand them over, by a
hashed token scoped to a jurisdiction, and each work order's case, one per external id.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_client',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('webhook_url', sa.String(length=500), nullable=True),
        sa.Column('webhook_secret', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'],
                                name=op.f('fk_api_client_jurisdiction_id_jurisdiction')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_client')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_client_token_hash')),
    )
    op.create_table(
        'work_order',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'],
                                name=op.f('fk_work_order_case_id_case')),
        sa.ForeignKeyConstraint(['client_id'], ['api_client.id'],
                                name=op.f('fk_work_order_client_id_api_client')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order')),
        sa.UniqueConstraint('case_id', name=op.f('uq_work_order_case_id')),
        sa.UniqueConstraint('client_id', 'external_id',
                            name=op.f('uq_work_order_client_id_external_id')),
    )


def downgrade():
    op.drop_table('work_order')
    op.drop_table('api_client')
