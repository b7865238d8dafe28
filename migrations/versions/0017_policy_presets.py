"""Policy profiles as presets (issue 16 item 3): the five seeds' profiles installed here as
read-only presets, each number with the clause it quotes; a profile's history (one revision
per state of its limits: installed, copied, each edit); the revision a case was dispatched
under, whose limits its later clocks keep.

The presets' data are frozen below as they stand at this revision (a later change of
`portal.domain.policies.SEED_PROFILES` needs a migration of its own). Every profile already
in the database gets revision 1 with its limits as they are.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 13:40:00

"""
import json
from datetime import datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TERMS = (
    'contact_days', 'dispatch_days', 'sign_days', 'sign_extra_days_lower_level', 'finish_days',
    'finish_days_by_type', 'plan_days', 'max_extension_days', 'extension_needs_approval',
    'reply_days', 'rating_levels', 'rating_window_days', 'weekly_progress_weekday',
    'overdue_review_day', 'ledger_due_day', 'daily_tracking', 'monthly_bulletin',
    'return_ruling_days', 'review_days', 'supervision_reply_days', 'max_rehandle_rounds',
    'callback_sample_percent', 'supervise_overdue', 'clock_stop_allowed',
)
INSTALLED = datetime(2026, 12, 3)  # naive UTC, as the portal stores timestamps

