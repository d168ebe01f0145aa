"""pairs by mentee: a mentee's pairs, past and present (the waiting list, the profile)

Revision ID: 0017
Revises: 0014
Create Date: 2026-11-29 13:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.create_index("ix_pairs_mentee_id", ["mentee_id"])


def downgrade():
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_pairs_mentee_id")
