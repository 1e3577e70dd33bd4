"""Contact-centre agent pages: register a caller, find and help a registration.

An agent reaches an entry only through the caller's national number, posted
in a form (never in a URL). A found entry's id is remembered in the agent's
session, and only the entries remembered there can be opened or acted on:
`/agent/entries/<id>` answers 404 for any other id, so entries cannot be
browsed by number. Every look-up and every look at an entry is audited.
"""

import logging
from datetime import UTC, datetime

from flask import Blueprint, abort, redirect, request, session, url_for
from flask_login import current_user

from app import i18n, notices, security
from app.agent.forms import CallerForm, LookupForm
from app.auth.access import role_required
from app.doctor import on_behalf
from app.extensions import db, limiter
from app.models import Entry, Role
from app.rendering import render
from app.services import agents, availability
from app.services.errors import DomainError

logger = logging.getLogger(__name__)

bp = Blueprint("agent", __name__, url_prefix="/agent")

HELPING = "_agent_entries"  # session key: ids of the entries found, newest last
HELPING_MAX = 20
# Agents find people one call at a time; more than this is not a call centre.
LOOKUP_LIMIT = "60 per hour"
NOTICES = ("registered", "update", "resent", "nobody", "others")


def _now():
    return datetime.now(UTC)


def _notice():
    notice = request.args.get("done")
    return notice if notice in NOTICES else None


def _agent_key():
    return f"agent-{getattr(current_user, 'id', None)}"


def remember(entry_id):
    """Let this session open entry `entry_id` (found or registered by the agent)."""
    helping = [i for i in session.get(HELPING, []) if i != entry_id]
    session[HELPING] = (helping + [entry_id])[-HELPING_MAX:]


def _helping(entry_id):
    if entry_id not in session.get(HELPING, []):
        abort(404)


@bp.get("/")
@role_required(Role.AGENT)
def index():
    return render("agent/index.html", form=LookupForm(formdata=None), notice=_notice())


@bp.get("/register")
@role_required(Role.AGENT)
def register_form():
    now = _now()
    form = CallerForm(formdata=None, now=now)
    form.language.data = i18n.select_locale()
    return _render_form(form, now)


@bp.post("/register")
@role_required(Role.AGENT)
def register():
    now = _now()
    form = CallerForm(now=now)
    if on_behalf.apply_convenience(form, now):
        return _render_form(form, now)

    if not form.validate():
        return _render_form(form, now, 422)
    security.limit_national_numbers([form.ssin.clean])
    submission = agents.register_caller(current_user.id, form.registration_data(), now)
    db.session.commit()
    from jobs.eligibility import start_check

    start_check(submission.entry_id)
    remember(submission.entry_id)
    done = "update" if submission.is_update else "registered"
    return redirect(
        url_for("agent.entry", entry_id=submission.entry_id, done=done), 303
    )


@bp.get("/lookup")
@role_required(Role.AGENT)
def lookup_form():
    return render("agent/lookup.html", form=LookupForm(formdata=None), not_found=False)


@bp.post("/lookup")
@role_required(Role.AGENT)
@limiter.limit(LOOKUP_LIMIT, key_func=_agent_key)
def lookup():
    form = LookupForm()

    valid = form.validate()
    entry = agents.look_up(current_user, form.ssin.clean if valid else None)
    db.session.commit()  # the audit row, whatever the outcome
    if not valid:
        return render("agent/lookup.html", status=422, form=form, not_found=False)
    if entry is None:
        return render(
            "agent/lookup.html", form=LookupForm(formdata=None), not_found=True
        )
    remember(entry.id)
    return redirect(url_for("agent.entry", entry_id=entry.id), 303)


@bp.get("/entries/<int:entry_id>")
@role_required(Role.AGENT)
def entry(entry_id):
    _helping(entry_id)
    return _show_entry(entry_id)


@bp.post("/entries/<int:entry_id>/resend")
@role_required(Role.AGENT)
def resend_confirmation(entry_id):
    _helping(entry_id)
    found = db.session.get(Entry, entry_id)
    if found is None:
        return render("agent/gone.html", status=404)

    try:
        agents.resend_confirmation(current_user, found, notices.confirmation_again)
    except DomainError as error:
        db.session.rollback()
        return _show_entry(entry_id, error=error.message, status=409)
    db.session.commit()
    return redirect(url_for("agent.entry", entry_id=entry_id, done="resent"), 303)


def _show_entry(entry_id, error=None, status=200):
    found = agents.read_entry(current_user, entry_id)
    if found is None:
        return render("agent/gone.html", status=404)
    response = render(
        "agent/entry.html",
        status=status,
        entry=found,
        slots=availability.decode(found.avail_from_day, found.avail_bits),
        centres=sorted((link.centre for link in found.centres), key=lambda c: c.name),
        masked_email=agents.masked_email,
        masked_mobile=agents.masked_mobile,
        error=error,
        notice=_notice(),
    )
    db.session.commit()  # the audit row of this read
    return response


def _render_form(form, now, status=200):
    return render(
        "agent/register.html", status=status, **on_behalf.form_context(form, now)
    )


from app.agent import situations  # noqa: E402,F401 - registers its routes on bp
