"""the calendar keeps to the practice: a minimum spacing between a participant's check-ins

Revision ID: 0012
Revises: 0016
Create Date: 2026-11-29 12:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("programs") as batch_op:
        batch_op.add_column(
            sa.Column("checkin_spacing_days", sa.Integer(), server_default="7", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("programs") as batch_op:
        batch_op.drop_column("checkin_spacing_days")
