"""The workbench: the answerable office, contact/dispatch/return/escalation fields of the
case, the step particulars of events, extension requests, supervision notices (督办单), and
the office's own limits in the policy profile.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:13:22.637186

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('extension_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('new_due', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_extension_request_case_id_case')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_extension_request_decided_by_id_user')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_extension_request_requested_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extension_request'))
    )
    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extension_request_case_id'), ['case_id'], unique=False)

    op.create_table('supervision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('reply_due', sa.Date(), nullable=True),
    sa.Column('replied_at', sa.DateTime(), nullable=True),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('reply_text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_supervision_case_id_case')),
    sa.ForeignKeyConstraint(['office_id'], ['org_unit.id'], name=op.f('fk_supervision_office_id_org_unit')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_supervision_opened_by_id_user')),
    sa.ForeignKeyConstraint(['replied_by_id'], ['user.id'], name=op.f('fk_supervision_replied_by_id_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], name=op.f('fk_supervision_unit_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision'))
    )
    with op.batch_alter_table('supervision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_case_id'), ['case_id'], unique=False)
        batch_op.create_index('uq_supervision_office_year_seq', ['office_id', 'year', 'seq'], unique=True)

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('office_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contacted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('dispatched_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('return_pending', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('return_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('with_leaders', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('leaders_involved', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('rehandle_rounds', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('rating_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('needs_callback', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('accountability', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('clock_stopped_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_office_id'), ['office_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_case_office_id_org_unit'), 'org_unit', ['office_id'], ['id'])

    # Not in batch mode: on SQLite a batch would rebuild case_event and lose its append-only
    # triggers; ADD COLUMN works in place on both databases.
    op.add_column('case_event', sa.Column('data', sa.JSON(), nullable=True))
    op.execute('UPDATE "case" SET office_id = receiving_unit_id WHERE office_id IS NULL')

    with op.batch_alter_table('policy_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_ruling_days', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('supervision_reply_days', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('max_rehandle_rounds', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('callback_sample_percent', sa.Integer(), server_default='20', nullable=False))
        batch_op.add_column(sa.Column('clock_stop_allowed', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('policy_profile', schema=None) as batch_op:
        batch_op.drop_column('clock_stop_allowed')
        batch_op.drop_column('callback_sample_percent')
        batch_op.drop_column('max_rehandle_rounds')
        batch_op.drop_column('supervision_reply_days')
        batch_op.drop_column('return_ruling_days')

    op.execute('ALTER TABLE case_event DROP COLUMN data')  # in place, triggers kept

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_office_id_org_unit'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_case_office_id'))
        batch_op.drop_column('closed_at')
        batch_op.drop_column('clock_stopped_at')
        batch_op.drop_column('accountability')
        batch_op.drop_column('needs_callback')
        batch_op.drop_column('rating_due')
        batch_op.drop_column('rehandle_rounds')
        batch_op.drop_column('leaders_involved')
        batch_op.drop_column('with_leaders')
        batch_op.drop_column('return_due')
        batch_op.drop_column('return_pending')
        batch_op.drop_column('dispatched_at')
        batch_op.drop_column('contacted_at')
        batch_op.drop_column('office_id')

    with op.batch_alter_table('supervision', schema=None) as batch_op:
        batch_op.drop_index('uq_supervision_office_year_seq')
        batch_op.drop_index(batch_op.f('ix_supervision_case_id'))

    op.drop_table('supervision')
    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extension_request_case_id'))

    op.drop_table('extension_request')
