"""The registration form of situation b on a staff page (doctors, agents).

The form reuses the citizen partials: the centre list and the availability
calendar. Their htmx requests go to the citizen blueprint's fragment
endpoints, whose paths carry a language; `use_citizen_fragments()` gives
them the staff member's language, so `url_for` in the partials can build
them. Without JavaScript the calendar's buttons post the whole form to the
staff page, which applies them with `apply_convenience()`.
"""

from flask import g, request

from app import i18n
from app.citizen import calendar
from app.citizen.views import centre_context


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
