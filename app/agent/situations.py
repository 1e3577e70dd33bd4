"""Agent pages for situations c, d and e: a group, a companion, other people.

The forms, their row buttons and their htmx fragments are those of the
public pages (app/citizen/situation_forms.py, app/citizen/situation_steps.py);
the registration goes through app.services.agents, which records the agent
as `registered_by_id` and in the audit trail. Their partials call the
citizen fragment endpoints in the agent's language (on_behalf).
"""

from flask import redirect, request, url_for
from flask_login import current_user

from app import i18n, security
from app.agent.views import bp, remember
from app.auth.access import role_required
from app.citizen import calendar
from app.citizen import situation_steps as steps
from app.citizen.situation_forms import (
    CompanionForm,
    GroupForm,
    ThirdPartyForm,
    error_items,
)
from app.citizen.situation_steps import now as _now
from app.citizen.views import centre_context
from app.doctor import on_behalf
from app.extensions import db
from app.models import Role
from app.rendering import render
from app.services import agents


def _start_checks(submissions):
    from jobs.eligibility import start_check

    for submission in submissions:
        if submission.entry_id is not None:
            start_check(submission.entry_id)
            remember(submission.entry_id)


# Groups (c) -------------------------------------------------------------------


@bp.get("/register/group")
@role_required(Role.AGENT)
def group_form():
    form = GroupForm(formdata=None, now=_now())
    form.language.data = i18n.select_locale()
    form.members.append_entry()
    return _render("agent/group.html", form)


@bp.post("/register/group")
@role_required(Role.AGENT)
def register_group():
    edited = steps.row_button(GroupForm, "members")
    if edited is not None:
        return _render("agent/group.html", *edited)
    form = steps.convenience(GroupForm, "members")
    if form is not None:
        return _render("agent/group.html", form)

    rows = steps.posted_rows("members")
    form = GroupForm(formdata=rows, now=_now())
    if not form.validate():
        return _render("agent/group.html", form, 422)
    security.limit_national_numbers(
        [form.ssin.clean] + [row.form.ssin.clean for row in form.members]
    )
    submission = agents.register_group(current_user.id, form.group_data())
    db.session.commit()
    _start_checks([submission])
    if submission.entry_id is None:
        return redirect(url_for("agent.index", done="nobody"), 303)
    return redirect(
        url_for("agent.entry", entry_id=submission.entry_id, done="registered"), 303
    )


# Companions (d) ---------------------------------------------------------------


@bp.get("/register/companion")
@role_required(Role.AGENT)
def companion_form():
    form = CompanionForm(formdata=None, now=_now())
    form.language.data = i18n.select_locale()
    return _render_companion(form)


@bp.post("/register/companion")
@role_required(Role.AGENT)
def register_companion():
    form = CompanionForm(now=_now())
    if "show_centres" in request.form:
        return _render_companion(form)
    steps.look_up_code(form)
    if "check_code" in request.form:
        return _render_companion(form, steps.checked_code(form))

    if not form.validate():
        return _render_companion(form, steps.code_status(form))
    security.limit_national_numbers([form.ssin.clean])
    submission = agents.register_companion(current_user.id, form.companion_data())
    db.session.commit()
    _start_checks([submission])
    done = "update" if submission.is_update else "registered"
    return redirect(
        url_for("agent.entry", entry_id=submission.entry_id, done=done), 303
    )


def _render_companion(form, status=200):
    return _render("agent/companion.html", form, status, booking=form.booking)


# Other people (e) -------------------------------------------------------------


@bp.get("/register/others")
@role_required(Role.AGENT)
def third_party_form():
    form = ThirdPartyForm(formdata=None, now=_now())
    form.people.append_entry({"language": i18n.select_locale()})
    return _render_others(form)


@bp.post("/register/others")
@role_required(Role.AGENT)
def register_third_parties():
    edited = steps.row_button(ThirdPartyForm, "people")
    if edited is not None:
        return _render_others(*edited)
    form = steps.convenience(ThirdPartyForm, "people")
    if form is not None:
        return _render_others(form)

    rows = steps.posted_rows("people")
    form = ThirdPartyForm(formdata=rows, now=_now())
    if not form.validate():
        return _render_others(form, 422)
    security.limit_national_numbers([row.form.ssin.clean for row in form.people])
    submissions = agents.register_third_parties(
        current_user.id,
        form.third_party_data(),
        registrant_email=form.registrant_email.clean,
        language=i18n.select_locale(),
    )
    db.session.commit()
    _start_checks(submissions)
    return redirect(url_for("agent.index", done="others"), 303)


def _render_others(form, status=200):
    postcode = steps.first_postcode(form)
    return _render("agent/third_party.html", form, status, postcode=postcode)


def _render(template, form, status=200, postcode=None, **extra):
    on_behalf.use_citizen_fragments()
    on_behalf.reword(form)
    return render(
        template,
        status=status,
        form=form,
        errors=error_items(form),
        calendar=calendar.build(form.availability.data or [], _now()),
        staff_page=True,
        **centre_context(form, postcode),
        **extra,
    )
