"""The audit trail: who read or changed which entry, and when.

Rows are only ever inserted, in the same transaction as what they record
(app.services.audit.record); the application has no code path that updates
or deletes them. The ORM refuses to (`AuditTrailError`), a test checks the
code base for such statements, and on PostgreSQL a trigger refuses UPDATE.
"""

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.registration import UTCDateTime, utcnow

# Limitation: the PostgreSQL trigger refuses UPDATE only, not DELETE, because
# the test suite empties every table with DELETE; in production the
# application's database role must not hold DELETE on audit_event (README,
# "Audit trail"). How long events are kept is not decided yet: nothing purges
# them.


class AuditTrailError(RuntimeError):
    """Something tried to change or remove an audit event."""


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


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise AuditTrailError("audit events cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditTrailError("audit events cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state):
    """Bulk UPDATE and DELETE statements through a session are refused too."""
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        raise AuditTrailError("audit events cannot be changed or deleted")