PRESETS = [{'key': 'chaozhou',
  'name': '潮州市',
  'source': '潮州市建立“企业吹哨、部门报到”服务机制工作方案 四(四)',
  'contact_days': 1,
  'dispatch_days': None,
  'sign_days': None,
  'sign_extra_days_lower_level': 0,
  'finish_days': 5,
  'finish_days_by_type': {},
  'plan_days': None,
  'max_extension_days': 10,
  'extension_needs_approval': True,
  'reply_days': 1,
  'rating_levels': 2,
  'weekly_progress_weekday': None,
  'overdue_review_day': None,
  'ledger_due_day': None,
  'daily_tracking': False,
  'monthly_bulletin': False,
  'clauses': {'contact_days': '四(四)1 “非现场或电话接收的、有企业联系方式的，应在1个工作日内与企业取得对接联系”',
              'finish_days': '四(四)2 “在直接受理或收到本级领导小组办公室转交诉求和意见后5个工作日内办结”',
              'max_extension_days': '四(四)2 “经部门主要领导批准，可以适当延长办理时限，但延长时限最多不得超过10个工作日”',
              'extension_needs_approval': '四(四)2 “经部门主要领导批准”',
              'reply_days': '四(四)3 “办理完成后，由主办部门在1个工作日内将结果反馈给企业”',
              'rating_levels': '附件3 服务反馈评价单: 满意 / 不满意'}},
 {'key': 'chengkou',
  'name': '城口县',
  'source': '城口县“企业吹哨·部门报到”专项行动方案 五(三)',
  'contact_days': None,
  'dispatch_days': 2,
  'sign_days': None,
  'sign_extra_days_lower_level': 0,
  'finish_days': 3,
  'finish_days_by_type': {},
  'plan_days': 5,
  'max_extension_days': None,
  'extension_needs_approval': False,
  'reply_days': None,
  'rating_levels': 3,
  'weekly_progress_weekday': None,
  'overdue_review_day': None,
  'ledger_due_day': None,
  'daily_tracking': False,
  'monthly_bulletin': False,
  'clauses': {'dispatch_days': '五(三)1 “按事项所涉辖区和职能，在2个工作日内分别交办”',
              'finish_days': '五(三)2 “原则上在3个工作日内办结”',
              'plan_days': '五(三)2 “短期内无法办结的，在5个工作日内制定办理计划、承诺办理时限”',
              'rating_levels': '五(三)3 “满意”“基本满意”“不满意”等次评价'}},
 {'key': 'dalu',
  'name': '璧山区大路街道',
  'source': '大路街办发〔2021〕34号 二',
  'contact_days': None,
  'dispatch_days': 0,
  'sign_days': None,
  'sign_extra_days_lower_level': 0,
  'finish_days': None,
  'finish_days_by_type': {},
  'plan_days': None,
  'max_extension_days': None,
  'extension_needs_approval': False,
  'reply_days': None,
  'rating_levels': 2,
  'weekly_progress_weekday': None,
  'overdue_review_day': None,
  'ledger_due_day': 25,
  'daily_tracking': False,
  'monthly_bulletin': False,
  'clauses': {'dispatch_days': '二(三) own matters “迅速高效地回应、办理”; others “及时报送经发办” — at once',
              'ledger_due_day': '二(二) “每月25日前报送经发办”'}},
 {'key': 'shantou',
  'name': '汕头市',
  'source': '汕头市政企“直通车”优化工作机制 三',
  'contact_days': 1,
  'dispatch_days': None,
  'sign_days': 1,
  'sign_extra_days_lower_level': 1,
  'finish_days': None,
  'finish_days_by_type': {'consultation': 1, 'suggestion': 2, 'complaint': 3},
  'plan_days': None,
  'max_extension_days': None,
  'extension_needs_approval': False,
  'reply_days': None,
  'rating_levels': 2,
  'weekly_progress_weekday': 3,
  'overdue_review_day': 25,
  'ledger_due_day': None,
  'daily_tracking': False,
  'monthly_bulletin': False,
  'clauses': {'sign_days': '三(二) “需在1个工作日内……确认是否受理”',
              'sign_extra_days_lower_level': '三(二) “各功能区、区县可适当延长1个工作日”',
              'contact_days': '三(三) “接到《转办函》后，需在1个工作日内联系诉求企业”',
              'finish_days_by_type': '三(三) '
                                     '“咨询类诉求事项应在1个工作日内办结反馈；意见建议类诉求事项应在2个工作日内办结反馈；涉企服务投诉事项应在3个工作日内办结反馈”',
              'weekly_progress_weekday': '三(四) “对于未办结事项每周四需向工作专班反馈一次进展情况”',
              'overdue_review_day': '三(五) “每月25日将梳理未办结诉求情况”'}},
 {'key': 'haimen',
  'name': '海门区',
  'source': '海企服〔2020〕4号 三',
  'contact_days': 0,
  'dispatch_days': 0,
  'sign_days': None,
  'sign_extra_days_lower_level': 0,
  'finish_days': 3,
  'finish_days_by_type': {},
  'plan_days': 3,
  'max_extension_days': None,
  'extension_needs_approval': False,
  'reply_days': None,
  'rating_levels': 2,
  'weekly_progress_weekday': None,
  'overdue_review_day': None,
  'ledger_due_day': None,
  'daily_tracking': True,
  'monthly_bulletin': True,
  'clauses': {'contact_days': '三(一) “收到问题后，第一时间与企业联系核实”',
              'dispatch_days': '三(二) “第一时间交办主办部门”',
              'finish_days': '三(二) “主办部门对常规问题，3个工作日内给予答复”',
              'plan_days': '三(二) “内容复杂……3个工作日内向企业作出初步答复，并在承诺的时间内办结”',
              'daily_tracking': '三(四) “每天跟踪”',
              'monthly_bulletin': '三(五) “每月……在《工作简报》中予以通报”'}}]


