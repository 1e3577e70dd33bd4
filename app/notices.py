"""The messages the reserve list sends about a registration.

Each function queues its message in the outbox within the caller's
transaction, in the language of the entry; the caller commits.
"""

from flask_babel import lazy_gettext as _l

from app import links
from app.services import availability, outbox
from app.services.entries import Outcome


def _centres(entry):
    from app.extensions import db
    from app.models import Centre

    return [db.session.get(Centre, centre_id) for centre_id in entry.centre_ids]


def _slots(entry):
    return availability.decode(entry.avail_from_day, entry.avail_bits)


def registration_outcome(submission, outcome):
    """Tell the person what became of a registration (or an update of one)."""
    entry = submission.entry
    person = entry.responsible
    if submission.is_update:
        if outcome == Outcome.ACCEPTED:
            return outbox.queue_email(
                to=person.email,
                language=entry.language,
                purpose="confirm_update",
                template="confirm_update",
                subject=_l("Confirm the changes to your registration"),
                context={
                    "recipient_name": person.first_name,
                    "confirm_url": links.confirm_url(submission),
                },
                entry_id=entry.id,
            )
        return outbox.queue_email(
            to=person.email,
            language=entry.language,
            purpose="registration_refused",
            template="registration_refused",
            subject=_l("You cannot be placed on the reserve list"),
            context={"recipient_name": person.first_name},
            entry_id=entry.id,
        )
    if outcome == Outcome.ACCEPTED:
        return outbox.queue_email(
            to=person.email,
            language=entry.language,
            purpose="registration_accepted",
            template="registration_accepted",
            subject=_l("You are on the reserve list"),
            context={
                "recipient_name": person.first_name,
                "entry": entry,
                "centres": _centres(entry),
                "slots": _slots(entry),
                "personal_url": links.personal_url(entry),
            },
            entry_id=entry.id,
        )
    return outbox.queue_email(
        to=person.email,
        language=entry.language,
        purpose="registration_refused",
        template="registration_refused",
        subject=_l("You cannot be placed on the reserve list"),
        context={"recipient_name": person.first_name},
        entry_id=entry.id,
    )


def confirmation_again(entry):
    """The confirmation of a registration on the list, sent again on request
    (a contact-centre agent helping the person); the same e-mail as at first."""
    person = entry.responsible
    return outbox.queue_email(
        to=person.email,
        language=entry.language,
        purpose="registration_accepted",
        template="registration_accepted",
        subject=_l("You are on the reserve list"),
        context={
            "recipient_name": person.first_name,
            "entry": entry,
            "centres": _centres(entry),
            "slots": _slots(entry),
            "personal_url": links.personal_url(entry),
        },
        entry_id=entry.id,
    )


def availability_reminder(entry):
    person = entry.responsible
    return outbox.queue_email(
        to=person.email,
        language=entry.language,
        purpose="reminder",
        template="availability_reminder",
        subject=_l("Your availability for the reserve list runs out soon"),
        context={
            "recipient_name": person.first_name,
            "until": entry.available_until,
            "personal_url": links.personal_url(entry),
        },
        entry_id=entry.id,
    )


def withdrawal_confirmed(email, language):
    """After erasure only the address is left, to say goodbye once."""
    return outbox.queue_email(
        to=email,
        language=language,
        purpose="withdrawn",
        template="withdrawn",
        subject=_l("You have left the reserve list"),
        context={},
        entry_id=None,
    )
