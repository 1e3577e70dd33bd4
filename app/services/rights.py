"""A person's rights over their data, through their personal link: see it all,
take a copy, correct it (erasure is `entries.withdraw`).

`stored_data` gathers every stored field of the entry and its people,
decrypted, with what happened with it (messages, invitations, changes
waiting for confirmation, staff access). `ENTRY_FIELDS` and `PERSON_FIELDS`
list every column of those tables; a test fails when a column is added
without being listed, so the page and the download stay complete.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AuditEvent,
    Campaign,
    Centre,
    Invitation,
    OutboxMessage,
    StaffUser,
    Submission,
)
from app.services import audit, availability, identity
from app.services.errors import DomainError

LANGUAGES = ("nl", "fr", "de")

# Every column of `entry`, in the order shown, with its label.
ENTRY_FIELDS = {
    "id": _l("Registration number"),
    "kind": _l("Kind of registration"),
    "state": _l("State"),
    "language": _l("Language for our messages"),
    "postcode": _l("Postcode"),
    "registered_at": _l("Registered on"),
    "updated_at": _l("Last changed on"),
    "avail_from_day": _l("Availability starts on"),
    "avail_bits": _l("Day parts you can come"),
    "available_until": _l("Available until"),
    "reminded_for": _l("Reminder sent for availability ending on"),
    "size": _l("People who can be invited"),
    "rank_birth_day": _l("Birth date used for the order of invitations"),
    "is_companion": _l("Companion of someone with an appointment"),
    "companion_code": _l("Vaccination code of the person you accompany"),
    "recipient": _l("Who receives the invitations"),
    "doctor_id": _l("Registered by doctor (account number)"),
    "registered_by_id": _l("Registered by staff member (account number)"),
    "unanswered_count": _l("Invitations not answered in a row"),
    "link_version": _l("Version of your personal link"),
}

# Every column of `person`, in the order shown, with its label.
PERSON_FIELDS = {
    "id": _l("Person number"),
    "entry_id": _l("Registration number"),
    "ssin": _l("National number"),
    "ssin_hash": _l("Fingerprint of the national number (to find it again)"),
    "last_name": _l("Last name"),
    "first_name": _l("First name"),
    "email": _l("E-mail address"),
    "mobile": _l("Mobile number"),
    "birth_day": _l("Birth date (from the national number)"),
    "is_responsible": _l("Receives the messages of the registration"),
    "eligibility": _l("Answer of the vaccination code database"),
    "vaccination_code": _l("Vaccination code"),
    "checked_at": _l("Checked on"),
    "accepted_at": _l("Accepted on the list on"),
    "check_attempts": _l("Failed attempts to check"),
    "next_check_at": _l("Next check attempt"),
    "created_at": _l("Added on"),
}

# Fields that hold a point in time, and fields that hold a day (as ISO text).
MOMENT_FIELDS = frozenset(
    {
        "registered_at",
        "updated_at",
        "checked_at",
        "accepted_at",
        "next_check_at",
        "created_at",
    }
)
DATE_FIELDS = frozenset(
    {"avail_from_day", "available_until", "reminded_for", "rank_birth_day", "birth_day"}
)

VALUE_LABELS = {
    "kind": {
        "self": _l("Yourself"),
        "group": _l("Group"),
        "companion": _l("Companion"),
        "third_party": _l("Registered by someone else"),
        "patient": _l("Patient of a doctor"),
        "direct": _l("Direct slot"),
    },
    "state": {
        "pending": _l("Being checked"),
        "active": _l("On the list"),
        "inactive": _l("Cannot be invited"),
        "paused": _l("Paused: invitations not answered"),
        "booked": _l("Booked"),
        "withdrawn": _l("Left the list"),
    },
    "eligibility": {
        "pending": _l("Being checked"),
        "eligible": _l("May be invited"),
        "not_eligible": _l("May not be invited"),
        "booked": _l("Already has an appointment"),
        "vaccinated": _l("Already vaccinated"),
        "unknown": _l("Not known to the database"),
    },
    "recipient": {"person": _l("You"), "doctor": _l("Your doctor")},
    "purpose": {
        "registration_accepted": _l("You are on the reserve list"),
        "registration_refused": _l("Registration refused"),
        "confirm_update": _l("Confirm new details"),
        "confirmation": _l("Confirmation"),
        "reminder": _l("Availability reminder"),
        "invitation": _l("Invitation"),
        "invitation_cancelled": _l("Invitation withdrawn"),
        "invitation_paused": _l("Invitations paused"),
        "direct_confirmation": _l("Appointment confirmation"),
        "direct_refused": _l("Slot refused"),
        "details_corrected": _l("Details corrected"),
        "email_replaced": _l("E-mail address changed"),
    },
    "channel": {"email": _l("E-mail"), "sms": _l("SMS")},
    "message_state": {
        "queued": _l("Waiting to be sent"),
        "sent": _l("Sent"),
        "failed": _l("Could not be delivered"),
    },
    "invitation_state": {
        "queued": _l("Being sent"),
        "sent": _l("Waiting for a booking"),
        "booked": _l("Booked"),
        "expired": _l("Expired"),
        "declined": _l("Declined"),
        "undeliverable": _l("Undeliverable"),
        "cancelled": _l("Cancelled"),
    },
    "role": {
        "centre_staff": _l("Centre staff"),
        "operator": _l("Operator"),
        "doctor": _l("Doctor"),
        "agent": _l("Contact-centre agent"),
    },
    "action": {
        audit.ENTRY_READ: _l("Looked at it"),
        audit.ENTRY_CHANGED: _l("Changed it"),
        audit.ENTRY_REGISTERED: _l("Registered it"),
        audit.ENTRY_EXPORTED: _l("Downloaded it"),
    },
}


def _plain(value):
    """A stored value as JSON has it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _day(number):
    return availability.from_day_number(number).isoformat() if number else None


