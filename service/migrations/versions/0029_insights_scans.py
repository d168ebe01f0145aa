"""insights' scans: the contacts' and meetings' indexes by pair hold what the insights read

The insights read, for each of a program's pairs, its contacts (response rates, staff
practice, fidelity) and its held meetings (per month). The indexes by pair found those rows,
and each was then read from the table; these hold the columns read as well, so the index
alone answers. They replace the two they extend (their queries use the same first columns).

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-30 02:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

CONTACTS = [
    "pair_id",
    "status",
    "recipient",
    "kind",
    "due_at",
    "done_at",
    "participant_id",
    "reminders_sent",
]
MEETINGS = ["pair_id", "occurred_at", "status"]


def upgrade():
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_pair_id_status")
        batch_op.create_index("ix_contacts_pair_id_status_read", CONTACTS, unique=False)
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_pair_id_occurred_at")
        batch_op.create_index("ix_meetings_pair_id_occurred_at_status", MEETINGS, unique=False)


def downgrade():
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_pair_id_occurred_at_status")
        batch_op.create_index(
            "ix_meetings_pair_id_occurred_at", ["pair_id", "occurred_at"], unique=False
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_pair_id_status_read")
        batch_op.create_index("ix_contacts_pair_id_status", ["pair_id", "status"], unique=False)
