"""Registering a group (situation c), a companion (d) or other people (e).

Thin views over app.services.situations. Group members and third parties are
rows of one form: the buttons `add_member` / `remove_member=<n>` (and
`add_person` / `remove_person=<n>`) post the form and get it back with the
rows changed; with htmx they post to a rows endpoint that answers only the
rows fragment. After a group or third-party registration the page says what
happens next and shows no outcome: whether someone was already on the list
or may be invited is only ever told by e-mail, to the address concerned.
"""

import logging
from datetime import UTC, datetime

from flask import current_app, g, redirect, request, url_for

from app import i18n, security
from app.citizen import calendar
from app.citizen.situation_forms import (
    MEMBER_FIELDS,
    THIRD_PARTY_FIELDS,
    CompanionForm,
    GroupForm,
    ThirdPartyForm,
    edit_rows,
    error_items,
)
from app.citizen.views import bp, centre_context, public_form_limit
from app.extensions import db, limiter
from app.rendering import render
from app.services import availability, situations
from app.services import centres as centre_service
from app.services.errors import DomainError

logger = logging.getLogger(__name__)

ROWS = {
    "members": ("member", MEMBER_FIELDS, situations.MAX_GROUP_SIZE - 1),
    "people": ("person", THIRD_PARTY_FIELDS, situations.MAX_THIRD_PARTIES),
}
TOO_MANY = {"members": situations.GROUP_TOO_BIG, "people": situations.TOO_MANY_PEOPLE}


# Groups ---------------------------------------------------------------------


@bp.get("/register/group")
def group_form():
    form = GroupForm(formdata=None, now=_now())
    form.language.data = i18n.select_locale()
    form.members.append_entry()
    return _render_group(form)


@bp.post("/register/group")
@limiter.limit(public_form_limit)
def register_group():
    edited = _edit_rows(GroupForm, "members")
    if edited is not None:
        return _render_group(*edited)
    form = _convenience(GroupForm, "members")
    if form is not None:
        return _render_group(form)

    form = GroupForm(formdata=_rows(request.form, "members"), now=_now())
    if not form.validate():
        return _render_group(form, 422)
    if form.is_bot:
        return redirect(url_for("citizen.group_form"), 303)
    security.limit_national_numbers(
        [form.ssin.clean] + [row.form.ssin.clean for row in form.members]
    )

    submission = situations.register_group(form.group_data())
    db.session.commit()
    _start_checks([submission])
    return redirect(url_for("citizen.group_registered"), 303)


@bp.post("/register/group/members")
def group_members():
    """htmx: the member rows with one added or removed."""
    form, status = _edit_rows(GroupForm, "members") or (
        GroupForm(formdata=_rows(request.form, "members", drop=False), now=_now()),
        200,
    )
    return _render_group(form, status, fragment="citizen/_group_members.html")


@bp.get("/register/group/done")
def group_registered():
    return render("citizen/group_registered.html")


# Companions -----------------------------------------------------------------


@bp.get("/register/companion")
def companion_form():
    form = CompanionForm(formdata=None, now=_now())
    form.language.data = i18n.select_locale()
    return _render_companion(form)


@bp.post("/register/companion")
@limiter.limit(public_form_limit)
def register_companion():
    form = CompanionForm(now=_now())
    if "show_centres" in request.form:
        return _render_companion(form)
    _look_up_code(form)
    if "check_code" in request.form:
        return _checked_code(form)

    if not form.validate():
        return _render_companion(form, _code_status(form))
    if form.is_bot:
        return redirect(url_for("citizen.companion_form"), 303)
    security.limit_national_numbers([form.ssin.clean])

    submission = situations.register_companion(form.companion_data())
    db.session.commit()
    _start_checks([submission])
    return redirect(url_for("citizen.status", token=submission.token), 303)


# Third parties ----------------------------------------------------------------


@bp.get("/register/others")
def third_party_form():
    form = ThirdPartyForm(formdata=None, now=_now())
    form.people.append_entry({"language": i18n.select_locale()})
    return _render_third_parties(form)


@bp.post("/register/others")
@limiter.limit(public_form_limit)
def register_third_parties():
    edited = _edit_rows(ThirdPartyForm, "people")
    if edited is not None:
        return _render_third_parties(*edited)
    form = _convenience(ThirdPartyForm, "people")
    if form is not None:
        return _render_third_parties(form)

    form = ThirdPartyForm(formdata=_rows(request.form, "people"), now=_now())
    if not form.validate():
        return _render_third_parties(form, 422)
    if form.is_bot:
        return redirect(url_for("citizen.third_party_form"), 303)
    security.limit_national_numbers([row.form.ssin.clean for row in form.people])

    submissions = situations.register_third_parties(
        form.third_party_data(),
        registrant_email=form.registrant_email.clean,
        language=i18n.select_locale(),
    )
    db.session.commit()
    _start_checks(submissions)
    return redirect(url_for("citizen.third_parties_registered"), 303)


