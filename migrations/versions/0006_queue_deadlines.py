"""Every deadline a case waits on sorts the queues: the office's review of a reply
(`policy_profile.review_days`, `case.review_due`) and the open 督办单's reply limit
(`case.supervision_due`, filled from the open notices). Replies already waiting for review
keep no review date: it was never set and is not guessed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 04:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('policy_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_days', sa.Integer(), server_default='1',
                                      nullable=False))
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('supervision_due', sa.Date(), nullable=True))
    op.execute('UPDATE "case" SET supervision_due = (SELECT min(s.reply_due) FROM supervision s '
               'WHERE s.case_id = "case".id AND s.replied_at IS NULL) WHERE under_supervision')


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('supervision_due')
        batch_op.drop_column('review_due')
    with op.batch_alter_table('policy_profile', schema=None) as batch_op:
        batch_op.drop_column('review_days')
