"""Citizen pages: registration, the status of a registration."""

import logging
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, redirect, request, url_for

from app import i18n, security
from app.citizen import calendar
from app.citizen.forms import RegistrationForm
from app.extensions import db, limiter
from app.rendering import render
from app.services import centres as centre_service
from app.services import entries
from app.services.entries import Outcome, PersonData, RegistrationData

logger = logging.getLogger(__name__)

bp = Blueprint("citizen", __name__, url_prefix="/<any(nl, fr, de):lang>")
bp.url_value_preprocessor(i18n.pull_lang)
bp.url_defaults(i18n.push_lang)


def public_form_limit():
    return current_app.config["RATELIMIT_PUBLIC_FORMS"]


def _form_edit_limit():
    return current_app.config["RATELIMIT_FORM_EDITS"]


# The buttons that post a form only to get it back changed, for browsers
# without JavaScript: they store nothing and send nothing.
EDIT_BUTTONS = ("calendar_action", "show_centres")
EDIT_BUTTON_PREFIXES = ("add_", "remove_")


def _only_edits_the_form():
    return any(request.form.get(name) for name in EDIT_BUTTONS) or any(
        name.startswith(EDIT_BUTTON_PREFIXES) for name in request.form
    )


def _sends_the_form():
    return not _only_edits_the_form()


def public_form_limits(view):
    """The form's limit on posts that send it; a looser one of its own on the
    posts that only edit it, so ticking a calendar without JavaScript never
    uses up what the person needs to send it."""
    post = ["POST"]
    view = limiter.limit(_form_edit_limit, methods=post, exempt_when=_sends_the_form)(
        view
    )
    return limiter.limit(
        public_form_limit, methods=post, exempt_when=_only_edits_the_form
    )(view)


@bp.get("/register")
def register_form():
    form = RegistrationForm(formdata=None, now=_now())
    form.language.data = i18n.select_locale()
    postcode = centre_service.normalise_postcode(request.args.get("postcode"))
    if postcode and centre_service.is_known_postcode(postcode):
        form.postcode.data = postcode
    return _render_form(form)


@bp.post("/register")
@public_form_limits
def register():
    form = RegistrationForm(now=_now())
    action = request.form.get("calendar_action")
    if action or "show_centres" in request.form:
        # A convenience button of the no-JavaScript form: fill in, don't submit.
        form.availability.data = calendar.apply_action(
            form.availability.data, action, _now()
        )
        return _render_form(form)

    if not form.validate():
        return _render_form(form, status=422)
    if form.is_bot:
        logger.info("registration refused: honeypot filled in")
        return redirect(url_for("citizen.register_form"), 303)
    security.limit_national_numbers([form.ssin.clean])

    submission = entries.register(_registration_data(form))
    db.session.commit()
    from jobs.eligibility import start_check

    start_check(submission.entry_id)
    return redirect(url_for("citizen.status", token=submission.token), 303)


@bp.post("/register/calendar")
def calendar_fragment():
    """htmx: tick a whole day, week or all evenings without a page reload."""
    i18n.speak_of_someone_else_if_asked()
    chosen = calendar.apply_action(
        request.form.getlist("availability"),
        request.form.get("calendar_action"),
        _now(),
    )
    return render(
        "citizen/_calendar.html",
        "citizen/_calendar.html",
        calendar=calendar.build(chosen, _now()),
        errors=[],
    )


@bp.get("/register/centres")
def centres_fragment():
    """htmx: the centres for the postcode typed so far."""
    i18n.speak_of_someone_else_if_asked()
    form = RegistrationForm(formdata=None, now=_now())
    form.postcode.data = request.args.get("postcode", "")[:20]
    form.centres.data = request.args.getlist("centres")[:20]
    return render(
        "citizen/_centres.html", "citizen/_centres.html", **centre_context(form)
    )


@bp.get("/register/status/<token>")
def status(token):
    submission = entries.submission_by_token(token)
    if submission is None:
        abort(404)
    outcome = entries.submission_outcome(submission)
    return render(
        "citizen/status.html",
        "citizen/_status.html",
        token=token,
        outcome=outcome,
        Outcome=Outcome,
    )


def _registration_data(form):
    return RegistrationData(
        person=PersonData(
            ssin=form.ssin.clean,
            last_name=form.last_name.clean,
            first_name=form.first_name.clean,
            email=form.email.clean,
            mobile=form.mobile.clean,
        ),
        postcode=form.postcode.clean,
        language=form.language.data,
        centre_ids=form.centres.clean,
        slots=form.availability.clean,
    )


def _render_form(form, status=200):
    return render(
        "citizen/register.html",
        status=status,
        form=form,
        calendar=calendar.build(form.availability.data or [], _now()),
        **centre_context(form),
    )


def centre_context(form, postcode=None):
    """Centres serving the postcode first; the others grouped by province."""
    if postcode is None:
        postcode = centre_service.normalise_postcode(form.postcode.data)
    near = centre_service.centres_for_postcode(postcode) if postcode else []
    near_ids = {c.id for c in near}
    others = [c for c in centre_service.active_centres() if c.id not in near_ids]
    chosen = set(c for c in (form.centres.data or []) if isinstance(c, str))
    if not chosen and len(near) == 1:
        chosen = {near[0].code}
    return {
        "near_centres": near,
        "other_centres": centre_service.group_by_province(others),
        "chosen_centres": chosen,
        "postcode_known": bool(near),
        # A chosen centre among the others keeps their list open: it is seen.
        "chosen_elsewhere": bool(chosen & {c.code for c in others}),
    }


def _now():
    return datetime.now(UTC)


# Pages in modules of their own register their routes on `bp`.
from app.citizen import (  # noqa: E402
    direct,  # noqa: F401
    personal,  # noqa: F401
    rights,  # noqa: F401
    situations,  # noqa: F401
)