@bp.post("/register/others/people")
def third_party_people():
    """htmx: the person rows with one added or removed."""
    form, status = _edit_rows(ThirdPartyForm, "people") or (
        ThirdPartyForm(formdata=_rows(request.form, "people", drop=False), now=_now()),
        200,
    )
    return _render_third_parties(
        form, status, fragment="citizen/_third_party_people.html"
    )


@bp.get("/register/others/centres")
def third_party_centres():
    """htmx: the centres for the postcode of the first person."""
    form = ThirdPartyForm(formdata=None, now=_now())
    form.centres.data = request.args.getlist("centres")[:20]
    postcode = _postcode_of(request.args.get("people-0-postcode"))
    return render(
        "citizen/_centres.html",
        "citizen/_centres.html",
        **centre_context(form, postcode or ""),
    )


@bp.get("/register/others/done")
def third_parties_registered():
    return render("citizen/third_party_registered.html")


# Helpers ----------------------------------------------------------------------


def _rows(formdata, prefix, drop=True):
    return edit_rows(formdata, prefix, ROWS[prefix][1], drop_empty=drop)[0]


def _edit_rows(form_class, prefix):
    """(form, status) after an add or remove button of the rows `prefix`;
    None when no such button was pressed."""
    singular, fields, limit = ROWS[prefix]
    if f"add_{singular}" in request.form:
        formdata, count = edit_rows(request.form, prefix, fields)
        if count >= limit:
            form = form_class(formdata=formdata, now=_now())
            form[prefix].errors = [str(TOO_MANY[prefix])]
            return form, 422
        new_row = {"language": i18n.select_locale()} if prefix == "people" else {}
        formdata, _ = edit_rows(request.form, prefix, fields, add=new_row)
        return form_class(formdata=formdata, now=_now()), 200
    raw = request.form.get(f"remove_{singular}")
    if raw is None:
        return None
    index = int(raw) if raw.isdigit() and len(raw) < 3 else -1
    formdata, _ = edit_rows(request.form, prefix, fields, remove=index)
    return form_class(formdata=formdata, now=_now()), 200


def _convenience(form_class, prefix):
    """The form back with a calendar button's boxes ticked, or the centres
    shown for the postcode, without submitting; None otherwise."""
    action = request.form.get("calendar_action")
    if not action and "show_centres" not in request.form:
        return None
    form = form_class(formdata=_rows(request.form, prefix, drop=False), now=_now())
    form.availability.data = calendar.apply_action(
        form.availability.data, action, _now()
    )
    return form


def _start_checks(submissions):
    from jobs.eligibility import start_check

    for submission in submissions:
        if submission.entry_id is not None:
            start_check(submission.entry_id)


def _look_up_code(form):
    """Set form.booking, or form.code_problem, from the code typed."""
    try:
        code = situations.normalise_vaccination_code(form.companion_code.data)
        with situations.code_check_service(current_app.config) as service:
            form.booking = situations.look_up_companion_code(service, code)
    except DomainError as exc:
        form.code_problem = exc


def _checked_code(form):
    """The form back after the "check the code" button: the booking shown,
    and its day part ticked when it can be chosen."""
    if form.code_problem is not None:
        form.companion_code.errors = [str(form.code_problem.message)]
        return _render_companion(form, _code_status(form))
    booking = form.booking
    if availability.is_selectable(booking.day, booking.part, _now()):
        form.availability.data = [booking.slot]
    return _render_companion(form)


def _code_status(form):
    unavailable = isinstance(form.code_problem, situations.CodeCheckUnavailable)
    return 503 if unavailable else 422


def _render_group(form, status=200, fragment=None):
    return render(
        "citizen/group.html",
        fragment,
        status=status,
        form=form,
        errors=error_items(form),
        calendar=calendar.build(form.availability.data or [], _now()),
        **centre_context(form),
    )


def _render_companion(form, status=200):
    return render(
        "citizen/companion.html",
        status=status,
        form=form,
        booking=form.booking,
        errors=error_items(form),
        calendar=calendar.build(form.availability.data or [], _now()),
        **centre_context(form),
    )


def _render_third_parties(form, status=200, fragment=None):
    first = form.people.entries[0].form.postcode.data if form.people.entries else ""
    g.who = i18n.FOR_SOMEONE_ELSE  # the calendar is the other people's
    return render(
        "citizen/third_party.html",
        fragment,
        status=status,
        form=form,
        errors=error_items(form),
        calendar=calendar.build(form.availability.data or [], _now()),
        **centre_context(form, _postcode_of(first) or ""),
    )


def _postcode_of(raw):
    return centre_service.normalise_postcode(raw if isinstance(raw, str) else "")


def _now():
    return datetime.now(UTC)