def entry_fields(entry):
    values = {name: _plain(getattr(entry, name)) for name in ENTRY_FIELDS}
    values["avail_from_day"] = _day(entry.avail_from_day)
    values["avail_bits"] = [
        availability.format_slot(day, part)
        for day, part in availability.decode(entry.avail_from_day, entry.avail_bits)
    ]
    values["rank_birth_day"] = _day(entry.rank_birth_day)
    return values


def person_fields(person):
    values = {name: _plain(getattr(person, name)) for name in PERSON_FIELDS}
    values["birth_day"] = _day(person.birth_day)
    return values


def stored_data(entry):
    """Everything stored about `entry` and its people, as JSON-ready data."""
    return {
        "registration": entry_fields(entry),
        "people": [person_fields(person) for person in entry.people],
        "centres": [
            {"code": centre.code, "name": centre.name, "address": centre.full_address}
            for centre in _centres(entry)
        ],
        "messages": _messages(entry.id),
        "invitations": _invitations(entry.id),
        "changes_waiting": _changes_waiting(entry.id),
        "staff_access": _staff_access(entry.id),
    }


def export_json(entry):
    return json.dumps(stored_data(entry), ensure_ascii=False, indent=2)


def _centres(entry):
    return sorted((link.centre for link in entry.centres), key=lambda c: c.name)


def _messages(entry_id):
    rows = db.session.execute(
        select(
            OutboxMessage.purpose,
            OutboxMessage.channel,
            OutboxMessage.state,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
        )
        .where(OutboxMessage.entry_id == entry_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    return [
        {
            "purpose": row.purpose,
            "channel": row.channel,
            "state": row.state,
            "created_at": _plain(row.created_at),
            "sent_at": _plain(row.sent_at),
        }
        for row in rows
    ]


def _invitations(entry_id):
    rows = db.session.execute(
        select(Invitation, Campaign, Centre)
        .join(Campaign, Campaign.id == Invitation.campaign_id)
        .join(Centre, Centre.id == Campaign.centre_id)
        .where(Invitation.entry_id == entry_id)
        .order_by(Invitation.created_at, Invitation.id)
    ).all()
    return [
        {
            "created_at": _plain(invitation.created_at),
            "sent_at": _plain(invitation.sent_at),
            "day": _plain(campaign.day),
            "from": campaign.start_time.strftime("%H:%M"),
            "to": campaign.end_time.strftime("%H:%M"),
            "centre": centre.name,
            "state": invitation.state,
            "places": invitation.size,
        }
        for invitation, campaign, centre in rows
    ]


def _changes_waiting(entry_id):
    """Updates posted for this national number, not (yet) confirmed."""
    submissions = db.session.scalars(
        select(Submission)
        .where(Submission.entry_id == entry_id, Submission.payload.is_not(None))
        .order_by(Submission.created_at)
    ).all()
    return [
        {
            "created_at": _plain(submission.created_at),
            "proposed": json.loads(submission.payload),
        }
        for submission in submissions
    ]


def _staff_access(entry_id):
    """Reads and changes by staff members: when, which role, what."""
    rows = db.session.execute(
        select(AuditEvent.at, AuditEvent.actor_role, AuditEvent.action)
        .where(
            AuditEvent.entry_id == entry_id,
            AuditEvent.actor_id.is_not(None),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return [
        {"at": _plain(row.at), "role": row.actor_role, "action": row.action}
        for row in rows
    ]


def registered_by_role(entry):
    if entry.registered_by_id is None:
        return None
    return db.session.scalar(
        select(StaffUser.role).where(StaffUser.id == entry.registered_by_id)
    )


# Correcting ---------------------------------------------------------------------


@dataclass
class Correction:
    changed: list
    person: object
    old_email: str | None = None  # set when the e-mail address changed


def correct_person(
    entry,
    person_id,
    *,
    last_name,
    first_name,
    email,
    mobile,
    language,
    actor=audit.CITIZEN,
):
    """Correct one person's names, e-mail and mobile, and the entry's language.

    Values go through the same checks as at registration (DomainError with
    the field). A new e-mail address makes every personal link sent before
    invalid (the caller sends a fresh one) and is reported in `old_email`,
    so that the old address can be told. Does not commit.
    """
    person = next((p for p in entry.people if p.id == person_id), None)
    if person is None:
        raise LookupError("no such person in this registration")
    wanted = {
        "last_name": identity.normalise_name(last_name, "last_name"),
        "first_name": identity.normalise_name(first_name, "first_name"),
        "email": identity.normalise_email(email),
        "mobile": identity.normalise_mobile(mobile),
    }
    if language not in LANGUAGES:
        raise DomainError(_l("Choose a language."), "language")

    correction = Correction(changed=[], person=person)
    for name, value in wanted.items():
        if getattr(person, name) != value:
            if name == "email":
                correction.old_email = person.email
            setattr(person, name, value)
            correction.changed.append(name)
    if entry.language != language:
        entry.language = language
        correction.changed.append("language")
    if correction.old_email is not None:
        # Limitation: whoever holds the link can move the registration to
        # another address; the old address is told but gets no link to undo
        # it (the help line can). A confirmation from the new address first
        # would close that, at the cost of one more step for everyone.
        entry.link_version += 1
    if correction.changed:
        audit.record(
            actor, audit.ENTRY_CORRECTED, entry.id, ",".join(correction.changed)
        )
    return correction
