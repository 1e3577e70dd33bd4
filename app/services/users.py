"""Staff accounts: creating them, checking passwords, locking out guessers.

Passwords are hashed with Argon2id (argon2-cffi, RFC 9106 low-memory profile).
A log-in attempt fails with one and the same message whatever went wrong
(unknown user, wrong password, locked or deactivated account) and takes about
the same time, because a password is always verified, against a dummy hash
when the user does not exist; so nobody can learn which usernames exist.
After MAX_FAILED_LOGINS wrong passwords in a row an account is locked for
LOCK_DURATION; a successful log-in resets the count.
"""

import hashlib
import logging
import re
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import AuditEvent, Centre, Role, StaffUser
from app.services.errors import DomainError

logger = logging.getLogger(__name__)

HASHER = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_NAME_LENGTH = 200
USERNAME = re.compile(r"^[a-z0-9._@+-]{3,254}$")
# RIZIV/INAMI numbers are written with or without separators: 1-23456-78-901.
RIZIV_SEPARATORS = re.compile(r"[\s./-]")

# Passwords of 12 characters or more that top the public leaked-password
# lists, plus local favourites. Shorter ones already fail the length rule.
COMMON_PASSWORDS = frozenset(
    {
        "111111111111",
        "123123123123",
        "123456789012",
        "1234567890123",
        "12345678910",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "abc123456789",
        "abcdefghijkl",
        "administrator",
        "azerty123456",
        "azertyuiop12",
        "azertyuiop123",
        "changeme1234",
        "football1234",
        "iloveyou1234",
        "letmein12345",
        "motdepasse12",
        "motdepasse123",
        "password1234",
        "password12345",
        "password123!",
        "passwordpassword",
        "passwort1234",
        "qwerty123456",
        "qwertyuiop12",
        "qwertyuiop123",
        "qwertzuiop12",
        "vaccination1",
        "vaccinatie123",
        "wachtwoord12",
        "wachtwoord123",
        "welcome12345",
        "zaq12wsxcde3",
    }
)

LOGIN_FAILED = _l(
    "We could not log you in with this username and password. After several "
    "failed attempts an account is locked for 15 minutes."
)

# Verified when the username is unknown, so that costs as much as a real check.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$l+HewnEnaY02K7FSxUBLlw$"
    "k+imLIALeF/obR55W4RuLFHORduRBrMIep5QJse1mCc"
)
_dummy = {}


def normalise_username(username):
    return (username or "").strip().lower()


def normalise_riziv(number):
    """The 11 digits of a RIZIV/INAMI number, or None when it has another shape.

    Only the format is checked: 11 digits, separators allowed. The check
    digits are not verified.
    """
    # Limitation: RIZIV/INAMI numbers are checked for their format only; their
    # check digits and whether the number belongs to a practising doctor are
    # not verified (that needs the RIZIV/INAMI register, which we do not reach).
    digits = RIZIV_SEPARATORS.sub("", number or "")
    return digits if re.fullmatch(r"\d{11}", digits) else None


