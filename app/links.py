"""Signed links sent to people: the personal link and the update confirmation.

Each link is signed with SECRET_KEY under its own purpose (salt), expires,
and carries only ids. A personal link also carries the entry's link_version:
bumping it (on a confirmed update or a withdrawal) invalidates every older
link at once. Links are built on PUBLIC_BASE_URL, since jobs have no request.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.extensions import db
from app.models import Entry, Submission

PERSONAL = "personal-link"
CONFIRM_UPDATE = "confirm-update"
PERSONAL_MAX_AGE = 30 * 24 * 3600
CONFIRM_MAX_AGE = 2 * 24 * 3600


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def _load(purpose, token, max_age):
    if not isinstance(token, str) or len(token) > 300:
        return None
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:
        return None


def personal_token(entry):
    return _serializer(PERSONAL).dumps({"e": entry.id, "v": entry.link_version})


def entry_for_personal_token(token):
    data = _load(PERSONAL, token, PERSONAL_MAX_AGE)
    if not isinstance(data, dict):
        return None
    entry = (
        db.session.get(Entry, data.get("e")) if isinstance(data.get("e"), int) else None
    )
    if entry is None or entry.link_version != data.get("v"):
        return None
    return entry


def confirm_token(submission):
    return _serializer(CONFIRM_UPDATE).dumps({"s": submission.id})


def submission_for_confirm_token(token):
    data = _load(CONFIRM_UPDATE, token, CONFIRM_MAX_AGE)
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return None
    return db.session.get(Submission, data["s"])


def _url(path):
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def personal_url(entry, lang=None):
    return _url(f"/{lang or entry.language}/me/{personal_token(entry)}")


def help_url(language):
    """The information page's part with the contact centres' numbers."""
    return _url(f"/{language}/info#help")


def confirm_url(submission):
    """In the language of the registration it asks to change: the message
    with this link goes to that registration's address, in its language."""
    entry = submission.entry
    lang = entry.language if entry is not None else submission.language
    return _url(f"/{lang}/confirm/{confirm_token(submission)}")
