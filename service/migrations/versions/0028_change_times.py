"""change times: pairs and contacts record when they last changed (the warehouse export)

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-29 22:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# What each table's rows last changed at, as well as can be told before the column existed.
BACKFILL = {
    "pairs": "CASE WHEN state_changed_at > created_at THEN state_changed_at ELSE created_at END",
    "contacts": "CASE WHEN done_at > created_at THEN done_at ELSE created_at END",
}


def upgrade():
    for table, backfill in BACKFILL.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET updated_at = {backfill}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False
            )


def downgrade():
    for table in reversed(BACKFILL):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("updated_at")
