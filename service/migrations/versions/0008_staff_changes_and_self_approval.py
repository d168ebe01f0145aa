"""staff changes on pairs (who handed a pair to whom) and the self-approval setting

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 04:27:13.900495

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=True),
        sa.Column("to_user_id", sa.Integer(), nullable=True),
        sa.Column("changed_by_kind", sa.String(length=10), nullable=False),
        sa.Column("changed_by_id", sa.String(length=64), nullable=True),
        sa.Column("changed_by_label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["users.id"], name=op.f("fk_staff_changes_from_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_staff_changes_pair_id_pairs")
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"], ["users.id"], name=op.f("fk_staff_changes_to_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_changes")),
    )
    with op.batch_alter_table("staff_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_changes_pair_id"), ["pair_id"], unique=False)

    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "allow_self_approval", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("allow_self_approval")

    with op.batch_alter_table("staff_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_changes_pair_id"))

    op.drop_table("staff_changes")
