"""Direct slots (situation a): open moments a centre announces, the claims
people make on them, and the notifications the booking system must receive.

`open_moment.claimed` counts the claims that hold a slot (being checked or
confirmed). It only ever changes through one conditional UPDATE
(`claimed = claimed + 1 ... WHERE claimed < slots`), so simultaneous claims
can never over-fill a moment; the CHECK constraint is the backstop.
"""

from app.extensions import db
from app.models.registration import UTCDateTime, utcnow


class MomentState:
    OPEN = "open"
    CLOSED = "closed"  # closed by staff: no new claims
    ALL = (OPEN, CLOSED)


class OpenMoment(db.Model):
    __tablename__ = "open_moment"

    id = db.Column(db.Integer, primary_key=True)
    centre_id = db.Column(db.Integer, db.ForeignKey("centre.id"), nullable=False)
    # Wall-clock moment in Europe/Brussels, and the same as UTC instants.
    day = db.Column(db.Date, nullable=False)
    start_time = db.Column(db.Time, nullable=False)
    end_time = db.Column(db.Time, nullable=False)
    starts_at = db.Column(UTCDateTime, nullable=False)
    ends_at = db.Column(UTCDateTime, nullable=False)
    slots = db.Column(db.Integer, nullable=False)
    claimed = db.Column(db.Integer, nullable=False, default=0)
    state = db.Column(db.String(8), nullable=False, default=MomentState.OPEN)
    created_by_id = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    closed_at = db.Column(UTCDateTime)

    centre = db.relationship("Centre")

    __table_args__ = (
        db.CheckConstraint("slots BETWEEN 1 AND 500", name="moment_slots_range"),
        db.CheckConstraint(
            "claimed >= 0 AND claimed <= slots", name="claimed_within_slots"
        ),
        db.CheckConstraint("starts_at < ends_at", name="moment_order"),
        db.Index("ix_open_moment_state_ends", "state", "ends_at"),
        db.Index("ix_open_moment_centre_day", "centre_id", "day"),
    )

    @property
    def free(self):
        return max(self.slots - self.claimed, 0)


class ClaimState:
    CHECKING = "checking"  # holds a slot while eligibility is checked
    CONFIRMED = "confirmed"  # invited: holds the slot for good
    REFUSED = "refused"  # slot released
    ALL = (CHECKING, CONFIRMED, REFUSED)


class ClaimReason:
    """Why a claim was refused (never shown as such on the public page)."""

    NOT_ELIGIBLE = "not_eligible"
    ALREADY_REGISTERED = "already_registered"
    MOMENT_PASSED = "moment_passed"
    ALL = (NOT_ELIGIBLE, ALREADY_REGISTERED, MOMENT_PASSED)


class DirectClaim(db.Model):
    """One person's claim of a slot of an open moment, followed by its token."""

    __tablename__ = "direct_claim"

    id = db.Column(db.Integer, primary_key=True)
    token = db.Column(db.String(43), nullable=False, unique=True)
    moment_id = db.Column(
        db.Integer, db.ForeignKey("open_moment.id"), nullable=False, index=True
    )
    # The direct entry made for the claim; NULL when the national number was
    # already on the list (then `person_id` is that person) or after erasure.
    entry_id = db.Column(
        db.Integer, db.ForeignKey("entry.id", ondelete="SET NULL"), index=True
    )
    person_id = db.Column(db.Integer, db.ForeignKey("person.id", ondelete="SET NULL"))
    language = db.Column(db.String(2), nullable=False)
    state = db.Column(db.String(12), nullable=False, default=ClaimState.CHECKING)
    reason = db.Column(db.String(24))
    check_attempts = db.Column(db.Integer, nullable=False, default=0)
    # While checking: when the next attempt is due (the sweep's index).
    next_check_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    decided_at = db.Column(UTCDateTime)
    # When the vaccination code database accepted "invited" for the person.
    vcdb_marked_at = db.Column(UTCDateTime)

    moment = db.relationship("OpenMoment")
    entry = db.relationship("Entry")
    person = db.relationship("Person")

    __table_args__ = (db.Index("ix_direct_claim_state_due", "state", "next_check_at"),)


class NotificationState:
    PENDING = "pending"
    SENT = "sent"  # the booking system gave a receipt
    FAILED = "failed"  # refused by the booking system: needs a person
    ALL = (PENDING, SENT, FAILED)


class BookingNotification(db.Model):
    """A message to the regular booking system, kept until it is received.

    `notification_id` is sent with it: the booking system records a given id
    once, so sending again after any failure never counts twice.
    """

    __tablename__ = "booking_notification"

    id = db.Column(db.Integer, primary_key=True)
    notification_id = db.Column(db.String(36), nullable=False, unique=True)
    claim_id = db.Column(
        db.Integer, db.ForeignKey("direct_claim.id"), nullable=False, unique=True
    )
    state = db.Column(db.String(8), nullable=False, default=NotificationState.PENDING)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = db.Column(UTCDateTime)
    last_error = db.Column(db.String(200))

    claim = db.relationship("DirectClaim")

    __table_args__ = (
        db.Index("ix_booking_notification_due", "state", "next_attempt_at"),
    )
