"""The staff second factor: the code asked after the password, and enrolment.

After a right password, an account with a second factor is not logged in
yet: the session only remembers, for PENDING_SECONDS, which account passed
the first step; /staff/login/code then asks the 6-digit code. A code works
once. Wrong codes count per account: after MAX_WRONG_CODES within the lock
period the account is locked like after wrong passwords.

/staff/totp lets a logged-in staff member enrol: it shows a new secret (as
text, as an otpauth:// address and as a QR code) and switches the second
factor on once a code from the app proves it was copied.
"""

import logging
import time
from datetime import UTC, datetime

import segno
from flask import redirect, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app import crypto, security
from app.auth.access import role_home, role_required, safe_next
from app.auth.views import _login_limit, _start_session, bp
from app.extensions import db, limiter
from app.models import Role, StaffUser
from app.rendering import render
from app.services import totp, users

logger = logging.getLogger(__name__)

PENDING = "_totp_pending"
CANDIDATE = "_totp_candidate"
PENDING_SECONDS = 300
MAX_WRONG_CODES = "5 per 15 minutes"

CODE_FAILED = _l(
    "This code is not right. Enter the 6 digits your authenticator app shows "
    "now; after several wrong codes the account is locked for 15 minutes."
)


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(_l("Enter the 6-digit code of your authenticator app.")),
            Length(
                max=20, message=_l("Enter the 6-digit code of your authenticator app.")
            ),
        ],
        description=_l("The 6 digits your authenticator app shows for LMB."),
    )


def begin(user, next_path):
    """Called after a right password: remember the account, ask for the code."""
    # Limitation: users.authenticate has already written `staff_login` to the
    # audit trail and reset the count of wrong passwords when the code is
    # asked; `staff_totp_passed` marks a log-in that went through both steps.
    session.clear()
    session[PENDING] = {
        "u": user.id,
        "at": int(time.time()),
        "fp": users.password_fingerprint(user),
        "next": safe_next(next_path) or "",
    }
    logger.info("staff account %s passed the password step", user.id)
    return redirect(url_for("auth.enter_code"), 303)


def _pending_user():
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("u"), int):
        return None
    if not 0 <= time.time() - pending.get("at", 0) <= PENDING_SECONDS:
        return None
    user = db.session.get(StaffUser, pending["u"])
    if user is None or not user.active or not user.totp_secret:
        return None
    if pending.get("fp") != users.password_fingerprint(user):
        return None
    return user


@bp.get("/login/code")
def enter_code():
    if _pending_user() is None:
        session.pop(PENDING, None)
        return redirect(url_for("auth.login"), 303)

    return render("auth/login_code.html", form=CodeForm())


@bp.post("/login/code")
@limiter.limit(_login_limit)
def submit_code():
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        return redirect(url_for("auth.login"), 303)
    form = CodeForm()

    if not form.validate():
        return render("auth/login_code.html", form=form, status=422)

    now = datetime.now(UTC)
    step = totp.matching_step(user.totp_secret, form.code.data, now)
    if step is None or not security.first_use("totp-step", f"{user.id}:{step}"):
        return _wrong_code(user, form, now)

    next_path = session[PENDING].get("next")
    totp.record_success(user.id, now)
    _start_session(user)
    return redirect(safe_next(next_path) or role_home(user), 303)


def _wrong_code(user, form, now):
    if security.within_limit("totp-wrong", [user.id], MAX_WRONG_CODES):
        totp.record_failure(user.id, now)
        form.code.errors.append(CODE_FAILED)
        return render("auth/login_code.html", form=form, status=422)
    totp.record_failure(user.id, now, lock_until=now + users.LOCK_DURATION)
    session.clear()
    return redirect(url_for("auth.login"), 303)


@bp.get("/totp")
@role_required(*Role.ALL)
def set_up_totp():
    if current_user.totp_secret:
        return render("auth/totp.html", enabled=True)

    return _render_enrolment(CodeForm())


@bp.post("/totp")
@role_required(*Role.ALL)
def enable_totp():
    form = CodeForm()
    secret = _candidate_secret()

    if current_user.totp_secret:
        return redirect(url_for("auth.set_up_totp"), 303)
    if not form.validate():
        return _render_enrolment(form, status=422)
    now = datetime.now(UTC)
    if totp.matching_step(secret, form.code.data, now) is None:
        form.code.errors.append(CODE_FAILED)
        return _render_enrolment(form, status=422)

    totp.enable(current_user.id, secret, now)
    session.pop(CANDIDATE, None)
    return redirect(url_for("auth.set_up_totp"), 303)


def _candidate_secret():
    """The secret being enrolled; kept encrypted in the (signed) session."""
    stored = session.get(CANDIDATE)
    if isinstance(stored, str):
        try:
            return crypto.decrypt(stored)
        except (crypto.KeyError_, ValueError):
            pass
    secret = totp.new_secret()
    session[CANDIDATE] = crypto.encrypt(secret)
    return secret


def _render_enrolment(form, status=200):
    secret = _candidate_secret()
    uri = totp.provisioning_uri(secret, current_user.username)
    qr = segno.make(uri, error="m")
    return render(
        "auth/totp.html",
        status=status,
        enabled=False,
        form=form,
        secret=totp.grouped(secret),
        uri=uri,
        # segno writes plain SVG markup: no script, no style attribute.
        qr=Markup(qr.svg_inline(scale=4, title=str(_l("QR code for your app")))),
    )
