""" "I cannot come": the link in every invitation, for the person invited.

GET shows what the invitation is for and a button (mail scanners follow
links, so a GET changes nothing); POST declines it. The slot goes to the next
person at once; the person stays on the list, and their vaccination code and
any appointment in the regular booking system are left alone. The link
names only the invitation, is signed for this one purpose, and stops working
at the campaign's end; a link that is not valid gets the ordinary 404 page.
"""

import logging
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, redirect, url_for

from app import i18n
from app.centre.forms import ActionForm
from app.centre.links import invitation_for_decline_token
from app.extensions import db, limiter
from app.models import InvitationState
from app.rendering import render
from app.services import invitations

logger = logging.getLogger(__name__)

bp = Blueprint("invitation", __name__, url_prefix="/<any(nl, fr, de):lang>/invitation")
bp.url_value_preprocessor(i18n.pull_lang)
bp.url_defaults(i18n.push_lang)


def _limit():
    return current_app.config["RATELIMIT_PUBLIC_FORMS"]


def _invitation_or_404(token):
    invitation = invitation_for_decline_token(token)
    if invitation is None or invitation.entry_id is None:
        abort(404)
    return invitation


@bp.get("/<token>")
def decline_form(token):
    invitation = _invitation_or_404(token)
    return _render(invitation, token)


@bp.post("/<token>")
@limiter.limit(_limit)
def decline(token):
    invitation = _invitation_or_404(token)
    form = ActionForm()
    if not form.validate():
        abort(400)
    now = datetime.now(UTC)
    if invitation.campaign.ends_at <= now:
        return _render(invitation, token)

    declined = invitations.decline(invitation.id, now=now)
    db.session.commit()

    if declined:
        logger.info("invitation %s declined by its link", invitation.id)
    return redirect(url_for("invitation.decline_form", token=token), 303)


def _render(invitation, token):
    now = datetime.now(UTC)
    campaign = invitation.campaign
    return render(
        "centre/decline.html",
        invitation=invitation,
        campaign=campaign,
        centre=campaign.centre,
        token=token,
        form=ActionForm(formdata=None),
        ended=campaign.ends_at <= now,
        States=InvitationState,
    )
