"""Last-minute campaigns of a centre, and the invitations they send."""

from app.extensions import db
from app.models.registration import UTCDateTime, utcnow


class CampaignState:
    OPEN = "open"
    FULL = "full"  # every slot booked
    CLOSED = "closed"  # closed by staff, or its time has passed
    ALL = (OPEN, FULL, CLOSED)


class Campaign(db.Model):
    __tablename__ = "campaign"

    id = db.Column(db.Integer, primary_key=True)
    centre_id = db.Column(db.Integer, db.ForeignKey("centre.id"), nullable=False)
    # Wall-clock window in Europe/Brussels, and the same as UTC instants.
    day = db.Column(db.Date, nullable=False)
    start_time = db.Column(db.Time, nullable=False)
    end_time = db.Column(db.Time, nullable=False)
    starts_at = db.Column(UTCDateTime, nullable=False)
    ends_at = db.Column(UTCDateTime, nullable=False)
    slots = db.Column(db.Integer, nullable=False)
    min_age = db.Column(db.SmallInteger)
    # No invitation is sent later than this many minutes before the end.
    margin_minutes = db.Column(db.SmallInteger, nullable=False, default=30)
    # People invited per open slot (raised by staff when time runs short).
    per_slot = db.Column(db.SmallInteger, nullable=False, default=1)
    state = db.Column(db.String(8), nullable=False, default=CampaignState.OPEN)
    created_by_id = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    closed_at = db.Column(UTCDateTime)

    centre = db.relationship("Centre")
    invitations = db.relationship(
        "Invitation", back_populates="campaign", order_by="Invitation.id"
    )

    __table_args__ = (
        db.CheckConstraint("slots BETWEEN 1 AND 500", name="slots_range"),
        db.CheckConstraint("per_slot BETWEEN 1 AND 5", name="per_slot_range"),
        db.Index("ix_campaign_centre_day", "centre_id", "day"),
    )


class InvitationState:
    QUEUED = "queued"  # created, message not yet handed to mail/SMS
    SENT = "sent"  # handed over; the 30 minutes run
    BOOKED = "booked"
    EXPIRED = "expired"  # 30 minutes passed without a booking
    DECLINED = "declined"  # "I cannot come"
    UNDELIVERABLE = "undeliverable"
    CANCELLED = "cancelled"  # slots gone or campaign closed before booking
    OPEN = (QUEUED, SENT)
    ALL = (QUEUED, SENT, BOOKED, EXPIRED, DECLINED, UNDELIVERABLE, CANCELLED)


class Invitation(db.Model):
    __tablename__ = "invitation"

    id = db.Column(db.Integer, primary_key=True)
    campaign_id = db.Column(
        db.Integer, db.ForeignKey("campaign.id"), nullable=False, index=True
    )
    # Kept after erasure of the entry (for reports), hence SET NULL.
    entry_id = db.Column(db.Integer, db.ForeignKey("entry.id", ondelete="SET NULL"))
    size = db.Column(db.SmallInteger, nullable=False, default=1)
    state = db.Column(db.String(16), nullable=False, default=InvitationState.QUEUED)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = db.Column(UTCDateTime)
    expires_at = db.Column(UTCDateTime)
    answered_at = db.Column(UTCDateTime)

    campaign = db.relationship("Campaign", back_populates="invitations")
    entry = db.relationship("Entry")

    __table_args__ = (
        # Never twice the same entry in one campaign, whatever runs twice.
        db.UniqueConstraint("campaign_id", "entry_id", name="uq_invitation_once"),
        # At most one open invitation per entry across all centres.
        db.Index(
            "uq_invitation_one_open",
            "entry_id",
            unique=True,
            postgresql_where=db.text("state IN ('queued', 'sent')"),
            sqlite_where=db.text("state IN ('queued', 'sent')"),
        ),
    )
