"""Registration situations c, d and e: groups, companions and third parties.

Each `register_*` function takes checked, normalised data (from the public
forms in app/citizen/situations.py, or from a doctor's or agent's page) and
an optional `registered_by_id` (the staff user registering for the people),
adds its rows to `db.session` and returns the Submission(s), uncommitted.
The caller commits, then starts the eligibility check of each submission
that has an entry: `jobs.eligibility.start_check(submission.entry_id)`.

Groups (c): one entry of kind "group", the responsible first. Members give
no contact details of their own: their rows carry the responsible's e-mail
address and mobile number, the group's contact, so that messages keep going
to the same address when the responsible has to leave the group. After the
eligibility check `settle_group` takes out each member who may not be
invited (while someone stays) and tells the responsible, by first name.

A national number already on the list is never shown as such. In a group it
is left out of the new entry and named to the responsible, after the check,
in the same words as a member who cannot be invited. A companion or third
party already on the list is handled as in situation b (`entries.register`):
the new data waits for confirmation by the address registered before.

Companions (d): the vaccination code of the person accompanied is looked up
while the person waits (`look_up_companion_code`), with short timeouts; its
booking gives the day part to suggest and, when it names a known centre,
the centre. The entry ranks first (EntryCentre.priority 0).

Third parties (e): each person becomes an entry of their own, with their own
contact, who receives every message. The registrant's e-mail address is used
once, for one confirmation message, and kept nowhere else.
"""

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l

from app import links
from app.adapters import vcdb
from app.extensions import db
from app.formats import format_day
from app.models import Centre, Eligibility, EntryKind, Submission
from app.services import availability, entries, outbox
from app.services.entries import PersonData
from app.services.errors import DomainError

logger = logging.getLogger(__name__)

MAX_GROUP_SIZE = 4
MAX_THIRD_PARTIES = 5
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_CODE_SEPARATORS = re.compile(r"[\s\-.]+")
GROUP_TOO_BIG = _l("A group has at most 4 people, the responsible included.")
TOO_MANY_PEOPLE = _l("Register from 1 to 5 people at a time.")
# The person waits for the code check: no retries, a few seconds at most.
CODE_CHECK_TIMEOUTS = (2.0, 3.0)


@dataclass
class MemberData:
    """A group member other than the responsible."""

    ssin: str
    last_name: str
    first_name: str


@dataclass
class GroupData:
    responsible: PersonData
    members: list  # [MemberData], the others: 1 to 3
    postcode: str
    language: str
    centre_ids: list
    slots: list  # [(date, DayPart)]


@dataclass(frozen=True)
class CompanionBooking:
    """The appointment of the person a companion comes along with."""

    day: date
    part: availability.DayPart
    time: time | None
    centre: Centre | None  # None when the booking names no centre we know

    @property
    def slot(self):
        return availability.format_slot(self.day, self.part)


class CodeCheckUnavailable(DomainError):
    """The vaccination code database did not answer in time: try later."""


# Groups ---------------------------------------------------------------------


def check_group_size(count):
    """A group is the responsible and 1 to 3 others."""
    if count > MAX_GROUP_SIZE:
        raise DomainError(GROUP_TOO_BIG, "members")
    if count < 2:
        raise DomainError(
            _l(
                "Add at least one other person: one person alone uses the "
                "ordinary registration."
            ),
            "members",
        )


