"""E-mail intake (issue 10 item 2): every message read from the office's mailbox, kept whole,
registered as a case or waiting on the review list.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'intake_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.String(length=255), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('sender', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('raw', sa.LargeBinary(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('problem', sa.String(length=500), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'],
                                name=op.f('fk_intake_message_case_id_case')),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'],
                                name=op.f('fk_intake_message_jurisdiction_id_jurisdiction')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_message')),
        sa.UniqueConstraint('message_id', name=op.f('uq_intake_message_message_id')),
    )
    with op.batch_alter_table('intake_message') as batch:
        batch.create_index(batch.f('ix_intake_message_received_at'), ['received_at'])
        batch.create_index(batch.f('ix_intake_message_jurisdiction_id'), ['jurisdiction_id'])


def downgrade():
    op.drop_table('intake_message')
