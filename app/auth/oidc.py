"""Optional log-in of doctors through an OpenID Connect identity provider.

Switched on with OIDC_ENABLED for a federal identity provider (eHealth,
BOSA); off, both pages answer 404. The flow is the authorization code flow
with PKCE, through Authlib:

    /staff/oidc/login  -> the provider's authorization endpoint
    provider           -> /staff/oidc/callback?code=...&state=...
    callback           -> code exchanged for tokens (server to server), the
                          ID token's signature (JWKS), issuer, audience,
                          expiry and nonce checked

The doctor is then matched to an existing doctor account by the RIZIV/INAMI
number in the claim OIDC_RIZIV_CLAIM (of the ID token, else of the userinfo
answer). There is no account creation: a number without exactly one active
doctor account is refused with a clear message, and the refusal is audited.
The redirect address given to the provider is PUBLIC_BASE_URL +
/staff/oidc/callback; register that one at the provider.

A doctor who logs in this way is not asked for LMB's own second factor: the
provider's log-in (eID, itsme) is the stronger one.
"""

import logging

import requests
from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from joserfc.errors import JoseError

from app import i18n
from app.auth.access import role_home, safe_next
from app.auth.views import _login_limit, _start_session
from app.extensions import db, limiter
from app.models import utcnow
from app.rendering import render
from app.services import audit, doctors

logger = logging.getLogger(__name__)

bp = Blueprint("oidc", __name__, url_prefix="/staff/oidc")

CLIENT_NAME = "doctors_idp"
EXTENSION = "lmb.oidc"
NEXT = "_oidc_next"
TIMEOUT = 10  # seconds, for each call to the provider
REQUIRED = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")


@bp.record_once
def _check_settings(state):
    """An enabled but incomplete configuration stops the application at start."""
    settings = state.app.config
    if not settings["OIDC_ENABLED"]:
        return
    missing = [name for name in REQUIRED if not settings.get(name)]
    if missing:
        raise RuntimeError(f"OIDC_ENABLED needs {', '.join(missing)}.")
    if "openid" not in settings["OIDC_SCOPES"].split():
        raise RuntimeError("OIDC_SCOPES must contain openid.")
    if settings["LMB_ENV"] == "production" and not settings["OIDC_ISSUER"].startswith(
        "https://"
    ):
        raise RuntimeError("OIDC_ISSUER must be an https:// address in production.")


def enabled():
    return bool(current_app.config["OIDC_ENABLED"])


def client():
    """The application's OpenID Connect client, made on first use."""
    made = current_app.extensions.get(EXTENSION)
    if made is None:
        settings = current_app.config
        oauth = OAuth(current_app._get_current_object())
        made = oauth.register(
            CLIENT_NAME,
            client_id=settings["OIDC_CLIENT_ID"],
            client_secret=settings["OIDC_CLIENT_SECRET"],
            server_metadata_url=settings["OIDC_ISSUER"].rstrip("/")
            + "/.well-known/openid-configuration",
            client_kwargs={
                "scope": settings["OIDC_SCOPES"],
                "code_challenge_method": "S256",
                "default_timeout": TIMEOUT,
            },
        )
        current_app.extensions[EXTENSION] = made
    return made


def callback_url():
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("oidc.callback")


@bp.get("/login")
def login():
    if not enabled():
        abort(404)
    next_path = safe_next(request.args.get("next"))

    try:
        response = client().authorize_redirect(
            callback_url(), ui_locales=i18n.select_locale()
        )
    except (requests.RequestException, OAuthError, ValueError) as exc:
        logger.warning("identity provider unreachable: %s", type(exc).__name__)
        return _failed(503)
    if next_path:
        session[NEXT] = next_path
    return response


@bp.get("/callback")
@limiter.limit(_login_limit)
def callback():
    if not enabled():
        abort(404)

    try:
        token = client().authorize_access_token()
        claims = dict(token.get("userinfo") or {})
        number = claims.get(current_app.config["OIDC_RIZIV_CLAIM"])
        if number is None:
            claims = dict(client().userinfo(token=token))
            number = claims.get(current_app.config["OIDC_RIZIV_CLAIM"])
    except OAuthError as exc:
        logger.warning("log-in through the identity provider failed: %s", exc.error)
        return _failed(400)
    except JoseError as exc:
        logger.warning("ID token refused: %s", type(exc).__name__)
        return _failed(400)
    except (requests.RequestException, ValueError) as exc:
        logger.warning("identity provider unreachable: %s", type(exc).__name__)
        return _failed(503)

    if isinstance(number, int):
        number = str(number)
    doctor = doctors.doctor_by_riziv(number)
    if doctor is None:
        audit.record(
            audit.SYSTEM, "staff_login_refused", None, "oidc: no doctor account"
        )
        db.session.commit()
        logger.info("log-in through the identity provider: no doctor account")
        return render("doctor/oidc_refused.html", status=403)

    next_path = safe_next(session.get(NEXT))
    doctor.last_login_at = utcnow()
    audit.record(doctor, "staff_login", None, "oidc")
    db.session.commit()
    _start_session(doctor)
    return redirect(next_path or role_home(doctor), 303)


def _failed(status):
    return render("doctor/oidc_failed.html", status=status)
