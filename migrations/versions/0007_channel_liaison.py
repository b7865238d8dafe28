"""A case a liaison forwards from a contact arrives by channel "liaison" (issue 6: "the
liaison whistles on the enterprise's behalf: channel 'liaison'"), no longer "ledger".

The channel is a non-native enum (a VARCHAR(32) holding the value, no CHECK constraint), so
only the stored values change. The register event's note, which wrote the channel's value
down when the case arrived, stays as written: case_event is append-only (its triggers refuse
UPDATE), and no page reads the channel from it (the case page labels `case.channel`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""UPDATE "case" SET channel = 'liaison' WHERE channel = 'ledger'""")


def downgrade():
    op.execute("""UPDATE "case" SET channel = 'ledger' WHERE channel = 'liaison'""")