def register_group(data, registered_by_id=None, now=None):
    """Record a group; return its Submission (uncommitted).

    Without an entry (`submission.entry_id` None) when every person was
    already on the list: the responsible is then told at once.
    """
    now = now or datetime.now(UTC)
    contact = data.responsible
    people = [contact] + [
        PersonData(m.ssin, m.last_name, m.first_name, contact.email, contact.mobile)
        for m in data.members
    ]
    check_group_size(len(people))
    if len({p.ssin for p in people}) != len(people):
        raise DomainError(_l("Each person can be in the group only once."), "members")
    new = [p for p in people if entries.find_registered_person(p.ssin, now) is None]
    left_out = [p.first_name for p in people if p not in new]
    token = entries.new_token()
    if not new:
        # Limitation: with nobody new the message leaves at once instead of
        # after a check; its words are the same, only its timing differs.
        submission = Submission(
            token=token, language=data.language, created_at=now, notified_at=now
        )
        db.session.add(submission)
        _queue_not_placed(contact, data.language, left_out, others_stay=False)
        logger.info("group registration refused: nobody could be added")
        return submission

    rows = [
        entries.new_person(p, now, is_responsible=(i == 0)) for i, p in enumerate(new)
    ]
    shared = entries.RegistrationData(
        person=contact,
        postcode=data.postcode,
        language=data.language,
        centre_ids=data.centre_ids,
        slots=data.slots,
        kind=EntryKind.GROUP,
    )
    entry = entries.create_entry(shared, rows, now, registered_by_id)
    submission = Submission(
        token=token,
        entry=entry,
        language=data.language,
        created_at=now,
        payload=json.dumps({"left_out": left_out}) if left_out else None,
    )
    db.session.add(submission)
    db.session.flush()
    entries.refresh_entry(entry)
    logger.info(
        "group entry %s registered with %d people, %d left out",
        entry.id,
        len(rows),
        len(left_out),
    )
    return submission


def settle_group(entry, submissions):
    """After a complete eligibility check of a group entry: take out each
    member who may not be invited, as long as one member may, and tell the
    responsible by e-mail who was taken out or left out at registration.

    `submissions`: the entry's submissions not yet answered. Returns the
    first names told (empty when nothing changed). Safe to run twice.
    """
    if entry.kind != EntryKind.GROUP or any(
        p.eligibility == Eligibility.PENDING for p in entry.people
    ):
        return []
    names = []
    for submission in submissions:
        if submission.payload and not submission.is_update:
            names += json.loads(submission.payload).get("left_out", [])
            submission.payload = None
    staying = [p for p in entry.people if p.eligibility == Eligibility.ELIGIBLE]
    if staying:
        removed = [p for p in entry.people if p not in staying]
        for person in removed:
            names.append(person.first_name)
            db.session.delete(person)
        if removed:
            if not any(p.is_responsible for p in staying):
                # Limitation: the next member takes over; messages still go to
                # the same address (members carry it), but greet that member.
                staying[0].is_responsible = True
            db.session.flush()
            db.session.expire(entry, ["people"])
            logger.info("group entry %s: %d members taken out", entry.id, len(removed))
    if names:
        _queue_not_placed(
            entry.responsible,
            entry.language,
            names,
            others_stay=bool(staying),
            entry_id=entry.id,
        )
    entries.refresh_entry(entry)
    return names


def _queue_not_placed(responsible, language, names, others_stay, entry_id=None):
    """Tell the group's responsible (a Person or PersonData), by first name,
    who could not be placed."""
    return outbox.queue_email(
        to=responsible.email,
        language=language,
        purpose="group_members_removed",
        template="group_members_removed",
        subject=_l("Not everyone in your group could be placed on the reserve list"),
        context={
            "recipient_name": responsible.first_name,
            "names": names,
            "others_stay": others_stay,
            "help_url": links.help_url(language),
        },
        entry_id=entry_id,
    )


# Companions -----------------------------------------------------------------


def normalise_vaccination_code(raw):
    """A code as typed ('v3xf fetl em8e fkcz') -> 'V3XF-FETL-EM8E-FKCZ'."""
    text = _CODE_SEPARATORS.sub("", raw or "").upper()
    if not text:
        raise DomainError(
            _l("Enter the vaccination code of the person accompanied."),
            "companion_code",
        )
    if len(text) != 16 or any(c not in CODE_ALPHABET for c in text):
        raise DomainError(
            _l(
                "A vaccination code has 16 letters and digits, for example "
                "V3XF-FETL-EM8E-FKCZ."
            ),
            "companion_code",
        )
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def code_check_service(config):
    """The vaccination code database client for a check the person waits for."""
    return vcdb.from_config(
        {
            **config,
            "VCDB_TIMEOUT": ",".join(str(t) for t in CODE_CHECK_TIMEOUTS),
            "VCDB_RETRIES": 0,
        }
    )


