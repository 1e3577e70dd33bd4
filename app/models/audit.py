"""The audit trail: who read or changed which entry, and when.

Rows are only ever inserted, in the same transaction as what they record;
the application has no code path that updates or deletes them.
"""

from app.extensions import db
from app.models.registration import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("staff_user.id"))
    actor_role = db.Column(db.String(16))
    action = db.Column(db.String(32), nullable=False)
    # Ids only; an entry id stays even after the entry is erased.
    entry_id = db.Column(db.Integer, index=True)
    detail = db.Column(db.String(200))
