"""The staff second factor: time-based one-time codes (TOTP, RFC 6238).

An account with a secret (StaffUser.totp_secret, encrypted at rest) logs in
with its password and then a 6-digit code from an authenticator app. Codes
change every 30 seconds; the one before and the one after the current code
are accepted too, for clocks that drift. The caller remembers which time step
a code belonged to, so that a code cannot be used twice.
"""

import logging
import re

import pyotp
from pyotp.utils import strings_equal

from app.extensions import db
from app.models import AuditEvent, StaffUser

logger = logging.getLogger(__name__)

ISSUER = "LMB"
DIGITS = 6
STEP_SECONDS = 30
_CODE = re.compile(r"^\d{6}$")


def new_secret():
    """A random secret of 160 bits, in the base32 that apps expect."""
    return pyotp.random_base32()


def grouped(secret):
    """The secret in groups of four, easier to type: 'ABCD EFGH ...'."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret, username):
    """The otpauth:// address that authenticator apps read (also as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def normalise_code(raw):
    """The 6 digits of a code as typed ('123 456'), or None."""
    if not isinstance(raw, str) or len(raw) > 20:
        return None
    digits = re.sub(r"[\s-]", "", raw)
    return digits if _CODE.match(digits) else None


def matching_step(secret, raw_code, now):
    """The time step (an int) whose code is `raw_code`, or None.

    `now` is an aware datetime; the steps just before and after count too.
    """
    code = normalise_code(raw_code)
    if code is None or not secret:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if strings_equal(totp.generate_otp(step), code):
            return step
    return None


def code_at(secret, now):
    """The code an authenticator app shows at `now` (for tests and the CLI)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(now)


def enable(user_id, secret, now):
    """Give the account a second factor; from its next log-in on it needs a code."""
    user = db.session.get(StaffUser, user_id)
    user.totp_secret = secret
    _audit(user, "staff_totp_enabled", now)
    db.session.commit()
    logger.info("staff account %s enabled a second factor", user.id)
    return user


def disable(user_id, now):
    """Take the second factor away (a lost phone); the account enrols again."""
    user = db.session.get(StaffUser, user_id)
    user.totp_secret = None
    _audit(user, "staff_totp_removed", now)
    db.session.commit()
    logger.info("staff account %s had its second factor removed", user.id)
    return user


def record_success(user_id, now):
    """Note that the account gave a right code (its password came first)."""
    user = db.session.get(StaffUser, user_id)
    _audit(user, "staff_totp_passed", now)
    db.session.commit()


def record_failure(user_id, now, lock_until=None):
    """Note a wrong code; with `lock_until`, also lock the account until then."""
    user = db.session.get(StaffUser, user_id)
    if lock_until is not None:
        user.locked_until = lock_until
        user.failed_logins = 0
        _audit(user, "staff_locked", now)
        logger.warning("staff account %s locked after wrong codes", user.id)
    else:
        _audit(user, "staff_totp_failed", now)
    db.session.commit()


def _audit(user, action, now):
    db.session.add(
        AuditEvent(at=now, actor_id=user.id, actor_role=user.role, action=action)
    )
