"""person.accepted_at: when the check first put the person on the list

Revision ID: 3c9d5e1a7b20
Revises: 0f4a22992373
Create Date: 2026-12-04 08:50:00

Reports count as registered only the people whose registration was accepted;
a refused registration is not someone on the list. Existing rows: a person
found eligible, or in an entry that was on the list (active, paused,
booked), is taken as accepted at their last check, or else at creation.
"""

from alembic import op
import sqlalchemy as sa


revision = "3c9d5e1a7b20"
down_revision = "0f4a22992373"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(
            sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        """
        UPDATE person SET accepted_at = COALESCE(checked_at, created_at)
        WHERE eligibility = 'eligible'
           OR entry_id IN (
               SELECT id FROM entry WHERE state IN ('active', 'paused', 'booked')
           )
        """
    )


def downgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("accepted_at")
