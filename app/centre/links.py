"""The links campaign messages carry, built from the application's settings.

The "I cannot come" link is signed with SECRET_KEY for that one purpose,
carries only the invitation id, and is refused after the campaign's end.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app import links as personal_links
from app.extensions import db
from app.models import Invitation
from app.services.invitations import Links

DECLINE = "decline-invitation"
# The campaign's end is the real limit; this only bounds the signature.
DECLINE_MAX_AGE = 15 * 24 * 3600


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DECLINE)


def decline_token(invitation):
    return _serializer().dumps({"i": invitation.id})


def invitation_for_decline_token(token):
    """The invitation a decline link names, or None (bad, old, or forged)."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    try:
        data = _serializer().loads(token, max_age=DECLINE_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        return None
    return db.session.get(Invitation, data["i"])


def decline_url(invitation):
    language = invitation.entry.language if invitation.entry else "nl"
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/{language}/invitation/{decline_token(invitation)}"


def campaign_links():
    """The `Links` the campaign services put in messages."""
    return Links(
        booking_system_url=current_app.config["BOOKING_SYSTEM_URL"],
        decline_url=decline_url,
        personal_url=personal_links.personal_url,
    )
