"""The booking system reports a booking directly (optional).

    POST /centre/api/bookings
    Authorization: Bearer <BOOKING_CALLBACK_TOKEN>
    {"vaccination_code": "V3XF-FETL-EM8E-FKCZ", "booked_at": "2021-04-11T13:12:00Z"}

Answers 202 {"status": "accepted"} for every well-formed report, whether or
not the code belongs to an invitation, so the endpoint cannot be used to
probe codes; 400 for a malformed body; 401 without the right token; 404
while BOOKING_CALLBACK_TOKEN is unset (the endpoint is off). Without the
callback, bookings are learnt from the vaccination code database when each
invitation's 30 minutes are over.
"""

import hmac
import logging
from datetime import UTC, datetime

from flask import abort, current_app, jsonify, request

from app.centre.views import bp
from app.extensions import csrf, db
from app.services import invitations

logger = logging.getLogger(__name__)

MAX_BODY = 2048


def _authorised():
    expected = current_app.config.get("BOOKING_CALLBACK_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer":
        token = ""
    # Constant time, whatever was sent.
    return hmac.compare_digest(token.strip().encode(), expected.encode()) and bool(
        expected
    )


def _instant(value):
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def _problem(status, error):
    return jsonify(error=error), status


@bp.post("/api/bookings")
@csrf.exempt
def report_booking():
    if not current_app.config.get("BOOKING_CALLBACK_TOKEN"):
        abort(404)
    if not _authorised():
        response = jsonify(error="unauthorized")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    if (request.content_length or 0) > MAX_BODY:
        return _problem(413, "too_large")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _problem(400, "invalid_request")
    code = body.get("vaccination_code")
    booked_at = _instant(body.get("booked_at"))
    if not isinstance(code, str) or not 4 <= len(code) <= 40 or booked_at is None:
        return _problem(400, "invalid_request")

    now = datetime.now(UTC)
    invitation = invitations.record_reported_booking(code, min(booked_at, now), now)
    db.session.commit()

    if invitation is not None:
        logger.info("booking reported for invitation %s", invitation.id)
    else:
        logger.info("booking reported for no current invitation")
    return jsonify(status="accepted"), 202
