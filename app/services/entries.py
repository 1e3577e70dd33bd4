"""Putting people on the reserve list, and keeping their entry in step.

`register` takes checked data from any channel (the public form, later a
doctor or an agent) and either creates an entry or, for a national number
already on the list, keeps the new data aside until the address already
registered confirms it: the page never tells the two apart. `sync_ranking`
copies an entry's ranking fields to every centre it chose; every change to an
entry goes through it. Groups, companions and third parties
(app.services.situations) build on `create_entry` and `register`.
"""

import json
import logging
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.crypto import lookup_hash
from app.extensions import db
from app.models import (
    Centre,
    Eligibility,
    Entry,
    EntryCentre,
    EntryKind,
    EntryState,
    Person,
    Submission,
)
from app.services import availability
from app.services.identity import ranking_birth_date

logger = logging.getLogger(__name__)

# How long the status page of a submission stays readable.
SUBMISSION_TTL = timedelta(days=2)


@dataclass
class PersonData:
    ssin: str
    last_name: str
    first_name: str
    email: str
    mobile: str


@dataclass
class RegistrationData:
    """Everything a registration needs, already checked and normalised."""

    person: PersonData
    postcode: str
    language: str
    centre_ids: list[int]
    slots: list = field(default_factory=list)  # [(date, DayPart)]
    kind: str = EntryKind.SELF
    # Companions (situation d): the vaccination code of the person accompanied.
    companion_code: str | None = None

    def to_json(self):
        data = asdict(self)
        data["slots"] = [availability.format_slot(d, p) for d, p in self.slots]
        return json.dumps(data)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        data["person"] = PersonData(**data["person"])
        data["slots"] = [availability.parse_slot(s) for s in data["slots"]]
        return cls(**data)


@dataclass
class ProposedUpdate:
    """What confirming an update would store. `whole`: availability, centres,
    language and postcode change too (a group keeps its shared ones, see
    `apply_update`); `centres` are then the Centre rows chosen."""

    data: RegistrationData
    whole: bool
    centres: list


def proposed_update(submission):
    """The ProposedUpdate of `submission`, for the person to see before they
    confirm; None when there is nothing to confirm."""
    if not submission.is_update or submission.applied_at or not submission.payload:
        return None
    data = RegistrationData.from_json(submission.payload)
    entry = submission.entry
    whole = entry is not None and entry.kind != EntryKind.GROUP
    centres = (
        db.session.scalars(select(Centre).where(Centre.id.in_(data.centre_ids))).all()
        if whole
        else []
    )
    return ProposedUpdate(data, whole, sorted(centres, key=lambda c: c.name))


def find_person(ssin):
    return db.session.scalar(select(Person).filter_by(ssin_hash=lookup_hash(ssin)))


def find_registered_person(ssin, now=None):
    """The person on the list with `ssin`, for a new registration or claim.

    An entry that nobody in it may be invited from (INACTIVE: the check
    refused it, or everyone booked or was vaccinated since) holds nothing to
    protect, so a new registration with one of its numbers replaces it: the
    old entry is erased here and the new one is checked and answered at its
    own address, in its own language. Without this, a refused registration,
    perhaps made with a mistyped number, would keep the number's owner out.
    """
    person = find_person(ssin)
    if person is None or person.entry.state != EntryState.INACTIVE:
        return person
    # Imported here: retention builds on this module.
    from app.services import retention

    retention.erase_entry(person.entry, retention.REPLACED, now=now)
    return None


def active_centre_ids(codes):
    """Ids of the active centres among `codes`, in the order given."""
    if not codes:
        return []
    rows = db.session.execute(
        select(Centre.code, Centre.id).where(
            Centre.code.in_(codes), Centre.active.is_(True)
        )
    ).all()
    by_code = dict(rows)
    return [by_code[c] for c in dict.fromkeys(codes) if c in by_code]


def register(data, now=None, registered_by_id=None):
    """Record a registration; return its Submission (not yet committed).

    `registered_by_id`: the staff user (doctor, agent) who registers for the
    person, if any. The caller commits, then starts the eligibility check of
    the submission.
    """
    now = now or datetime.now(UTC)
    existing = find_registered_person(data.person.ssin, now)
    if existing is not None:
        submission = Submission(
            token=new_token(),
            entry_id=existing.entry_id,
            is_update=True,
            payload=data.to_json(),
            language=data.language,
            created_at=now,
        )
        db.session.add(submission)
        logger.info(
            "registration for an existing entry %s kept for confirmation",
            existing.entry_id,
        )
        return submission

    entry = create_entry(data, [new_person(data.person, now)], now, registered_by_id)
    submission = Submission(
        token=new_token(), entry=entry, language=data.language, created_at=now
    )
    db.session.add(submission)
    db.session.flush()
    sync_ranking(entry)
    logger.info("entry %s registered, eligibility check pending", entry.id)
    return submission


