"""The audit trail of personal data: who read or changed which entry, and when.

Call `record()` whenever a doctor, contact-centre agent, centre staff member
or operator reads or changes a person's entry, in the same transaction as
the read or change; the caller commits (or rolls back, and then the event is
gone together with the change it described)::

    entry = db.session.get(Entry, entry_id)
    audit.record(current_user, audit.ENTRY_READ, entry.id)
    ...
    db.session.commit()

Events are only ever added: `AuditEvent` refuses updates and deletes.
`detail` is for ids, field names and reasons ("email,mobile", "campaign 12"),
never for values: it refuses anything that looks like an e-mail address or a
national or phone number.
"""

import re

from app.extensions import db
from app.models import AuditEvent, utcnow

# Actions used so far; others may be added (at most 32 characters).
ENTRY_READ = "entry_read"  # a staff member opened a person's entry
ENTRY_CHANGED = "entry_changed"  # a staff member changed it (detail: fields)
ENTRY_REGISTERED = "entry_registered"  # a doctor or agent registered someone
ENTRY_CORRECTED = "entry_corrected"  # the person corrected it (detail: fields)
ENTRY_EXPORTED = "entry_exported"  # a copy of the data was downloaded
ENTRY_ERASED = "entry_erased"  # erased (detail: booked, lapsed, withdrawn)

# Who acted, when no staff member did.
CITIZEN = "citizen"  # the person, through their personal link
SYSTEM = "system"  # a scheduled job

_LOOKS_PERSONAL = re.compile(r"@|\d[\d .\-/]{7,}\d")


def record(actor, action, entry_id, detail=None, *, at=None):
    """Add an audit event to the current session (not committed); return it.

    `actor` is the staff user who acted (anything with `id` and `role`), or
    CITIZEN or SYSTEM. `entry_id` may be None for events about no entry.
    """
    if isinstance(actor, str):
        actor_id, actor_role = None, actor
    elif actor is None:
        actor_id, actor_role = None, SYSTEM
    else:
        actor_id, actor_role = actor.id, actor.role
    if not action or len(action) > 32:
        raise ValueError("an audit action is a short name of at most 32 characters")
    if detail is not None:
        detail = str(detail)
        if len(detail) > 200 or _LOOKS_PERSONAL.search(detail):
            raise ValueError("audit details hold ids and field names, not values")
    event = AuditEvent(
        at=at or utcnow(),
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        entry_id=entry_id,
        detail=detail,
    )
    db.session.add(event)
    return event


def events_for_entry(entry_id):
    """The audit events about one entry, oldest first."""
    return db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.entry_id == entry_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