def password_problem(password, username=""):
    """Why a password is not acceptable (a lazy message), or None."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l(
            "Choose a password of at least %(minimum)d characters.",
            minimum=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("This password is too long.")
    if len({_character_class(c) for c in password}) < 2:
        return _l(
            "Mix at least two kinds of characters: small letters, capital "
            "letters, digits or other signs."
        )
    lowered = password.strip().lower()
    name = normalise_username(username)
    if name and lowered in {name, name.split("@", 1)[0]}:
        return _l("The password must not be your username.")
    if lowered in COMMON_PASSWORDS:
        return _l("This password is too common; choose another one.")
    return None


def _character_class(char):
    if char.islower():
        return "lower"
    if char.isupper():
        return "upper"
    return "digit" if char.isdigit() else "other"


def hash_password(password):
    return HASHER.hash(password)


def _check_password(password, username):
    problem = password_problem(password, username)
    if problem is not None:
        raise DomainError(problem, "password")


def _audit(user, action, now):
    db.session.add(
        AuditEvent(at=now, actor_id=user.id, actor_role=user.role, action=action)
    )


def create_user(
    username,
    password,
    role,
    centre_code=None,
    riziv_number=None,
    display_name=None,
):
    """Create an account and return it; raise DomainError if a rule says no."""
    username = normalise_username(username)
    if not USERNAME.fullmatch(username):
        raise DomainError(
            _l(
                "Enter a username of 3 to 254 characters: letters, digits and "
                ". _ @ + - only."
            ),
            "username",
        )
    if role not in Role.ALL:
        raise DomainError(
            _l("Unknown role; choose one of %(roles)s.", roles=", ".join(Role.ALL)),
            "role",
        )
    centre = _centre_for(role, centre_code)
    riziv = _riziv_for(role, riziv_number)
    display_name = (display_name or "").strip() or None
    if display_name and len(display_name) > MAX_NAME_LENGTH:
        raise DomainError(_l("This name is too long."), "display_name")
    if find_user(username) is not None:
        raise DomainError(
            _l("An account with this username already exists."), "username"
        )
    _check_password(password, username)

    user = StaffUser(
        username=username,
        password_hash=hash_password(password),
        role=role,
        centre_id=centre.id if centre else None,
        riziv_number=riziv,
        display_name=display_name,
        active=True,
        failed_logins=0,
    )
    db.session.add(user)
    db.session.flush()
    _audit(user, "staff_account_created", user.created_at)
    db.session.commit()
    logger.info("staff account %s created with role %s", user.id, role)
    return user


def _centre_for(role, centre_code):
    if role != Role.CENTRE_STAFF:
        if centre_code:
            raise DomainError(_l("Only centre staff belong to a centre."), "centre")
        return None
    if not centre_code:
        raise DomainError(_l("Centre staff must belong to a centre."), "centre")
    centre = db.session.execute(
        sa.select(Centre).where(Centre.code == centre_code.strip().lower())
    ).scalar_one_or_none()
    if centre is None:
        raise DomainError(
            _l("There is no centre with the code %(code)s.", code=centre_code[:64]),
            "centre",
        )
    return centre


def _riziv_for(role, riziv_number):
    if role != Role.DOCTOR:
        if riziv_number:
            raise DomainError(
                _l("Only doctors have an RIZIV/INAMI number."), "riziv_number"
            )
        return None
    riziv = normalise_riziv(riziv_number)
    if riziv is None:
        raise DomainError(
            _l("A doctor needs an RIZIV/INAMI number of 11 digits."), "riziv_number"
        )
    return riziv


def find_user(username):
    """The account with this username (any letter case), or None."""
    return db.session.execute(
        sa.select(StaffUser).where(
            sa.func.lower(StaffUser.username) == normalise_username(username)
        )
    ).scalar_one_or_none()


def _verify(password_hash, password):
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash():
    """A hash with the current parameters that no password opens in practice."""
    if "hash" not in _dummy:
        made = DUMMY_HASH
        if HASHER.check_needs_rehash(made):
            made = HASHER.hash("unused-dummy-password-for-timing-only")
        _dummy["hash"] = made
    return _dummy["hash"]


def authenticate(username, password, now):
    """Return the account these credentials open, or raise DomainError.

    Every failure raises the same LOGIN_FAILED message on the "password"
    field. `now` is the current UTC time (tests pass their own).
    """
    password = (password or "")[:MAX_PASSWORD_LENGTH]
    user = find_user(username)
    if user is None:
        _verify(_dummy_hash(), password)  # same work as for a real account
        raise DomainError(LOGIN_FAILED, "password")

    correct = _verify(user.password_hash, password)
    locked = user.locked_until is not None and user.locked_until > now
    if locked or not user.active:
        logger.info("log-in refused for staff account %s (locked or inactive)", user.id)
        raise DomainError(LOGIN_FAILED, "password")
    if not correct:
        _count_failure(user, now)
        raise DomainError(LOGIN_FAILED, "password")

    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    _audit(user, "staff_login", now)
    db.session.commit()
    return user


def _count_failure(user, now):
    # One atomic UPDATE, so simultaneous wrong guesses are all counted.
    db.session.execute(
        sa.update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(failed_logins=StaffUser.failed_logins + 1)
    )
    db.session.refresh(user)
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.failed_logins = 0
        user.locked_until = now + LOCK_DURATION
        _audit(user, "staff_locked", now)
        logger.warning("staff account %s locked after failed log-ins", user.id)
    else:
        _audit(user, "staff_login_failed", now)
    db.session.commit()


def set_password(user_id, password, now):
    """Give an account a new password; this also lifts a lock-out."""
    user = _get(user_id)
    _check_password(password, user.username)

    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    _audit(user, "staff_password_set", now)
    db.session.commit()
    return user


def deactivate(user_id, now):
    """Switch an account off: it can no longer log in, and open sessions end."""
    user = _get(user_id)

    user.active = False
    _audit(user, "staff_deactivated", now)
    db.session.commit()
    return user


def _get(user_id):
    user = db.session.get(StaffUser, user_id)
    if user is None:
        raise DomainError(_l("This account does not exist."))
    return user


def password_fingerprint(user):
    """A short value that changes when the password does; sessions carry it,
    so setting a new password ends every other session of that account."""
    return hashlib.sha256(user.password_hash.encode("ascii")).hexdigest()[:16]