def look_up_companion_code(service, code):
    """The booking behind a normalised vaccination `code`.

    Raises DomainError(field "companion_code") for a code the database does
    not know or that has no booking, CodeCheckUnavailable when the database
    does not answer.
    """
    try:
        result = service.lookup_code(code)
    except vcdb.VaccinationCodeServiceUnavailable as exc:
        raise CodeCheckUnavailable(
            _l(
                "We cannot check vaccination codes right now. Please try again "
                "in a few minutes."
            ),
            "companion_code",
        ) from exc
    if not result.found:
        raise DomainError(
            _l(
                "We do not know this vaccination code. Check the 16 characters "
                "on the invitation letter."
            ),
            "companion_code",
        )
    if (
        not result.booked
        or result.booking is None
        or result.code_status == vcdb.CodeStatus.DEACTIVATED
    ):
        raise DomainError(
            _l(
                "This vaccination code has no appointment. You can only come "
                "along with someone who has booked one."
            ),
            "companion_code",
        )
    booking = result.booking
    centre_ids = entries.active_centre_ids([booking.centre_id or ""])
    return CompanionBooking(
        day=booking.date,
        part=availability.BY_NAME[booking.day_part.value],
        time=booking.time,
        centre=db.session.get(Centre, centre_ids[0]) if centre_ids else None,
    )


def check_companion_slot(booking, slots):
    """A companion comes at the appointment: the one slot chosen must be the
    booking's day and day part. Raises DomainError(field "availability")."""
    if [(day, part.name) for day, part in slots] != [(booking.day, booking.part.name)]:
        raise DomainError(
            _l(
                "Choose the day part of the appointment: %(day)s, %(part)s.",
                day=format_day(booking.day),
                part=booking.part.in_text,
            ),
            "availability",
        )


def register_companion(data, registered_by_id=None, now=None):
    """Record a companion; return the Submission (uncommitted).

    `data`: checked RegistrationData with `companion_code` (verified with
    look_up_companion_code), exactly one slot, and the centre of the booking
    when it names one we know (else the centres chosen).
    """
    if not data.companion_code:
        raise DomainError(
            _l("Enter the vaccination code of the person accompanied."),
            "companion_code",
        )
    if len(data.slots) != 1:
        raise DomainError(
            _l("Choose exactly one day and one day part."), "availability"
        )
    # Limitation: the code is not looked up again before an invitation; a
    # booking moved or cancelled since is not noticed.
    data.kind = EntryKind.COMPANION
    return entries.register(data, now=now, registered_by_id=registered_by_id)


# Third parties ----------------------------------------------------------------


def register_third_parties(
    people, registrant_email=None, language="nl", registered_by_id=None, now=None
):
    """Record one entry per third party; return their Submissions (uncommitted).

    `people`: checked RegistrationData, one per person, each with the third
    party's own contact. `registrant_email`, when given, receives one message
    in `language` naming who was registered (first names); it is not stored
    anywhere else.
    """
    if not 1 <= len(people) <= MAX_THIRD_PARTIES:
        raise DomainError(TOO_MANY_PEOPLE, "people")
    if len({p.person.ssin for p in people}) != len(people):
        raise DomainError(_l("Each person can be registered only once."), "people")
    submissions = []
    for data in people:
        data.kind = EntryKind.THIRD_PARTY
        submissions.append(
            entries.register(data, now=now, registered_by_id=registered_by_id)
        )
    if registrant_email:
        outbox.queue_email(
            to=registrant_email,
            language=language,
            purpose="third_party_confirmation",
            template="third_party_confirmation",
            subject=_l("You have registered other people on the reserve list"),
            context={"names": [p.person.first_name for p in people]},
        )
    logger.info("%d third parties registered", len(submissions))
    return submissions
