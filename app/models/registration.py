"""People on the reserve list, and the entries that are ranked and invited.

An *entry* is the unit a centre invites: one person, or a group of up to four
sharing one availability (ranked by its oldest member, taking one slot per
member). A *person* belongs to exactly one entry; the national number is the
only unique key, through its keyed hash.

Availability is kept compact: `avail_bits` holds one bit per day part, three
per day, counted from `avail_from_day` (days since 1970-01-01). The ranking
reads it from `entry_centre`, a copy of each entry's ranking fields per chosen
centre, so one index walked in rank order answers a campaign.
"""

import secrets
from datetime import UTC, datetime

from app.crypto import EncryptedText
from app.extensions import db


def utcnow():
    return datetime.now(UTC)


def _first_link_version():
    return secrets.randbelow(2**30) + 1


class UTCDateTime(db.TypeDecorator):
    """Timezone-aware UTC instants on every database (SQLite forgets the zone)."""

    impl = db.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


class EntryKind:
    SELF = "self"
    GROUP = "group"
    COMPANION = "companion"
    THIRD_PARTY = "third_party"
    PATIENT = "patient"
    DIRECT = "direct"
    ALL = (SELF, GROUP, COMPANION, THIRD_PARTY, PATIENT, DIRECT)


class EntryState:
    PENDING = "pending"  # eligibility check under way
    ACTIVE = "active"  # on the list, may be invited
    INACTIVE = "inactive"  # nobody in it may be invited
    PAUSED = "paused"  # asked to confirm after unanswered invitations
    BOOKED = "booked"  # booked through the list; erased after retention
    WITHDRAWN = "withdrawn"
    ALL = (PENDING, ACTIVE, INACTIVE, PAUSED, BOOKED, WITHDRAWN)


class Eligibility:
    PENDING = "pending"
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    BOOKED = "booked"
    VACCINATED = "vaccinated"
    UNKNOWN = "unknown"
    ALL = (PENDING, ELIGIBLE, NOT_ELIGIBLE, BOOKED, VACCINATED, UNKNOWN)


class Entry(db.Model):
    __tablename__ = "entry"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(16), nullable=False, default=EntryKind.SELF)
    state = db.Column(db.String(16), nullable=False, default=EntryState.PENDING)
    language = db.Column(db.String(2), nullable=False)
    postcode = db.Column(db.String(4), nullable=False)
    # Ranking: oldest member's birth day as days since 1970 (NULL: not known
    # reliably yet, ranked after everyone), members who may be invited.
    rank_birth_day = db.Column(db.Integer)
    size = db.Column(db.SmallInteger, nullable=False, default=1)
    is_companion = db.Column(db.Boolean, nullable=False, default=False)
    # Companion (situation d): the vaccination code of the person accompanied.
    companion_code = db.Column(EncryptedText)
    avail_from_day = db.Column(db.Integer)
    avail_bits = db.Column(db.BigInteger, nullable=False, default=0)
    available_until = db.Column(db.Date)
    reminded_for = db.Column(db.Date)
    # Who receives invitations: the person or group responsible ("person"), or
    # the registering doctor ("doctor").
    recipient = db.Column(db.String(8), nullable=False, default="person")
    doctor_id = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    registered_by_id = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    unanswered_count = db.Column(db.SmallInteger, nullable=False, default=0)
    # Part of every personal link: bumped to invalidate the links sent before.
    # It starts at a random value, so a link to an erased entry can never open
    # a later entry that got the same id (SQLite reuses freed ids).
    link_version = db.Column(db.Integer, nullable=False, default=_first_link_version)
    registered_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    people = db.relationship(
        "Person", back_populates="entry", order_by="Person.id", lazy="selectin"
    )
    centres = db.relationship(
        "EntryCentre", back_populates="entry", cascade="all, delete-orphan"
    )

    __table_args__ = (
        db.CheckConstraint("size BETWEEN 0 AND 4", name="size_range"),
        db.Index("ix_entry_state_until", "state", "available_until"),
    )

    @property
    def responsible(self):
        """The person who receives messages for the entry."""
        for person in self.people:
            if person.is_responsible:
                return person
        return self.people[0] if self.people else None

    @property
    def centre_ids(self):
        return [link.centre_id for link in self.centres]


