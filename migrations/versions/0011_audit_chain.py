"""The audit log's hash chain: each row keeps its predecessor's hash and its own; a unique
index on the predecessor's hash makes a fork of the chain impossible. Rows already there are
chained in id order here, with the append-only trigger lifted for that one statement batch
(SECURITY.md "nothing lost" 5; issue 9 item 5).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "update": "BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, "
              "'audit_log is append-only: UPDATE refused'); END",
    "delete": "BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, "
              "'audit_log is append-only: DELETE refused'); END",
}


def _lift_trigger(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    elif dialect == "sqlite":
        for verb in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{verb}")


def _restore_trigger(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    elif dialect == "sqlite":
        for verb, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER audit_log_no_{verb} {body}")


def _chain_existing_rows(bind) -> None:
    from portal.domain import audit
    from portal.domain.models import AuditLog
    table = AuditLog.__table__
    prev = audit.GENESIS
    for row in bind.execute(sa.select(table).order_by(table.c.id)).all():
        own = audit.row_hash_of(row, prev)
        bind.execute(table.update().where(table.c.id == row.id)
                     .values(prev_hash=prev, row_hash=own))
        prev = own


def upgrade():
    bind = op.get_bind()
    op.add_column('audit_log', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_log', sa.Column('row_hash', sa.String(length=64), nullable=True))
    if bind.execute(sa.text("SELECT count(*) FROM audit_log")).scalar():
        _lift_trigger(bind.dialect.name)
        _chain_existing_rows(bind)
        _restore_trigger(bind.dialect.name)
    op.create_index('ix_audit_log_prev_hash', 'audit_log', ['prev_hash'], unique=True)


def downgrade():
    op.drop_index('ix_audit_log_prev_hash', table_name='audit_log')
    # Plain DROP COLUMN (SQLite >= 3.35 too): a batch copy of the table would lose its
    # append-only triggers.
    op.execute("ALTER TABLE audit_log DROP COLUMN row_hash")
    op.execute("ALTER TABLE audit_log DROP COLUMN prev_hash")