def new_token():
    return secrets.token_urlsafe(32)


def create_entry(data, people, now, registered_by_id=None):
    """A new pending entry of `people` (Person rows, the responsible first)
    with the availability, centres and kind of `data` (not flushed)."""
    entry = Entry(
        kind=data.kind,
        state=EntryState.PENDING,
        language=data.language,
        postcode=data.postcode,
        is_companion=data.kind == EntryKind.COMPANION,
        companion_code=data.companion_code,
        registered_by_id=registered_by_id,
        registered_at=now,
    )
    db.session.add(entry)
    entry.people.extend(people)
    set_availability(entry, data.slots)
    set_centres(entry, data.centre_ids)
    return entry


def new_person(data, now, is_responsible=True, swept=True):
    """A Person of `data`, waiting for its eligibility check: by the sweep of
    registrations when `swept`, else by a job of its own (direct claims)."""
    birth = ranking_birth_date(data.ssin, now.date())
    return Person(
        ssin_hash=lookup_hash(data.ssin),
        ssin=data.ssin,
        last_name=data.last_name,
        first_name=data.first_name,
        email=data.email,
        mobile=data.mobile,
        birth_day=availability.day_number(birth) if birth else None,
        is_responsible=is_responsible,
        eligibility=Eligibility.PENDING,
        next_check_at=now if swept else None,
        created_at=now,
    )


def set_availability(entry, slots):
    first, bits = availability.encode(slots)
    entry.avail_from_day = first
    entry.avail_bits = bits
    entry.available_until = availability.last_day(first, bits)


def set_centres(entry, centre_ids):
    wanted = list(dict.fromkeys(centre_ids))
    current = {link.centre_id: link for link in entry.centres}
    for centre_id in wanted:
        if centre_id not in current:
            entry.centres.append(
                EntryCentre(centre_id=centre_id, registered_at=entry.registered_at)
            )
    for centre_id, link in current.items():
        if centre_id not in wanted:
            entry.centres.remove(link)


def refresh_entry(entry):
    """Derive the entry's state, size and rank from its people, then sync."""
    invitable = [p for p in entry.people if p.eligibility == Eligibility.ELIGIBLE]
    pending = [p for p in entry.people if p.eligibility == Eligibility.PENDING]
    if entry.state in (EntryState.PENDING, EntryState.ACTIVE, EntryState.INACTIVE):
        if invitable:
            entry.state = EntryState.ACTIVE
        elif pending:
            entry.state = EntryState.PENDING
        else:
            entry.state = EntryState.INACTIVE
    entry.size = len(invitable)
    births = [p.birth_day for p in invitable]
    # Any member whose age is not known reliably holds the group back.
    entry.rank_birth_day = min(births) if births and None not in births else None
    sync_ranking(entry)


def sync_ranking(entry):
    """Copy the ranking fields of `entry` to each of its centres."""
    rankable = (
        entry.state == EntryState.ACTIVE and entry.size > 0 and entry.avail_bits != 0
    )
    for link in entry.centres:
        link.rankable = rankable
        link.priority = 0 if entry.is_companion else 1
        link.rank_birth_day = entry.rank_birth_day
        link.registered_at = entry.registered_at
        link.avail_from_day = entry.avail_from_day
        link.avail_bits = entry.avail_bits
        link.size = entry.size


def submission_by_token(token, now=None):
    now = now or datetime.now(UTC)
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None
    submission = db.session.scalar(select(Submission).filter_by(token=token))
    if submission is None or submission.created_at < now - SUBMISSION_TTL:
        return None
    return submission


class Outcome:
    CHECKING = "checking"
    ACCEPTED = "accepted"
    REFUSED = "refused"


def submission_outcome(submission):
    """What the status page may say: still checking, accepted or refused.

    Nothing more is revealed: not whether the number was on the list, nor
    what the vaccination code database answered.
    """
    entry = submission.entry
    if entry is None:
        return Outcome.REFUSED
    people = entry.people
    checked = [
        p for p in people if p.checked_at and p.checked_at >= submission.created_at
    ]
    if len(checked) < len(people) or any(
        p.eligibility == Eligibility.PENDING for p in people
    ):
        return Outcome.CHECKING
    if any(p.eligibility == Eligibility.ELIGIBLE for p in people):
        return Outcome.ACCEPTED
    return Outcome.REFUSED


