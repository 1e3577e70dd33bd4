"""Centre staff announce open moments (direct slots) and follow their claims.

Routes on the centre blueprint (`/centre/...`), for centre staff (their own
centre) and operators (every centre):

- GET  /centre/moments                    the coming moments (htmx refreshes the table)
- GET  /centre/moments/new                the form to announce one
- POST /centre/moments                    announce it; 303 to the list
- POST /centre/moments/<id>/close         no new claims; 303 to the list
"""

import logging
from datetime import UTC, datetime

from flask import abort, redirect, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.auth.access import centre_scope, require_centre_access, role_required
from app.centre.moment_forms import MomentForm
from app.centre.views import bp
from app.extensions import db
from app.formats import format_day
from app.models import ClaimState, OpenMoment, Role
from app.rendering import render
from app.services import centres as centre_service
from app.services import direct
from app.services.entries import active_centre_ids
from app.services.errors import DomainError

logger = logging.getLogger(__name__)

STAFF = (Role.CENTRE_STAFF, Role.OPERATOR)


@bp.get("/moments")
@role_required(*STAFF)
def list_moments():
    scope = centre_scope(current_user)

    moments = direct.centre_moments(None if scope is None else [scope], _now())

    return render(
        "centre/moments.html",
        "centre/_moments_table.html",
        moments=moments,
        counts=direct.claim_counts([m.id for m in moments]),
        ClaimState=ClaimState,
        show_centre=scope is None,
    )


@bp.get("/moments/new")
@role_required(*STAFF)
def new_moment():
    form = _form(formdata=None)
    return _render_form(form)


@bp.post("/moments")
@role_required(*STAFF)
def announce_moment():
    form = _form()
    if not form.validate():
        return _render_form(form, status=422)

    try:
        direct.announce_moment(
            centre_id=_centre_id(form),
            day=form.day.clean,
            start_time=form.start_time.clean,
            end_time=form.end_time.clean,
            slots=form.slots.clean,
            created_by_id=current_user.id,
            now=_now(),
        )
    except DomainError as exc:
        db.session.rollback()
        _field(form, exc.field).errors.append(exc.message)
        return _render_form(form, status=422)
    db.session.commit()
    return redirect(url_for("centre.list_moments"), 303)


@bp.post("/moments/<int:moment_id>/close")
@role_required(*STAFF)
def close_moment(moment_id):
    moment = db.session.get(OpenMoment, moment_id)
    if moment is None:
        abort(404)
    require_centre_access(current_user, moment.centre_id)

    direct.close_moment(moment, _now())
    db.session.commit()

    return redirect(url_for("centre.list_moments"), 303)


def _form(**kwargs):
    scope = centre_scope(current_user)
    codes = None
    if scope is None:
        centres = centre_service.active_centres()
        codes = [c.code for c in centres]
    form = MomentForm(centre_codes=codes, **kwargs)
    if codes is not None:
        form.centre.choices = [SelectChoice("", "")] + [
            SelectChoice(c.code, c.name) for c in centres
        ]
    form.day.choices = [
        SelectChoice(d.isoformat(), format_day(d)) for d in direct.moment_days()
    ]
    return form


def _centre_id(form):
    scope = centre_scope(current_user)
    if scope is not None:
        return scope
    return active_centre_ids([form.centre.clean])[0]


def _field(form, name):
    return form[name] if name in form else form.day


def _render_form(form, status=200):
    scope = centre_scope(current_user)
    centre = current_user.centre if scope is not None else None
    return render("centre/moments_new.html", status=status, form=form, centre=centre)


def _now():
    return datetime.now(UTC)
