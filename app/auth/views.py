"""Staff log-in and log-out, and the language of the staff pages.

Sessions: a staff session is permanent and lasts PERMANENT_SESSION_LIFETIME
(8 hours) after the last request: every request re-signs the cookie, and an
older signature is refused. A session used from another address or browser
(Flask-Login's session identifier) counts as logged out. A session also ends
when its account is deactivated or gets a new password (the session carries a
fingerprint of the password hash).
"""

import logging

from flask import Blueprint, abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app import i18n
from app.auth.access import redirect_to_login, role_home, safe_next
from app.auth.forms import LoginForm
from app.extensions import db, limiter, login_manager
from app.models import StaffUser, utcnow
from app.rendering import render
from app.services import users
from app.services.errors import DomainError

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/staff")

login_manager.session_protection = "strong"
login_manager.login_message = None
PASSWORD_FINGERPRINT = "_auth_fp"
LANG_COOKIE_AGE = 365 * 24 * 3600


@login_manager.user_loader
def load_user(user_id):
    if not str(user_id).isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    if user is None or not user.active:
        return None
    if session.get(PASSWORD_FINGERPRINT) != users.password_fingerprint(user):
        return None
    # Flask-Login's "strong" protection lets permanent sessions through from
    # another address or browser (it only marks them not fresh): refuse them.
    if session.get("_id") != login_manager._session_identifier_generator():
        return None
    g.user_id = user.id
    return user


@login_manager.unauthorized_handler
def unauthorized():
    return redirect_to_login()


@bp.app_template_global()
def staff_home_url():
    """The logged-in user's start page (for the staff menu)."""
    if not current_user.is_authenticated:
        return url_for("auth.login")
    return role_home(current_user)


def _login_limit():
    return current_app.config["RATELIMIT_PUBLIC_FORMS"]


@bp.get("/login")
def login():
    next_path = safe_next(request.args.get("next"))

    if current_user.is_authenticated and next_path:
        return redirect(next_path, 303)

    return render("auth/login.html", form=LoginForm(next=next_path or ""))


@bp.post("/login")
@limiter.limit(_login_limit)
def submit_login():
    form = LoginForm()

    if not form.validate():
        return render("auth/login.html", form=form, status=422)

    try:
        user = users.authenticate(form.username.data, form.password.data, utcnow())
    except DomainError as exc:
        getattr(form, exc.field or "password").errors.append(exc.message)
        return render("auth/login.html", form=form, status=422)

    if user.totp_secret:
        return second_factor.begin(user, form.next.data)
    _start_session(user)
    return redirect(safe_next(form.next.data) or role_home(user), 303)


def _start_session(user):
    session.clear()  # nothing from before the log-in carries over
    login_user(user)
    session.permanent = True
    session[PASSWORD_FINGERPRINT] = users.password_fingerprint(user)
    g.user_id = user.id
    logger.info("staff account %s logged in", user.id)


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()

    return redirect(url_for("auth.login"), 303)


@bp.get("/language/<code>")
def set_language(code):
    if code not in i18n.languages():
        abort(404)
    target = safe_next(request.args.get("next")) or staff_home_url()

    response = redirect(target, 303)
    response.set_cookie(
        i18n.LANG_COOKIE,
        code,
        max_age=LANG_COOKIE_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


from app.auth import totp as second_factor  # noqa: E402 - registers its routes on bp
