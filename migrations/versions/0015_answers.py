"""The office's published answers (知识库, issue 10 item 3), their bigram index for the hint
on the whistle form, and the consultations an answer settled.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('question', sa.String(length=200), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('source_date', sa.Date(), nullable=True),
        sa.Column('category_id', sa.Integer(), nullable=True),
        sa.Column('keywords', sa.String(length=200), nullable=False),
        sa.Column('published', sa.Boolean(), nullable=False),
        sa.Column('from_case_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['category_id'], ['category.id'],
                                name=op.f('fk_answer_category_id_category')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'],
                                name=op.f('fk_answer_created_by_id_user')),
        sa.ForeignKeyConstraint(['from_case_id'], ['case.id'],
                                name=op.f('fk_answer_from_case_id_case')),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'],
                                name=op.f('fk_answer_jurisdiction_id_jurisdiction')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    )
    op.create_index(op.f('ix_answer_jurisdiction_id'), 'answer', ['jurisdiction_id'])
    op.create_table(
        'answer_term',
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('term', sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(['answer_id'], ['answer.id'], ondelete='CASCADE',
                                name=op.f('fk_answer_term_answer_id_answer')),
        sa.PrimaryKeyConstraint('answer_id', 'term', name=op.f('pk_answer_term')),
    )
    op.create_index('ix_answer_term_term', 'answer_term', ['term', 'answer_id'])
    op.create_table(
        'deflection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['answer_id'], ['answer.id'],
                                name=op.f('fk_deflection_answer_id_answer')),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'],
                                name=op.f('fk_deflection_enterprise_id_enterprise')),
        sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'],
                                name=op.f('fk_deflection_jurisdiction_id_jurisdiction')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_deflection_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deflection')),
    )
    op.create_index(op.f('ix_deflection_answer_id'), 'deflection', ['answer_id'])
    op.create_index(op.f('ix_deflection_jurisdiction_id'), 'deflection', ['jurisdiction_id'])
    op.create_index(op.f('ix_deflection_at'), 'deflection', ['at'])


def downgrade():
    op.drop_table('deflection')
    op.drop_table('answer_term')
    op.drop_table('answer')
