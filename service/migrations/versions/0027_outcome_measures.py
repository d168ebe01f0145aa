"""outcome measures: a program's setting, and the occasion each invitation was sent for

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-29 22:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outcome_measures", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("outcome_months", JSON, server_default="[6, 12]", nullable=False)
        )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("occasion", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_column("occasion")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("outcome_months")
        batch_op.drop_column("outcome_measures")
