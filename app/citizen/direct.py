"""Citizen pages of direct slots: the open moments, claiming one, its status.

Routes are added to the citizen blueprint (`/<lang>/...`):

- GET  /moments?postcode=9000  the open moments, centres serving the postcode first
- GET  /moments/<id>           the claim form of one moment
- POST /moments/<id>           claim a slot; 303 to the status page
- GET  /moments/claim/<token>  the claim's status (htmx polls while checking)
"""

import logging
from datetime import UTC, datetime

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _

from app import i18n, security
from app.citizen.direct_forms import ClaimForm
from app.citizen.views import bp, public_form_limit
from app.extensions import limiter
from app.models import ClaimState
from app.rendering import render
from app.services import centres as centre_service
from app.services import direct
from app.services.direct import ClaimData
from app.services.entries import PersonData
from app.services.errors import DomainError

logger = logging.getLogger(__name__)


@bp.get("/moments")
def list_moments():
    raw = request.args.get("postcode", "")[:20].strip()
    postcode = centre_service.normalise_postcode(raw)
    error = None
    if raw and postcode is None:
        error = _("Enter a Belgian postcode of 4 digits, for example 9000.")
    elif raw and not centre_service.is_known_postcode(postcode):
        error = _("We do not know this postcode in Belgium.")

    near, others = direct.open_moments(None if error else postcode, _now())

    return render(
        "citizen/moments.html",
        "citizen/_moments.html",
        status=422 if error else 200,
        postcode=raw,
        postcode_error=error,
        searched=bool(postcode) and error is None,
        near=near,
        others=others,
    )


@bp.get("/moments/<int:moment_id>")
def claim_form(moment_id):
    moment = direct.claimable_moment(moment_id, _now())
    form = ClaimForm(formdata=None)
    form.language.data = i18n.select_locale()
    postcode = centre_service.normalise_postcode(request.args.get("postcode"))
    if postcode and centre_service.is_known_postcode(postcode):
        form.postcode.data = postcode

    return _render_claim(moment, form, status=200 if moment else 410)


@bp.post("/moments/<int:moment_id>")
@limiter.limit(public_form_limit)
def claim_moment(moment_id):
    moment = direct.claimable_moment(moment_id, _now())
    if moment is None:
        return _render_claim(None, ClaimForm(), status=410)
    form = ClaimForm()
    if not form.validate():
        return _render_claim(moment, form, status=422)
    if form.is_bot:
        logger.info("claim refused: honeypot filled in")
        return redirect(url_for("citizen.list_moments"), 303)
    security.limit_national_numbers([form.ssin.clean])

    try:
        claim = direct.claim_moment(moment_id, _claim_data(form), _now())
    except DomainError as exc:
        moment = direct.claimable_moment(moment_id)
        return _render_claim(moment, form, status=422, claim_error=exc.message)
    from jobs.direct import start_check

    start_check(claim.id)
    return redirect(url_for("citizen.claim_status", token=claim.token), 303)


@bp.get("/moments/claim/<token>")
def claim_status(token):
    claim = direct.claim_by_token(token, _now())
    if claim is None:
        abort(404)
    return render(
        "citizen/moment_status.html",
        "citizen/_moment_status.html",
        token=token,
        claim=claim,
        moment=claim.moment,
        centre=claim.moment.centre,
        ClaimState=ClaimState,
    )


def _claim_data(form):
    return ClaimData(
        person=PersonData(
            ssin=form.ssin.clean,
            last_name=form.last_name.clean,
            first_name=form.first_name.clean,
            email=form.email.clean,
            mobile=form.mobile.clean,
        ),
        postcode=form.postcode.clean,
        language=form.language.data,
    )


def _render_claim(moment, form, status, claim_error=None):
    return render(
        "citizen/moment_claim.html",
        status=status,
        moment=moment,
        form=form,
        claim_error=claim_error,
    )


def _now():
    return datetime.now(UTC)
