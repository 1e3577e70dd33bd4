"""What is left of erased entries: counts, never identities."""

from app.extensions import db


class ErasureTally(db.Model):
    """Counts of erased entries, so reports still add them up after erasure.

    Written by app.services.retention.erase_entry in the erasure's own
    transaction. One row per combination of the columns below; `people` and
    `entries` are incremented, never read back per person. `centre_id` 0 is
    the row for all centres together, so that a person who chose several
    centres counts once there and once under each centre chosen.
    """

    __tablename__ = "erasure_tally"

    id = db.Column(db.Integer, primary_key=True)
    # "registered": people on the day they registered (Europe/Brussels);
    # "invited": invitations sent to the entry, on the day they were sent.
    event = db.Column(db.String(16), nullable=False)
    day = db.Column(db.Date, nullable=False)
    centre_id = db.Column(db.Integer, nullable=False, default=0)
    kind = db.Column(db.String(16), nullable=False)
    is_companion = db.Column(db.Boolean, nullable=False, default=False)
    # Role of the staff member who registered the entry; "" for the person.
    registered_by_role = db.Column(db.String(16), nullable=False, default="")
    postcode = db.Column(db.String(4), nullable=False)
    # Why the entry was erased: "booked", "lapsed" or "withdrawn".
    reason = db.Column(db.String(16), nullable=False)
    # "registered": people and entries; "invited": people invited (the sum of
    # the invitations' sizes) and invitations.
    people = db.Column(db.Integer, nullable=False, default=0)
    entries = db.Column(db.Integer, nullable=False, default=0)

    __table_args__ = (
        db.UniqueConstraint(
            "event",
            "day",
            "centre_id",
            "kind",
            "is_companion",
            "registered_by_role",
            "postcode",
            "reason",
            name="uq_erasure_tally_key",
        ),
    )
