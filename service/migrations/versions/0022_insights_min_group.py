"""insights: the smallest group a program's figures are drawn from

Revision ID: 0022
Revises: 0018
Create Date: 2026-11-29 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("insights_min_group", sa.Integer(), server_default="5", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("insights_min_group")
