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


def _to_responsible(entry, purpose, subject, context):
    """An e-mail to the entry's responsible, greeted by first name."""
    person = entry.responsible
    return outbox.queue_email(
        to=person.email,
        language=entry.language,
        purpose=purpose,
        template=purpose,
        subject=subject,
        context={"recipient_name": person.first_name, **context},
        entry_id=entry.id,
    )


def registration_outcome(submission, outcome):
    """Tell the person what became of a registration (or an update of one)."""
    entry = submission.entry
    if outcome != Outcome.ACCEPTED:
        return _to_responsible(
            entry,
            "registration_refused",
            _l("You cannot be placed on the reserve list"),
            {"help_url": links.help_url(entry.language)},
        )
    if submission.is_update:
        return _to_responsible(
            entry,
            "confirm_update",
            _l("Confirm the changes to your registration"),
            {"confirm_url": links.confirm_url(submission)},
        )
    return confirmation_again(entry)


def confirmation_again(entry):
    """The confirmation of a registration on the list; also sent again on
    request (a contact-centre agent helping the person)."""
    return _to_responsible(
        entry,
        "registration_accepted",
        _l("You are on the reserve list"),
        {
            "entry": entry,
            "centres": _centres(entry),
            "slots": _slots(entry),
            "personal_url": links.personal_url(entry),
        },
    )


def availability_reminder(entry):
    message = _to_responsible(
        entry,
        "availability_reminder",
        _l("Your availability for the reserve list runs out soon"),
        {"until": entry.available_until, "personal_url": links.personal_url(entry)},
    )
    message.purpose = "reminder"
    return message


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
