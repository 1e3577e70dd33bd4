"""What the forms of situations c, d and e (a group, a companion, other
people) do with a post before anything is registered: the add and remove
buttons of their rows, the calendar and "show the centres" buttons, and the
check of a companion's vaccination code. The citizen's pages
(app/citizen/situations.py) and the contact-centre agent's
(app/agent/situations.py) both take these steps; each renders its own page.
"""

from datetime import UTC, datetime

from flask import current_app, request

from app import i18n
from app.citizen import calendar
from app.citizen.situation_forms import MEMBER_FIELDS, THIRD_PARTY_FIELDS, edit_rows
from app.services import availability, situations
from app.services import centres as centre_service
from app.services.errors import DomainError

# The rows of each form: button name, fields of a row, most rows allowed.
ROWS = {
    "members": ("member", MEMBER_FIELDS, situations.MAX_GROUP_SIZE - 1),
    "people": ("person", THIRD_PARTY_FIELDS, situations.MAX_THIRD_PARTIES),
}
TOO_MANY = {"members": situations.GROUP_TOO_BIG, "people": situations.TOO_MANY_PEOPLE}


def now():
    return datetime.now(UTC)


def posted_rows(prefix, drop=True):
    """The posted form data with the rows `prefix` numbered 0, 1, 2... and,
    when `drop`, the rows left entirely empty taken out."""
    return edit_rows(request.form, prefix, ROWS[prefix][1], drop_empty=drop)[0]


def row_button(form_class, prefix):
    """(form, status) after an add or remove button of the rows `prefix`;
    None when no such button was pressed."""
    singular, fields, limit = ROWS[prefix]
    if f"add_{singular}" in request.form:
        formdata, count = edit_rows(request.form, prefix, fields)
        if count >= limit:
            form = form_class(formdata=formdata, now=now())
            form[prefix].errors = [str(TOO_MANY[prefix])]
            return form, 422
        new_row = {"language": i18n.select_locale()} if prefix == "people" else {}
        formdata, _ = edit_rows(request.form, prefix, fields, add=new_row)
        return form_class(formdata=formdata, now=now()), 200
    raw = request.form.get(f"remove_{singular}")
    if raw is None:
        return None
    index = int(raw) if raw.isdigit() and len(raw) < 3 else -1
    formdata, _ = edit_rows(request.form, prefix, fields, remove=index)
    return form_class(formdata=formdata, now=now()), 200


def convenience(form_class, prefix):
    """The form back with a calendar button's boxes ticked, or the centres
    shown for the postcode, without submitting; None otherwise."""
    action = request.form.get("calendar_action")
    if not action and "show_centres" not in request.form:
        return None
    form = form_class(formdata=posted_rows(prefix, drop=False), now=now())
    form.availability.data = calendar.apply_action(
        form.availability.data, action, now()
    )
    return form


def look_up_code(form):
    """Set form.booking, or form.code_problem, from the code typed."""
    try:
        code = situations.normalise_vaccination_code(form.companion_code.data)
        with situations.code_check_service(current_app.config) as service:
            form.booking = situations.look_up_companion_code(service, code)
    except DomainError as exc:
        form.code_problem = exc


def checked_code(form):
    """After the "check the code" button: the problem shown on the code
    field, or the booking's day part ticked when it can be chosen. Returns
    the status to answer with."""
    if form.code_problem is not None:
        form.companion_code.errors = [str(form.code_problem.message)]
        return code_status(form)
    booking = form.booking
    if availability.is_selectable(booking.day, booking.part, now()):
        form.availability.data = [booking.slot]
    return 200


def code_status(form):
    """422 for a code that will not do; 503 while it cannot be checked."""
    unavailable = isinstance(form.code_problem, situations.CodeCheckUnavailable)
    return 503 if unavailable else 422


def postcode_of(raw):
    return centre_service.normalise_postcode(raw if isinstance(raw, str) else "")


def first_postcode(form):
    """The postcode of the first person of a third-party form, or ""."""
    people = form.people.entries
    return postcode_of(people[0].form.postcode.data if people else "") or ""
