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

from flask import g, redirect, request, url_for

from app import i18n, security
from app.citizen import calendar
from app.citizen import situation_steps as steps
from app.citizen.situation_forms import (
    CompanionForm,
    GroupForm,
    ThirdPartyForm,
    error_items,
)
from app.citizen.situation_steps import now as _now
from app.citizen.views import bp, centre_context, public_form_limits
from app.extensions import db
from app.rendering import render
from app.services import situations

logger = logging.getLogger(__name__)


# Groups ---------------------------------------------------------------------


@bp.get("/register/group")
def group_form():
    form = GroupForm(formdata=None, now=_now())
    form.language.data = i18n.select_locale()
    form.members.append_entry()
    return _render_group(form)


@bp.post("/register/group")
@public_form_limits
def register_group():
    edited = steps.row_button(GroupForm, "members")
    if edited is not None:
        return _render_group(*edited)
    form = steps.convenience(GroupForm, "members")
    if form is not None:
        return _render_group(form)

    form = GroupForm(formdata=steps.posted_rows("members"), now=_now())
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
    i18n.speak_of_someone_else_if_asked()
    form, status = steps.row_button(GroupForm, "members") or (
        GroupForm(formdata=steps.posted_rows("members", drop=False), now=_now()),
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
@public_form_limits
def register_companion():
    form = CompanionForm(now=_now())
    if "show_centres" in request.form:
        return _render_companion(form)
    steps.look_up_code(form)
    if "check_code" in request.form:
        return _render_companion(form, steps.checked_code(form))

    if not form.validate():
        return _render_companion(form, steps.code_status(form))
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
@public_form_limits
def register_third_parties():
    edited = steps.row_button(ThirdPartyForm, "people")
    if edited is not None:
        return _render_third_parties(*edited)
    form = steps.convenience(ThirdPartyForm, "people")
    if form is not None:
        return _render_third_parties(form)

    form = ThirdPartyForm(formdata=steps.posted_rows("people"), now=_now())
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
    form, status = steps.row_button(ThirdPartyForm, "people") or (
        ThirdPartyForm(formdata=steps.posted_rows("people", drop=False), now=_now()),
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
    postcode = steps.postcode_of(request.args.get("people-0-postcode"))
    return render(
        "citizen/_centres.html",
        "citizen/_centres.html",
        **centre_context(form, postcode or ""),
    )


@bp.get("/register/others/done")
def third_parties_registered():
    return render("citizen/third_party_registered.html")


# Helpers ----------------------------------------------------------------------


def _start_checks(submissions):
    from jobs.eligibility import start_check

    for submission in submissions:
        if submission.entry_id is not None:
            start_check(submission.entry_id)


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
    g.who = i18n.FOR_SOMEONE_ELSE  # the calendar is the other people's
    return render(
        "citizen/third_party.html",
        fragment,
        status=status,
        form=form,
        errors=error_items(form),
        calendar=calendar.build(form.availability.data or [], _now()),
        **centre_context(form, steps.first_postcode(form)),
    )