def apply_update(submission, now=None):
    """Apply the data of a confirmed update submission to its entry.

    In a group only the person's names change, and the shared contact when
    the responsible re-registered: one member's new registration does not
    reshape the availability the whole group shares. A companion's code and
    day come with a companion registration and go with any other kind.
    """
    now = now or datetime.now(UTC)
    if not submission.is_update:
        return None
    if submission.applied_at is not None or submission.payload is None:
        return submission.entry
    data = RegistrationData.from_json(submission.payload)
    entry = submission.entry
    person = find_person(data.person.ssin)
    if entry is None or person is None or person.entry_id != entry.id:
        return None
    person.last_name = data.person.last_name
    person.first_name = data.person.first_name
    if entry.kind == EntryKind.GROUP:
        # Limitation: a member cannot move out of a group by registering
        # again; they must leave with the group's personal link first.
        if person.is_responsible:
            for member in entry.people:
                member.email = data.person.email
                member.mobile = data.person.mobile
    else:
        person.email = data.person.email
        person.mobile = data.person.mobile
        entry.language = data.language
        entry.postcode = data.postcode
        set_availability(entry, data.slots)
        set_centres(entry, data.centre_ids)
        _apply_companion(entry, data)
    entry.link_version += 1
    if entry.state in (EntryState.PAUSED, EntryState.INACTIVE):
        entry.state = EntryState.ACTIVE
        entry.unanswered_count = 0
    submission.applied_at = now
    submission.payload = None
    db.session.flush()
    refresh_entry(entry)
    return entry


def _apply_companion(entry, data):
    if data.kind == EntryKind.COMPANION:
        entry.kind = EntryKind.COMPANION
        entry.is_companion = True
        entry.companion_code = data.companion_code
    elif entry.is_companion:
        entry.kind = data.kind
        entry.is_companion = False
        entry.companion_code = None


def change_availability(entry, slots, centre_ids):
    set_availability(entry, slots)
    set_centres(entry, centre_ids)
    entry.reminded_for = None
    if entry.state == EntryState.PAUSED:
        entry.state = EntryState.ACTIVE
        entry.unanswered_count = 0
    db.session.flush()
    refresh_entry(entry)


def confirm_stay(entry):
    """After unanswered invitations: the person wants to stay on the list."""
    if entry.state == EntryState.PAUSED:
        entry.state = EntryState.ACTIVE
    entry.unanswered_count = 0
    refresh_entry(entry)


def renewal_slots(entry, now=None):
    """The same weekdays and day parts as now chosen, over the next 14 days.

    None for a companion: their one day part follows someone's booking, so
    repeating its weekday makes no sense; they choose it again.
    """
    if entry.is_companion:
        return []
    chosen = {
        (d.weekday(), p)
        for d, p in availability.decode(entry.avail_from_day, entry.avail_bits)
    }
    return [
        (day, part)
        for day in availability.calendar_days(now)
        for part in availability.DAY_PARTS
        if (day.weekday(), part) in chosen
        and availability.is_selectable(day, part, now)
    ]


def withdraw(entry, actor="citizen"):
    """Erase the entry and its people at once; invitations keep only counts.

    `actor`: who asked, for the audit trail ("citizen" through the personal
    link, or the staff user who did it for them).
    """
    # Imported here: retention builds on this module.
    from app.services import retention

    retention.erase_entry(entry, retention.WITHDRAWN, actor=actor)


def prune_past_availability(entry, now=None):
    first, bits = availability.without_past(entry.avail_from_day, entry.avail_bits, now)
    if (first, bits) != (entry.avail_from_day, entry.avail_bits):
        entry.avail_from_day = first
        entry.avail_bits = bits
        sync_ranking(entry)
        return True
    return False


def entries_to_remind(today):
    """Active entries whose availability runs out in two days, not yet reminded.

    Not companions: their one day part is that of someone's appointment, and
    there is nothing to renew.
    """
    until = today + timedelta(days=2)
    return db.session.scalars(
        select(Entry).where(
            Entry.state.in_((EntryState.ACTIVE, EntryState.PAUSED)),
            Entry.is_companion.is_(False),
            Entry.available_until == until,
            (Entry.reminded_for.is_(None)) | (Entry.reminded_for != until),
        )
    ).all()


def today_local(now=None):
    return availability.local_now(now).date()
