"""How long personal data is kept, and erasing it: one function for every path.

An entry and its people are erased

- `RETENTION_AFTER_BOOKING_DAYS` days after they booked through the list
  (entry state BOOKED; the booking moment is the entry's last change),
- `RETENTION_AFTER_LAPSE_DAYS` days after their availability ran out without
  being renewed (`available_until` older than that; an entry that never had
  any availability counts from its registration), and
- at once when they leave the list (`entries.withdraw`, which calls
  `erase_entry`), and
- at once when nobody in the entry may be invited and someone registers
  again with one of its numbers (`entries.find_registered_person`).

`erase_entry` is the only code that erases an entry. It leaves no national
number, name, e-mail address, phone number or vaccination code behind:
people, centre choices and submissions are deleted, the texts and addresses
of the entry's messages are blanked, and every other row that pointed at the
entry or its people (invitations, claims...) keeps its ids and states with
the pointer set to NULL. What reports still need is added to `ErasureTally`
as counts (registration day, postcode, kind, channel, centres), and one audit
event records the erasure.

Besides, `purge_submissions` deletes posted forms after their time to live,
and `erase_message_texts` blanks address, subject and text of every message
once it is sent or has failed: the row stays, with purpose, channel, state
and times, for monitoring.

Nothing here commits; the job (jobs/retention.py) commits per batch.
"""

import importlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, inspect, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import (
    Campaign,
    Entry,
    EntryCentre,
    EntryState,
    ErasureTally,
    Invitation,
    InvitationState,
    MessageState,
    OutboxMessage,
    Person,
    StaffUser,
    Submission,
)
from app.services import audit
from app.services.entries import SUBMISSION_TTL

logger = logging.getLogger(__name__)

BRUSSELS = ZoneInfo("Europe/Brussels")

BOOKED = "booked"
LAPSED = "lapsed"
WITHDRAWN = "withdrawn"
# A registration with a number of an entry nobody may be invited from
# (entries.find_registered_person).
REPLACED = "replaced"
REASONS = (BOOKED, LAPSED, WITHDRAWN, REPLACED)

# Entry states whose availability can lapse.
ON_THE_LIST = (
    EntryState.PENDING,
    EntryState.ACTIVE,
    EntryState.INACTIVE,
    EntryState.PAUSED,
)

TALLY_REGISTERED = "registered"
TALLY_INVITED = "invited"
ALL_CENTRES = 0  # ErasureTally.centre_id of the row for all centres together
TALLY_KEY = (
    "event",
    "day",
    "centre_id",
    "kind",
    "is_companion",
    "registered_by_role",
    "postcode",
    "reason",
)


@dataclass(frozen=True)
class Policy:
    """How many days data is kept; from the settings of the same names."""

    after_booking_days: int = 3
    after_lapse_days: int = 30

    @classmethod
    def from_config(cls, config):
        return cls(
            after_booking_days=int(config["RETENTION_AFTER_BOOKING_DAYS"]),
            after_lapse_days=int(config["RETENTION_AFTER_LAPSE_DAYS"]),
        )


def local_date(moment):
    return moment.astimezone(BRUSSELS).date()


# Which entries are due ----------------------------------------------------------


def _cutoffs(policy, now):
    booked_before = now - timedelta(days=policy.after_booking_days)
    lapsed_before = local_date(now) - timedelta(days=policy.after_lapse_days)
    registered_before = now - timedelta(days=policy.after_lapse_days)
    return booked_before, lapsed_before, registered_before


def due_entries(policy, now=None, limit=500):
    """Up to `limit` (entry id, reason) pairs whose data must now be erased."""
    # Limitation: the booking moment is the entry's last change (updated_at,
    # set when invitations.mark_booked makes it BOOKED); a later change to a
    # booked entry would postpone its erasure. A booked_at column would be exact.
    now = now or datetime.now(UTC)
    booked_before, lapsed_before, registered_before = _cutoffs(policy, now)
    booked = select(Entry.id).where(
        Entry.state == EntryState.BOOKED, Entry.updated_at <= booked_before
    )
    lapsed = select(Entry.id).where(
        Entry.state.in_(ON_THE_LIST),
        or_(
            Entry.available_until < lapsed_before,
            and_(
                Entry.available_until.is_(None),
                Entry.registered_at < registered_before,
            ),
        ),
    )
    withdrawn = select(Entry.id).where(Entry.state == EntryState.WITHDRAWN)
    due = []
    for reason, query in ((WITHDRAWN, withdrawn), (BOOKED, booked), (LAPSED, lapsed)):
        room = limit - len(due)
        if room <= 0:
            break
        ids = db.session.scalars(query.order_by(Entry.id).limit(room)).all()
        due.extend((entry_id, reason) for entry_id in ids)
    return due


