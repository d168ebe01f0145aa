"""calendars redrawn after a transition: pairs.calendar_stale and its partial index

Revision ID: 0019
Revises: 0024
Create Date: 2026-11-29 15:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("calendar_stale", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_index(
        "ix_pairs_calendar_stale",
        "pairs",
        ["id"],
        unique=False,
        sqlite_where=sa.text("calendar_stale = 1"),
        postgresql_where=sa.text("calendar_stale"),
    )


def downgrade():
    op.drop_index(
        "ix_pairs_calendar_stale",
        table_name="pairs",
        sqlite_where=sa.text("calendar_stale = 1"),
        postgresql_where=sa.text("calendar_stale"),
    )
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_column("calendar_stale")