class Person(db.Model):
    __tablename__ = "person"

    id = db.Column(db.Integer, primary_key=True)
    entry_id = db.Column(
        db.Integer, db.ForeignKey("entry.id", ondelete="CASCADE"), nullable=False
    )
    ssin_hash = db.Column(db.String(64), nullable=False, unique=True)
    ssin = db.Column(EncryptedText, nullable=False)
    last_name = db.Column(EncryptedText, nullable=False)
    first_name = db.Column(EncryptedText, nullable=False)
    email = db.Column(EncryptedText, nullable=False)
    mobile = db.Column(EncryptedText, nullable=False)
    birth_day = db.Column(db.Integer)  # days since 1970; NULL when not known
    is_responsible = db.Column(db.Boolean, nullable=False, default=True)
    eligibility = db.Column(db.String(16), nullable=False, default=Eligibility.PENDING)
    vaccination_code = db.Column(EncryptedText)
    checked_at = db.Column(UTCDateTime)
    # When a check first found the person eligible: from then on they count
    # as registered in the reports (a refused registration does not).
    accepted_at = db.Column(UTCDateTime)
    check_attempts = db.Column(db.Integer, nullable=False, default=0)
    # While the check is pending: when the next attempt is due.
    next_check_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    entry = db.relationship("Entry", back_populates="people")

    __table_args__ = (
        db.Index("ix_person_eligibility", "eligibility", "next_check_at"),
    )


class EntryCentre(db.Model):
    """An entry's ranking fields, copied per centre it chose (kept in step by
    app.services.entries.sync_ranking)."""

    __tablename__ = "entry_centre"

    entry_id = db.Column(
        db.Integer, db.ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True
    )
    centre_id = db.Column(db.Integer, db.ForeignKey("centre.id"), primary_key=True)
    rankable = db.Column(db.Boolean, nullable=False, default=False)
    # 0 for a companion, 1 for everyone else: companions come first.
    priority = db.Column(db.SmallInteger, nullable=False, default=1)
    rank_birth_day = db.Column(db.Integer)
    registered_at = db.Column(UTCDateTime, nullable=False)
    avail_from_day = db.Column(db.Integer)
    avail_bits = db.Column(db.BigInteger, nullable=False, default=0)
    size = db.Column(db.SmallInteger, nullable=False, default=1)

    entry = db.relationship("Entry", back_populates="centres")
    centre = db.relationship("Centre")

    __table_args__ = (
        # Walked in rank order: companions first, then oldest, then earliest.
        db.Index(
            "ix_entry_centre_rank",
            "centre_id",
            "priority",
            "rank_birth_day",
            "registered_at",
            "entry_id",
            postgresql_where=db.text("rankable"),
            sqlite_where=db.text("rankable"),
            postgresql_include=["avail_from_day", "avail_bits", "size"],
        ),
    )


class Submission(db.Model):
    """One posted registration form, followed by its token on the status page.

    For a national number already on the list, the proposed data waits here
    (encrypted) until the address already registered confirms it.
    """

    __tablename__ = "submission"

    id = db.Column(db.Integer, primary_key=True)
    token = db.Column(db.String(43), nullable=False, unique=True)
    entry_id = db.Column(db.Integer, db.ForeignKey("entry.id", ondelete="CASCADE"))
    is_update = db.Column(db.Boolean, nullable=False, default=False)
    payload = db.Column(EncryptedText)
    language = db.Column(db.String(2), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    # When the person was told the outcome by e-mail (once).
    notified_at = db.Column(UTCDateTime)
    applied_at = db.Column(UTCDateTime)

    entry = db.relationship("Entry")
