"""The registration form of situation b on a staff page (doctors, agents).

The form reuses the citizen partials: the centre list and the availability
calendar. Their htmx requests go to the citizen blueprint's fragment
endpoints, whose paths carry a language; `use_citizen_fragments()` gives
them the staff member's language, so `url_for` in the partials can build
them. Without JavaScript the calendar's buttons post the whole form to the
staff page, which applies them with `apply_convenience()`.
"""

from flask import g, request
from flask_babel import lazy_gettext as _l

from app import i18n
from app.citizen import calendar
from app.citizen.views import centre_context


def reword(form):
    """The public forms speak to the person registering themselves; on a
    staff page their hints and labels speak of the person registered (and,
    on the contact centre's pages, of the caller)."""
    if "ssin" in form:
        form.ssin.description = _l("On the identity card, or a BIS number: 11 digits.")
    if "email" in form:
        form.email.description = _l(
            "We send the confirmation and the personal link to this address."
        )
    if "language" in form:
        form.language.label.text = _l("Language of the messages")
    if "availability" in form:
        form.availability.label.text = _l("When can the person come?")
    if "companion_code" in form:
        form.companion_code.label.text = _l(
            "Vaccination code of the person the caller comes along with"
        )
    if "registrant_email" in form:
        form.registrant_email.label.text = _l("The caller's e-mail address")
        form.registrant_email.description = _l(
            "We send the caller one confirmation of whom they registered, and "
            "do not keep the address."
        )
    return form


def use_citizen_fragments():
    """Before rendering: citizen URLs get the language of the staff page, and
    the partials speak of "the person" rather than "you"."""
    g.lang = i18n.select_locale()
    g.who = i18n.FOR_SOMEONE_ELSE


def apply_convenience(form, now):
    """True when the post was a calendar or "show centres" button, applied."""
    action = request.form.get("calendar_action")
    if not action and "show_centres" not in request.form:
        return False
    form.availability.data = calendar.apply_action(
        form.availability.data or [], action, now
    )
    return True


def form_context(form, now):
    """What the registration fields partial needs besides the form."""
    use_citizen_fragments()
    return {
        "form": form,
        "calendar": calendar.build(form.availability.data or [], now),
        "staff_page": True,
        **centre_context(form),
    }
