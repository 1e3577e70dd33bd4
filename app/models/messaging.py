"""The outbox: every message to a person, written in the same transaction as
the change that causes it, and delivered by a job."""

from app.crypto import EncryptedText
from app.extensions import db
from app.models.registration import UTCDateTime, utcnow


class MessageState:
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # permanently refused, or out of attempts
    ALL = (QUEUED, SENT, FAILED)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id = db.Column(db.Integer, primary_key=True)
    channel = db.Column(db.String(8), nullable=False)  # "email" or "sms"
    # What the message is about, e.g. "confirmation", "invitation", "reminder".
    purpose = db.Column(db.String(32), nullable=False)
    language = db.Column(db.String(2), nullable=False)
    # Address, subject and text: NULL once the message is sent or has failed
    # (app.services.retention), or when its entry is erased.
    recipient = db.Column(EncryptedText)
    subject = db.Column(EncryptedText)
    body = db.Column(EncryptedText)
    entry_id = db.Column(db.Integer, db.ForeignKey("entry.id", ondelete="SET NULL"))
    invitation_id = db.Column(db.Integer, db.ForeignKey("invitation.id"))
    state = db.Column(db.String(8), nullable=False, default=MessageState.QUEUED)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = db.Column(UTCDateTime)
    last_error = db.Column(db.String(200))

    __table_args__ = (db.Index("ix_outbox_due", "state", "next_attempt_at"),)
