"""Protection against abuse: security headers, limits per national number,
and the second factor that operators must have in production.

Every response carries a strict Content-Security-Policy (our own scripts,
styles and images only; no inline script or style, no frames, no plugins),
no referrer (personal links carry their token in the path), and no caching
where personal data may show: personal links, status pages, staff pages, and
the answer to any form post. Strict-Transport-Security is sent in production.

`limit_national_numbers` counts submissions per national number (by its keyed
hash, never the number) in the rate-limit storage, so one person's address
cannot be flooded from many client addresses; any form that takes national
numbers calls it once the form is valid.

Input no page can use is refused before any view sees it: bodies over
MAX_CONTENT_LENGTH, NUL characters, JSON bodies that are not an object on form
pages, ids in paths beyond 64 bits. Operators in production must have a second
factor (app/auth/totp.py) before they reach any staff page.
"""

import logging
import re

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from limits import parse_many

from app.crypto import lookup_hash
from app.extensions import csrf, limiter

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
# Nothing on our pages needs a device feature; switch them all off.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), payment=(), usb=()"
)
STRICT_TRANSPORT_SECURITY = "max-age=31536000"
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": PERMISSIONS_POLICY,
    # For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Paths whose pages show personal data or act for a staff member.
PRIVATE_PATHS = re.compile(
    r"^/(?:(?:nl|fr|de)/(?:me|confirm|register/status)/"
    r"|(?:staff|centre|admin|doctor|agent|dev)(?:/|$))"
)
STAFF_PATHS = re.compile(r"^/(?:staff|centre|admin|doctor|agent|dev)(?:/|$)")

NATIONAL_NUMBER_LIMIT = "5 per hour"
# A used second-factor code is remembered this long (three 30-second steps).
USED_CODE_SECONDS = 120
# Our forms are a few kilobytes; refuse bodies beyond this before reading them.
MAX_CONTENT_LENGTH = 1024 * 1024


def init_app(app):
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.after_request(add_security_headers)
    app.before_request(refuse_unusable_input)
    app.before_request(refuse_malformed_json)
    app.before_request(require_second_factor)


def refuse_unusable_input():
    """Refuse input no page can use, before any view hands it to the database:
    NUL characters (PostgreSQL text cannot hold them) anywhere in the address,
    the query, the form or a JSON body, and ids in the path beyond 64 bits."""
    if "\x00" in request.path or _has_nul(request.args):
        abort(400)
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            abort(404)
    if request.method in ("POST", "PUT", "PATCH"):
        if _has_nul(request.form) or (
            request.is_json and _has_nul(request.get_json(silent=True))
        ):
            abort(400)
    return None


def _has_nul(data):
    if isinstance(data, str):
        return "\x00" in data
    if hasattr(data, "items") and hasattr(data, "getlist"):  # a MultiDict
        return any(_has_nul(k) or _has_nul(v) for k, v in data.items(multi=True))
    if isinstance(data, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_has_nul(item) for item in data)
    return False


def refuse_malformed_json():
    """Flask-WTF reads a JSON body as the form's data; anything but a JSON
    object there would break the form, so it is a bad request. JSON endpoints
    of their own (exempt from CSRF, token-authenticated) check their bodies."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.is_json:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and f"{view.__module__}.{view.__name__}" in csrf._exempt_views:
        return None
    if not isinstance(request.get_json(silent=True), dict):
        abort(400)
    return None


def add_security_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["LMB_ENV"] == "production":
        response.headers.setdefault(
            "Strict-Transport-Security", STRICT_TRANSPORT_SECURITY
        )
    if request.method not in ("GET", "HEAD") or PRIVATE_PATHS.match(request.path):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def second_factor_roles():
    """Roles that may not use the staff pages before they have a second factor:
    operators in production (setting TOTP_REQUIRED_ROLES overrides it)."""
    configured = current_app.config.get("TOTP_REQUIRED_ROLES")
    if configured is not None:
        return tuple(configured)
    return ("operator",) if current_app.config["LMB_ENV"] == "production" else ()


def require_second_factor():
    """Send a logged-in user who must have a second factor, and has none, to
    the enrolment page; log-in, log-out and enrolment stay reachable."""
    if not STAFF_PATHS.match(request.path) or (request.endpoint or "").startswith(
        "auth."
    ):
        return None
    roles = second_factor_roles()
    if not roles or not current_user.is_authenticated:
        return None
    if current_user.role in roles and not current_user.totp_secret:
        return redirect(url_for("auth.set_up_totp"), 303)
    return None


def limit_national_numbers(numbers):
    """Count one submission for each (normalised) national number in `numbers`;
    stop with the 429 page when one was submitted too often.

    Call it once the form is valid, just before the service: a person who
    corrects a typing error is not counted, and the answer is the same whether
    the number is on the list or not.
    """
    # Limitation: a number already on the list makes the registration do less
    # work (no entry, person or centre rows: about 20 ms less on SQLite). Telling
    # the two apart by timing takes many tries per number; this limit, the limit
    # per address and the e-mail each try sends to the registered person make
    # that impractical, but the answer is not constant-time.
    limit = current_app.config.get("RATELIMIT_NATIONAL_NUMBER", NATIONAL_NUMBER_LIMIT)
    keys = sorted({lookup_hash(number) for number in numbers if number})
    if keys and not within_limit("national-number", keys, limit):
        logger.info("form refused: a national number was submitted too often")
        abort(429)


def within_limit(scope, identities, limit):
    """Count one hit for each identity under `scope`; False (and nothing
    counted) when any of them is already at `limit` ("5 per hour").

    The counters live in the rate-limit storage (Redis). When that storage
    cannot be reached the request is let through, with a warning.
    """
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    items = parse_many(limit)
    prefix = _key_prefix()
    strategy = limiter.limiter
    try:
        for identity in identities:
            for item in items:
                if not strategy.test(item, prefix, scope, str(identity)):
                    return False
        for identity in identities:
            for item in items:
                strategy.hit(item, prefix, scope, str(identity))
    except Exception:  # a storage error must not stop the service
        # Limitation: while the rate-limit storage is down, the limits per
        # national number and per staff account are not enforced (fail open).
        logger.warning("rate-limit storage unavailable; %s not limited", scope)
        return True
    return True


def first_use(scope, identity, seconds=USED_CODE_SECONDS):
    """True the first time (scope, identity) is seen within `seconds`: a
    second-factor code can be used once. True as well when the storage cannot
    be reached."""
    key = f"{_key_prefix()}/{scope}/{identity}"
    try:
        return limiter.storage.incr(key, seconds) == 1
    except Exception:  # a storage error must not stop the log-in
        logger.warning("rate-limit storage unavailable; %s not checked", scope)
        return True


def _key_prefix():
    return current_app.config.get("RATELIMIT_KEY_PREFIX") or "lmb-limits"