def upgrade():
    with op.batch_alter_table('policy_profile') as batch:
        batch.add_column(sa.Column('preset', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('based_on_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('clauses', sa.JSON(), nullable=False, server_default='{}'))
        batch.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))
        batch.create_foreign_key(op.f('fk_policy_profile_based_on_id_policy_profile'),
                                 'policy_profile', ['based_on_id'], ['id'])
    op.create_table(
        'policy_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['by_id'], ['user.id'],
                                name=op.f('fk_policy_revision_by_id_user')),
        sa.ForeignKeyConstraint(['profile_id'], ['policy_profile.id'],
                                name=op.f('fk_policy_revision_profile_id_policy_profile')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_revision')),
        sa.UniqueConstraint('profile_id', 'number',
                            name=op.f('uq_policy_revision_profile_id_number')),
    )
    op.create_index(op.f('ix_policy_revision_profile_id'), 'policy_revision', ['profile_id'])
    # Not a batch: on SQLite it would rebuild the case table and lose the direction of the
    # queues' order index; SQLite takes a named REFERENCES clause on ADD COLUMN.
    fk = op.f('fk_case_policy_revision_id_policy_revision')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE "case" ADD COLUMN policy_revision_id INTEGER '
                   f'CONSTRAINT {fk} REFERENCES policy_revision (id)')
    else:
        op.add_column('case', sa.Column('policy_revision_id', sa.Integer(), nullable=True))
        op.create_foreign_key(fk, 'case', 'policy_revision', ['policy_revision_id'], ['id'])
    _install_presets(op.get_bind())


def _install_presets(conn):
    profile = sa.table(
        'policy_profile',
        sa.column('id', sa.Integer), sa.column('key', sa.String), sa.column('name', sa.String),
        sa.column('source', sa.String), sa.column('preset', sa.Boolean),
        sa.column('clauses', sa.JSON), sa.column('revision', sa.Integer),
        sa.column('finish_days_by_type', sa.JSON),
        *(sa.column(t) for t in TERMS if t != 'finish_days_by_type'),
    )
    revision_table = sa.table(
        'policy_revision',
        sa.column('profile_id', sa.Integer), sa.column('number', sa.Integer),
        sa.column('values', sa.JSON), sa.column('note', sa.String), sa.column('at', sa.DateTime),
    )
    keys = set(conn.scalars(sa.select(profile.c.key)))
    for preset in PRESETS:
        values = dict(preset, preset=True)
        if preset['key'] in keys:
            conn.execute(profile.update().where(profile.c.key == preset['key']).values(values))
        else:
            # The columns' own defaults for the limits the seeds leave to the office.
            defaults = {'rating_window_days': 5, 'return_ruling_days': 1, 'review_days': 1,
                        'supervision_reply_days': 3, 'max_rehandle_rounds': 2,
                        'callback_sample_percent': 20, 'supervise_overdue': True,
                        'clock_stop_allowed': False}
            conn.execute(profile.insert().values({**defaults, **values}))
    notes = {p['key']: p['source'] for p in PRESETS}
    for row in conn.execute(sa.select(profile)).mappings().all():
        terms = {t: row[t] for t in TERMS}
        if isinstance(terms['finish_days_by_type'], str):
            terms['finish_days_by_type'] = json.loads(terms['finish_days_by_type'])
        conn.execute(revision_table.insert().values(
            profile_id=row['id'], number=1, values=terms, note=notes.get(row['key'], ''),
            at=INSTALLED))
        conn.execute(profile.update().where(profile.c.id == row['id']).values(revision=1))


def downgrade():
    fk = op.f('fk_case_policy_revision_id_policy_revision')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite drops no column a foreign key uses: rebuild the table (its reflection
        # reads the column's REFERENCES unnamed, and the rebuild leaves it out with the
        # column), then give the queues' order index back its direction.
        with op.batch_alter_table('case') as batch:
            batch.drop_column('policy_revision_id')
        op.drop_index('ix_case_queue_order', table_name='case')
        op.create_index('ix_case_queue_order', 'case',
                        ['due_key', sa.text('received_at DESC'), sa.text('id DESC'),
                         'jurisdiction_id'])
    else:
        op.drop_constraint(fk, 'case', type_='foreignkey')
        op.drop_column('case', 'policy_revision_id')
    op.drop_index(op.f('ix_policy_revision_profile_id'), table_name='policy_revision')
    op.drop_table('policy_revision')
    with op.batch_alter_table('policy_profile') as batch:
        batch.drop_constraint(op.f('fk_policy_profile_based_on_id_policy_profile'),
                              type_='foreignkey')
        batch.drop_column('revision')
        batch.drop_column('clauses')
        batch.drop_column('based_on_id')
        batch.drop_column('preset')
