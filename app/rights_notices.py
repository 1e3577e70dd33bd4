"""Messages about corrections a person made through their personal link.

Like app.notices: each function queues its e-mail in the outbox within the
caller's transaction; the caller commits.
"""

from flask_babel import lazy_gettext as _l

from app import links
from app.services import outbox

# Field names as the messages name them.
FIELD_NAMES = {
    "last_name": _l("last name"),
    "first_name": _l("first name"),
    "email": _l("e-mail address"),
    "mobile": _l("mobile number"),
    "language": _l("language"),
}


def details_corrected(entry, correction):
    """Tell the person, at their (new) address, what was changed."""
    person = correction.person
    return outbox.queue_email(
        to=person.email,
        language=entry.language,
        purpose="details_corrected",
        template="details_corrected",
        subject=_l("Your details on the reserve list were changed"),
        context={
            "recipient_name": person.first_name,
            "fields": [FIELD_NAMES[name] for name in correction.changed],
            "manage_url": links.personal_url(entry),
            "links_replaced": correction.old_email is not None,
        },
        entry_id=entry.id,
    )


def email_replaced(old_email, language, entry_id):
    """Tell the old address that messages now go elsewhere (not where)."""
    return outbox.queue_email(
        to=old_email,
        language=language,
        purpose="email_replaced",
        template="email_replaced",
        subject=_l("The e-mail address of your registration was changed"),
        context={"help_url": links.help_url(language)},
        entry_id=entry_id,
    )
