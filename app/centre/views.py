"""Centre staff: campaigns and their live screen.

Centre staff see and act on their own centre only; operators on any centre,
chosen with the centre picker. Every change is a POST with a CSRF token,
answered with a 303 to the page that shows its effect.

The live screen shows no personal data: invitation number, people, state
and minutes left. Staff follow the names in the regular booking system.
"""

import logging
from datetime import UTC, datetime

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.auth.access import centre_scope, require_centre_access, role_required
from app.centre.forms import ActionForm, CampaignForm, PerSlotForm
from app.extensions import db
from app.models import Campaign, CampaignState, Centre, InvitationState, Role
from app.rendering import render
from app.services import campaigns, invitations
from app.services.campaigns import CampaignRequest, InvalidCampaign
from app.services.errors import DomainError

logger = logging.getLogger(__name__)

bp = Blueprint("centre", __name__, url_prefix="/centre")

STAFF = (Role.CENTRE_STAFF, Role.OPERATOR)
# Live screen refresh, seconds (htmx polling).
POLL_SECONDS = 5


def _now():
    return datetime.now(UTC)


def _centre_from_code(code):
    if not isinstance(code, str) or not code or len(code) > 64:
        return None
    return db.session.scalar(
        select(Centre).where(Centre.code == code, Centre.active.is_(True))
    )


def _chosen_centre(code):
    """The centre the page is about: staff's own; for operators the one
    picked (None until they pick one)."""
    scope = centre_scope(current_user)
    if scope is not None:
        return db.session.get(Centre, scope)
    return _centre_from_code(code)


def _centre_choices():
    centres = db.session.scalars(
        select(Centre).where(Centre.active.is_(True)).order_by(Centre.name)
    ).all()
    return [(c.code, c.name) for c in centres]


def _campaign_or_404(campaign_id):
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    require_centre_access(current_user, campaign.centre_id)
    return campaign


@bp.get("/")
@role_required(*STAFF)
def index():
    centre = _chosen_centre(request.args.get("centre"))
    listed = campaigns.campaigns_of(centre.id) if centre else []
    return render(
        "centre/index.html",
        centre=centre,
        picker=_centre_choices() if current_user.role == Role.OPERATOR else None,
        campaigns=listed,
        counts={c.id: campaigns.counts(c) for c in listed},
    )


@bp.get("/campaigns/new")
@role_required(*STAFF)
def new_campaign():
    form = CampaignForm(formdata=None)
    # Spare doses are mostly for today: the form starts there.
    form.day.data = campaigns.allowed_days(_now())[0].isoformat()
    centre = _chosen_centre(request.args.get("centre"))
    if centre is not None:
        form.centre.data = centre.code
    return _render_form(form, centre)


@bp.post("/campaigns/new")
@role_required(*STAFF)
def create_campaign():
    form = CampaignForm()
    centre = _chosen_centre(form.centre.data)
    now = _now()

    readable = form.validate()
    request_ = CampaignRequest(centre_id=centre.id if centre else None, **form.values())
    problems = campaigns.problems(request_, now)
    if centre is None:
        problems.insert(0, ("centre", _l("Choose the centre.")))
    if not readable or problems:
        for field, message in problems:
            if not getattr(form, field).errors:  # unreadable already says why
                getattr(form, field).errors = [message]
        return _render_form(form, centre, 422)

    try:
        campaign = campaigns.open_campaign(request_, actor=current_user, now=now)
    except InvalidCampaign:  # pragma: no cover - checked just above
        abort(422)
    db.session.commit()

    return _back(campaign, "opened")


def _render_form(form, centre, status=200):
    choices = _centre_choices() if current_user.role == Role.OPERATOR else None
    first_day, last_day = campaigns.allowed_days(_now())
    return render(
        "centre/new.html",
        status=status,
        form=form,
        centre=centre,
        choices=choices,
        day_range={"min": first_day.isoformat(), "max": last_day.isoformat()},
    )


@bp.get("/campaigns/<int:campaign_id>")
@role_required(*STAFF)
def campaign(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    per_slot_form = PerSlotForm(formdata=None, per_slot=str(campaign.per_slot))
    return render(
        "centre/campaign.html",
        "centre/_live.html",
        campaign=campaign,
        per_slot_form=per_slot_form,
        per_slot_choices=range(1, campaigns.MAX_PER_SLOT + 1),
        action_form=ActionForm(formdata=None),
        notice=request.args.get("done"),
        **_live_context(campaign),
    )


def _live_context(campaign):
    now = _now()
    rows = [
        {
            "number": number,
            "size": invitation.size,
            "state": invitation.state,
            "minutes_left": invitations.minutes_left(invitation, now),
        }
        for number, invitation in enumerate(campaigns.invitations_of(campaign), 1)
    ]
    counts = campaigns.counts(campaign)
    return {
        "counts": counts,
        "rows": rows,
        "now": now,
        "inviting": campaigns.accepts_invitations(campaign, now),
        "nobody_left": campaigns.nobody_left(campaign, counts, now),
        # Keep polling while anything can still change.
        "live": campaign.state == CampaignState.OPEN or counts.waiting > 0,
        "poll_seconds": POLL_SECONDS,
        "States": InvitationState,
    }


@bp.post("/campaigns/<int:campaign_id>/invite")
@role_required(*STAFF)
def invite_more(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    if not ActionForm().validate():
        abort(400)

    try:
        told = campaigns.invite_more(campaign.id, actor=current_user, now=_now())
    except DomainError:
        return _back(campaign, "not_inviting")
    db.session.commit()

    return _back(campaign, told)


@bp.post("/campaigns/<int:campaign_id>/per-slot")
@role_required(*STAFF)
def set_per_slot(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    form = PerSlotForm()
    if not form.validate():
        abort(400)
    try:
        campaigns.set_per_slot(campaign.id, form.value, actor=current_user, now=_now())
    except DomainError:
        db.session.rollback()
        return _back(campaign, "per_slot_refused")
    db.session.commit()

    return _back(campaign, "per_slot")


@bp.post("/campaigns/<int:campaign_id>/close")
@role_required(*STAFF)
def close(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    if not ActionForm().validate():
        abort(400)

    campaigns.close_campaign(campaign.id, actor=current_user, now=_now())
    db.session.commit()

    return _back(campaign, "closed")


def _back(campaign, done):
    return redirect(url_for("centre.campaign", campaign_id=campaign.id, done=done), 303)


# Modules that register their routes on bp.
from app.centre import callback, moments  # noqa: E402,F401
