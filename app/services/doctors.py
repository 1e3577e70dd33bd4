"""Doctors and their patients (situation f).

A doctor puts a patient on the reserve list and chooses, per patient, who
receives the invitation: the patient or the doctor (`Entry.recipient`). Only
an active doctor account with an RIZIV/INAMI number may do so; anything else
is an *unknown doctor* and is refused with `UnknownDoctor`. A doctor sees
only the entries they registered (`Entry.doctor_id`), and every look at a
patient's data is written to the audit trail.

The caller commits; the eligibility check starts after the commit, as for
any registration.
"""

import logging

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    Eligibility,
    Entry,
    EntryKind,
    Role,
    StaffUser,
)
from app.services import audit, entries
from app.services.errors import DomainError
from app.services.users import normalise_riziv

logger = logging.getLogger(__name__)

# Who receives a patient's invitations (Entry.recipient).
PATIENT = "person"
DOCTOR = "doctor"
RECIPIENTS = (PATIENT, DOCTOR)

ENTRY_LISTED = "entry_listed"  # audit action: the entry was shown in a list

PAGE_SIZE = 50


class UnknownDoctor(DomainError):
    """No active doctor account with an RIZIV/INAMI number has this id."""


class Outcome:
    """What a doctor is told of the eligibility check: no more than this."""

    CHECKING = "checking"
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"


def known_doctor(doctor_id):
    """The active doctor account `doctor_id`, or raise UnknownDoctor."""
    doctor = (
        db.session.get(StaffUser, doctor_id) if isinstance(doctor_id, int) else None
    )
    if doctor is None or doctor.role != Role.DOCTOR or not doctor.active:
        logger.warning("refused: staff account %s is not a known doctor", doctor_id)
        raise UnknownDoctor(
            _l(
                "This is not a known doctor: only doctor accounts may register "
                "patients."
            )
        )
    if normalise_riziv(doctor.riziv_number) is None:
        logger.warning("refused: doctor account %s has no RIZIV number", doctor_id)
        raise UnknownDoctor(
            _l(
                "Your account has no RIZIV/INAMI number, so you cannot register "
                "patients yet. Ask the service desk to add it to your account."
            )
        )
    return doctor


def doctor_by_riziv(number):
    """The one active doctor account with this RIZIV/INAMI number, or None.

    None too when the number is malformed or, by a mistake in the accounts,
    belongs to more than one account: nobody is logged in as a guess.
    """
    riziv = normalise_riziv(number if isinstance(number, str) else None)
    if riziv is None:
        return None
    found = db.session.scalars(
        sa.select(StaffUser)
        .where(
            StaffUser.riziv_number == riziv,
            StaffUser.role == Role.DOCTOR,
            StaffUser.active.is_(True),
        )
        .limit(2)
    ).all()
    if len(found) != 1:
        if found:
            logger.warning("RIZIV number shared by several doctor accounts")
        return None
    return found[0]


def check_recipient(recipient):
    if recipient not in RECIPIENTS:
        raise DomainError(
            _l("Choose who receives the invitation: the patient or you."), "recipient"
        )
    return recipient


def register_patient(doctor_id, data, recipient, now=None):
    """Put a patient on the list for the doctor `doctor_id`; return the Submission.

    `data` is checked RegistrationData. A national number already on the
    list is handled as for anyone (`entries.register`): the new data waits
    for confirmation by the address registered before, and that entry stays
    as it is (it does not become the doctor's).
    """
    doctor = known_doctor(doctor_id)
    recipient = check_recipient(recipient)
    data.kind = EntryKind.PATIENT
    submission = entries.register(data, now=now, registered_by_id=doctor.id)
    if submission.is_update:
        audit.record(
            doctor, audit.ENTRY_REGISTERED, submission.entry_id, "update proposed"
        )
        return submission
    entry = submission.entry
    entry.doctor_id = doctor.id
    entry.recipient = recipient
    db.session.flush()
    audit.record(doctor, audit.ENTRY_REGISTERED, entry.id, f"recipient {recipient}")
    logger.info("doctor %s registered patient entry %s", doctor.id, entry.id)
    return submission


def patients_of(doctor, page=1):
    """One page of the doctor's patients' entries, newest first, each shown
    entry written to the audit trail; returns (entries, has_more)."""
    page = max(int(page), 1)
    rows = db.session.scalars(
        sa.select(Entry)
        .where(Entry.doctor_id == doctor.id)
        .order_by(Entry.registered_at.desc(), Entry.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    shown = rows[:PAGE_SIZE]
    for entry in shown:
        audit.record(doctor, ENTRY_LISTED, entry.id)
    return shown, len(rows) > PAGE_SIZE


def patient_entry(doctor, entry_id):
    """The doctor's own patient entry `entry_id` (read, audited), or None."""
    entry = db.session.get(Entry, entry_id) if isinstance(entry_id, int) else None
    if entry is None or entry.doctor_id != doctor.id:
        return None
    audit.record(doctor, audit.ENTRY_READ, entry.id)
    return entry


def change_recipient(doctor, entry_id, recipient):
    """Let the doctor choose again who receives the patient's invitations."""
    recipient = check_recipient(recipient)
    entry = db.session.get(Entry, entry_id) if isinstance(entry_id, int) else None
    if entry is None or entry.doctor_id != doctor.id:
        return None
    known_doctor(doctor.id)
    if entry.recipient != recipient:
        entry.recipient = recipient
        audit.record(doctor, audit.ENTRY_CHANGED, entry.id, "recipient")
        logger.info("doctor %s changed the recipient of entry %s", doctor.id, entry.id)
    return entry


def eligibility_outcome(entry):
    """Eligible, not eligible or still being checked; never why."""
    states = {person.eligibility for person in entry.people}
    if Eligibility.ELIGIBLE in states:
        return Outcome.ELIGIBLE
    if not states or Eligibility.PENDING in states:
        return Outcome.CHECKING
    return Outcome.NOT_ELIGIBLE