def erasure_reason(entry, policy, now=None):
    """Why `entry` must be erased now, or None (the same rules as due_entries)."""
    now = now or datetime.now(UTC)
    booked_before, lapsed_before, registered_before = _cutoffs(policy, now)
    if entry.state == EntryState.WITHDRAWN:
        return WITHDRAWN
    if entry.state == EntryState.BOOKED:
        return BOOKED if entry.updated_at <= booked_before else None
    if entry.state in ON_THE_LIST:
        if entry.available_until is not None:
            return LAPSED if entry.available_until < lapsed_before else None
        return LAPSED if entry.registered_at < registered_before else None
    return None


def erase_if_due(entry_id, policy, now=None):
    """Lock the entry, check the rules again, erase it; the reason, or None."""
    now = now or datetime.now(UTC)
    entry = db.session.scalar(
        select(Entry).where(Entry.id == entry_id).with_for_update()
    )
    if entry is None:
        return None
    reason = erasure_reason(entry, policy, now)
    if reason is not None:
        erase_entry(entry, reason, now=now)
    return reason


# Erasing -------------------------------------------------------------------------


def erase_entry(entry, reason, actor=audit.SYSTEM, now=None):
    """Erase `entry` and its people for `reason`; keep only counts and ids.

    `actor` is who asked (audit.CITIZEN for a withdrawal, a staff user, or
    audit.SYSTEM for retention). Runs in the caller's transaction.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown erasure reason {reason!r}")
    now = now or datetime.now(UTC)
    db.session.flush()
    entry_id = entry.id
    person_ids = [person.id for person in entry.people]

    _tally(entry, reason)
    _erase_messages(entry_id, now)
    _cancel_open_invitations(entry_id, now)
    _detach("person", person_ids)
    _detach("entry", [entry_id])
    for model, condition in (
        (Person, Person.entry_id == entry_id),
        (Entry, Entry.id == entry_id),
    ):
        db.session.execute(
            delete(model).where(condition).execution_options(synchronize_session=False)
        )
    _forget_loaded(entry_id)

    audit.record(actor, audit.ENTRY_ERASED, entry_id, reason, at=now)
    logger.info("entry %s erased (%s), %d people", entry_id, reason, len(person_ids))


def _erase_messages(entry_id, now):
    """Stop the entry's unsent messages; blank every message's address and text."""
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.entry_id == entry_id,
            OutboxMessage.state == MessageState.QUEUED,
        )
        .values(state=MessageState.FAILED, last_error="erased")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.entry_id == entry_id)
        .values(recipient=None, subject=None, body=None, entry_id=None)
        .execution_options(synchronize_session=False)
    )


def _cancel_open_invitations(entry_id, now):
    """An invitation still running for someone erased is withdrawn; its
    campaign then invites the next person."""
    campaigns = db.session.scalars(
        select(Invitation.campaign_id).where(
            Invitation.entry_id == entry_id,
            Invitation.state.in_(InvitationState.OPEN),
        )
    ).all()
    if not campaigns:
        return
    db.session.execute(
        update(Invitation)
        .where(
            Invitation.entry_id == entry_id,
            Invitation.state.in_(InvitationState.OPEN),
        )
        .values(state=InvitationState.CANCELLED, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    follow_up = _invitations_hook("after_commit_wave")
    for campaign_id in set(campaigns):
        if follow_up is not None:
            follow_up(campaign_id)


def _invitations_hook(name):
    """`app.services.invitations.<name>`, or None while it does not exist."""
    module_name = "app.services.invitations"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    return getattr(module, name, None)


def _detach(table_name, ids):
    """Every row of another table pointing at these `table_name` rows: deleted
    when its foreign key cascades, else its pointer set to NULL.

    Found from the schema, so tables added later are covered without changing
    this module (the erasure test dumps every table to prove it).
    """
    if not ids:
        return
    for table in db.metadata.sorted_tables:
        if table.name in ("entry", "person"):
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name != table_name:
                continue
            column = fk.parent
            condition = column.in_(ids)
            if (fk.ondelete or "").upper() == "CASCADE":
                db.session.execute(table.delete().where(condition))
            elif column.nullable:
                db.session.execute(
                    table.update().where(condition).values({column.name: None})
                )
            else:
                raise RuntimeError(
                    f"{table.name}.{column.name} must cascade or be nullable "
                    "for erasure"
                )


def _forget_loaded(entry_id):
    """Drop the erased rows from the session; reload the rows that pointed at
    them (their pointers were changed behind the ORM's back)."""
    erased = []
    for obj in list(db.session.identity_map.values()):
        state = inspect(obj)
        # Only what is loaded is read: reading an expired attribute would load
        # it, and the row may be one the erasure has just deleted.
        loaded = state.dict
        if isinstance(obj, Entry):
            if state.identity == (entry_id,):
                erased.append(obj)
        elif isinstance(obj, Person | EntryCentre | Submission):
            if loaded.get("entry_id") == entry_id:
                erased.append(obj)
        elif loaded.get("entry_id") == entry_id or hasattr(type(obj), "person_id"):
            db.session.expire(obj)
    for obj in erased:
        if obj in db.session:  # expunging an entry takes its centres along
            db.session.expunge(obj)


# Counts that outlive the erasure ----------------------------------------------


def _tally(entry, reason):
    role = ""
    if entry.registered_by_id is not None:
        role = db.session.scalar(
            select(StaffUser.role).where(StaffUser.id == entry.registered_by_id)
        )
    common = {
        "kind": entry.kind,
        "is_companion": bool(entry.is_companion),
        "registered_by_role": role or "",
        "postcode": entry.postcode,
        "reason": reason,
    }
    centres = [ALL_CENTRES, *entry.centre_ids]
    counts = Counter()
    # Registered, as the reports count it: only people who were accepted.
    accepted = [person for person in entry.people if person.accepted_at is not None]
    for person in accepted:
        day = local_date(person.created_at)
        for centre_id in centres:
            counts[(TALLY_REGISTERED, day, centre_id), "people"] += 1
    for centre_id in centres if accepted else ():
        day = local_date(entry.registered_at)
        counts[(TALLY_REGISTERED, day, centre_id), "entries"] += 1

    sent = db.session.execute(
        select(Invitation.sent_at, Invitation.size, Invitation.campaign_id).where(
            Invitation.entry_id == entry.id, Invitation.sent_at.is_not(None)
        )
    ).all()
    for sent_at, size, campaign_id in sent:
        centre_id = _campaign_centre(campaign_id)
        for centre in (ALL_CENTRES, centre_id):
            counts[(TALLY_INVITED, local_date(sent_at), centre), "people"] += size
            counts[(TALLY_INVITED, local_date(sent_at), centre), "entries"] += 1

    rows = {}
    for (key, measure), value in counts.items():
        rows.setdefault(key, {"people": 0, "entries": 0})[measure] += value
    for (event, day, centre_id), measures in sorted(rows.items()):
        _increment(
            {"event": event, "day": day, "centre_id": centre_id, **common}, **measures
        )


def _campaign_centre(campaign_id):
    return db.session.scalar(
        select(Campaign.centre_id).where(Campaign.id == campaign_id)
    )


def _increment(key, people, entries):
    """Add to the tally row of `key`, creating it when needed, in one statement
    (safe when two erasures count on the same row at the same time)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ErasureTally).values(**key, people=people, entries=entries)
    statement = statement.on_conflict_do_update(
        index_elements=list(TALLY_KEY),
        set_={
            "people": ErasureTally.people + statement.excluded.people,
            "entries": ErasureTally.entries + statement.excluded.entries,
        },
    )
    db.session.execute(statement)


def tally(event, first_day, last_day, centre_id=None):
    """Counts of erased entries for reports: rows of ErasureTally of `event`
    ("registered" or "invited") from `first_day` to `last_day` (Brussels days,
    both included), for all centres (None) or one centre."""
    return db.session.scalars(
        select(ErasureTally)
        .where(
            ErasureTally.event == event,
            ErasureTally.day >= first_day,
            ErasureTally.day <= last_day,
            ErasureTally.centre_id == (centre_id or ALL_CENTRES),
        )
        .order_by(ErasureTally.day, ErasureTally.id)
    ).all()


# Submissions and message texts --------------------------------------------------


def purge_submissions(now=None, limit=1000):
    """Delete up to `limit` posted forms older than their time to live."""
    now = now or datetime.now(UTC)
    ids = db.session.scalars(
        select(Submission.id)
        .where(Submission.created_at < now - SUBMISSION_TTL)
        .order_by(Submission.id)
        .limit(limit)
    ).all()
    if ids:
        db.session.execute(
            delete(Submission)
            .where(Submission.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def erase_message_texts(limit=1000):
    """Blank address, subject and text of up to `limit` messages that are sent
    or failed; return how many."""
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.state.in_((MessageState.SENT, MessageState.FAILED)),
            or_(
                OutboxMessage.recipient.is_not(None),
                OutboxMessage.subject.is_not(None),
                OutboxMessage.body.is_not(None),
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    if ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(recipient=None, subject=None, body=None)
            .execution_options(synchronize_session=False)
        )
    return len(ids)
