"""indexes for keyset pages: pairs by program and state, participants by program,
proposals by status, and the inbox in its order

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 12:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_pairs_program_id_state")
        batch_op.create_index("ix_pairs_program_id_state_id", ["program_id", "state", "id"])
        batch_op.create_index("ix_pairs_program_id_id", ["program_id", "id"])
        batch_op.create_index("ix_pairs_state_id", ["state", "id"])
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index("ix_participants_program_id")
        batch_op.create_index("ix_participants_program_id_id", ["program_id", "id"])
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index("ix_proposals_status_id", ["status", "id"])
    for name, where in (("unread", "read_at IS NULL"), ("read", "read_at IS NOT NULL")):
        op.create_index(
            f"ix_inbox_items_{name}",
            "inbox_items",
            [
                "user_id",
                "urgent",
                "created_at",
                "id",
            ],
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade():
    op.drop_index("ix_inbox_items_read", table_name="inbox_items")
    op.drop_index("ix_inbox_items_unread", table_name="inbox_items")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_proposals_status_id")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index("ix_participants_program_id_id")
        batch_op.create_index("ix_participants_program_id", ["program_id"])
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_pairs_state_id")
        batch_op.drop_index("ix_pairs_program_id_id")
        batch_op.drop_index("ix_pairs_program_id_state_id")
        batch_op.create_index("ix_pairs_program_id_state", ["program_id", "state"])
