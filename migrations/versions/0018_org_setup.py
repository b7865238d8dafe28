"""Organisation set-up (issue 16 item 1): a whistle category's default co-handling units.
`policy_profile.extension_needs_approval` dropped (issue 16 item 4: read by nothing; every
extension is the unit head's to decide, Chaozhou 四(四)2 "经部门主要领导批准").
Chengkou 五(三)3's 扣分 (issue 16 item 5): `policy_profile.unsatisfied_deduction`, 1 point a
不满意 rating on the Chengkou preset (the seed names no number).
(The new unit kind 督查室 "inspection" and the level "province" are values of string columns
and need no change of schema.)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 14:05:00

"""
import json

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
    with op.batch_alter_table('policy_profile') as batch:
        batch.add_column(sa.Column('unsatisfied_deduction', sa.Integer(), nullable=True))
        batch.drop_column('extension_needs_approval')
    profile = sa.table('policy_profile', sa.column('key', sa.String),
                       sa.column('preset', sa.Boolean), sa.column('clauses', sa.JSON),
                       sa.column('unsatisfied_deduction', sa.Integer))
    conn = op.get_bind()
    for key, clauses in conn.execute(sa.select(profile.c.key, profile.c.clauses)).all():
        clauses = clauses if isinstance(clauses, dict) else json.loads(clauses or '{}')
        if clauses.pop('extension_needs_approval', None) is not None:
            conn.execute(profile.update().where(profile.c.key == key).values(clauses=clauses))
    row = conn.execute(sa.select(profile.c.clauses).where(
        profile.c.key == 'chengkou', profile.c.preset == sa.true())).first()
    if row is not None:
        clauses = row.clauses if isinstance(row.clauses, dict) else json.loads(row.clauses)
        clauses['unsatisfied_deduction'] = (
            '五(三)3 “对‘不满意’等次事项按规定给予扣分并责成重新办理”'
            ' (the seed names no number: 1 point a rating until the county sets its own)')
        conn.execute(profile.update().where(profile.c.key == 'chengkou').values(
            unsatisfied_deduction=1, clauses=clauses))


def downgrade():
    with op.batch_alter_table('policy_profile') as batch:
        batch.drop_column('unsatisfied_deduction')
        batch.add_column(sa.Column('extension_needs_approval', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.drop_table('category_co_handler')
