"""The full-coverage contact ledger (Dalu): contact records, the problems collected on
them, month submissions and their amendments; the people a unit's ledger names; the rules
that assign enterprises to units; an index on the events' action.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 17:46:43.865441

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # Returns per unit and the figures count events by their action.
    op.create_index(op.f('ix_case_event_action'), 'case_event', ['action'], unique=False)
    op.create_table('assignment_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('above_scale_industry', 'four_above', 'sme', 'individual', name='enterprisekind', native_enum=False, length=32), nullable=True),
    sa.Column('not_kind', sa.Enum('above_scale_industry', 'four_above', 'sme', 'individual', name='enterprisekind', native_enum=False, length=32), nullable=True),
    sa.Column('industries', sa.String(length=300), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('to_village', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'], name=op.f('fk_assignment_rule_jurisdiction_id_jurisdiction')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], name=op.f('fk_assignment_rule_unit_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_rule'))
    )
    with op.batch_alter_table('assignment_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_rule_jurisdiction_id'), ['jurisdiction_id'], unique=False)

    op.create_table('contact_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('contacted_on', sa.Date(), nullable=False),
    sa.Column('method', sa.Enum('phone', 'talks', 'visit', 'other', name='contactmethod', native_enum=False, length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_contact_record_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], name=op.f('fk_contact_record_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_contact_record_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_record'))
    )
    with op.batch_alter_table('contact_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_record_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index('ix_contact_record_unit_day', ['unit_id', 'contacted_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_record_user_id'), ['user_id'], unique=False)

    op.create_table('ledger_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_ledger_submission_submitted_by_id_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], name=op.f('fk_ledger_submission_unit_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_submission'))
    )
    with op.batch_alter_table('ledger_submission', schema=None) as batch_op:
        batch_op.create_index('uq_ledger_submission_unit_month', ['unit_id', 'year', 'month'], unique=True)

    op.create_table('contact_problem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('finished_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_contact_problem_case_id_case')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact_record.id'], name=op.f('fk_contact_problem_contact_id_contact_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_problem'))
    )
    with op.batch_alter_table('contact_problem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_problem_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_problem_contact_id'), ['contact_id'], unique=False)

    op.create_table('ledger_amendment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_ledger_amendment_by_id_user')),
    sa.ForeignKeyConstraint(['submission_id'], ['ledger_submission.id'], name=op.f('fk_ledger_amendment_submission_id_ledger_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_amendment'))
    )
    with op.batch_alter_table('ledger_amendment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_amendment_submission_id'), ['submission_id'], unique=False)

    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('head_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('head_phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('leader_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('leader_phone', sa.String(length=40), nullable=True))



def downgrade():
    op.drop_index(op.f('ix_case_event_action'), table_name='case_event')
    with op.batch_alter_table('assignment_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_rule_jurisdiction_id'))

    op.drop_table('assignment_rule')
    with op.batch_alter_table('org_unit', schema=None) as batch_op:
        batch_op.drop_column('leader_phone')
        batch_op.drop_column('leader_name')
        batch_op.drop_column('head_phone')
        batch_op.drop_column('head_name')

    with op.batch_alter_table('ledger_amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_amendment_submission_id'))

    op.drop_table('ledger_amendment')
    with op.batch_alter_table('contact_problem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_problem_contact_id'))
        batch_op.drop_index(batch_op.f('ix_contact_problem_case_id'))

    op.drop_table('contact_problem')
    with op.batch_alter_table('ledger_submission', schema=None) as batch_op:
        batch_op.drop_index('uq_ledger_submission_unit_month')

    op.drop_table('ledger_submission')
    with op.batch_alter_table('contact_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_record_user_id'))
        batch_op.drop_index('ix_contact_record_unit_day')
        batch_op.drop_index(batch_op.f('ix_contact_record_enterprise_id'))

    op.drop_table('contact_record')
