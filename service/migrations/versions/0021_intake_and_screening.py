"""intake and screening: applicants' states, screening records, intake history, the waiting
list's target and the notices sent to mentees who have waited long

Revision ID: 0021
Revises: 0019
Create Date: 2026-11-29 15:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participants", schema=None) as batch_op:
        # Everyone already there was added directly: approved.
        batch_op.add_column(
            sa.Column(
                "intake_state", sa.String(length=12), server_default="approved", nullable=False
            )
        )
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("screening_interview", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "screening_references", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("waiting_target_days", sa.Integer(), nullable=True))
    op.create_table(
        "screenings",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=True),
        sa.Column("application", sa.Text(), server_default="", nullable=False),
        sa.Column("interview_on", sa.Date(), nullable=True),
        sa.Column("interview_notes", sa.Text(), server_default="", nullable=False),
        sa.Column("references_on", sa.Date(), nullable=True),
        sa.Column("references_notes", sa.Text(), server_default="", nullable=False),
        sa.Column("background_check", sa.String(length=10), nullable=True),
        sa.Column("background_check_expires_on", sa.Date(), nullable=True),
        sa.Column("expiry_reminded_for", sa.Date(), nullable=True),
        sa.Column("guardian_consent_on", sa.Date(), nullable=True),
        sa.Column("guardian_consent_by", sa.String(length=200), server_default="", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_screenings_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_screenings")),
    )
    op.create_index(
        "ix_screenings_background_check_expires_on",
        "screenings",
        ["background_check_expires_on"],
    )
    op.create_table(
        "intake_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_intake_records_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_records")),
    )
    op.create_index("ix_intake_records_participant_id", "intake_records", ["participant_id"])
    op.create_table(
        "waiting_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("threshold_days", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_waiting_notices_participant_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiting_notices")),
        sa.UniqueConstraint(
            "participant_id",
            "waiting_since",
            "threshold_days",
            name=op.f("uq_waiting_notices_participant_id_waiting_since_threshold_days"),
        ),
    )


def downgrade():
    op.drop_table("waiting_notices")
    op.drop_index("ix_intake_records_participant_id", table_name="intake_records")
    op.drop_table("intake_records")
    op.drop_index("ix_screenings_background_check_expires_on", table_name="screenings")
    op.drop_table("screenings")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("waiting_target_days")
        batch_op.drop_column("screening_references")
        batch_op.drop_column("screening_interview")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("intake_state")
