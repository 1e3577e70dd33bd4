"""National numbers, names, e-mail addresses and mobile numbers, as typed by
people, turned into the one form we store, or a clear error for the field."""

import re
import unicodedata
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from stdnum.be import ssn as be_ssn
from stdnum.exceptions import ValidationError

from app.services.errors import DomainError

MAX_PLAUSIBLE_AGE = 110
_SEPARATORS = re.compile(r"[\s.\-/]+")


def normalise_ssin(raw):
    """Any common spelling of an INSZ/NISS or BIS number -> its 11 digits."""
    text = _SEPARATORS.sub("", raw or "")
    if not text:
        raise DomainError(_l("Enter the national number."), "ssin")
    if not text.isdigit() or len(text) != 11:
        raise DomainError(
            _l("A national number has 11 digits, for example 85.07.30-033.28."),
            "ssin",
        )
    try:
        return be_ssn.validate(text)
    except ValidationError as exc:
        raise DomainError(
            _l("This national number is not valid. Check the digits."), "ssin"
        ) from exc


def ranking_birth_date(ssin, today):
    """The birth date used for ranking, oldest first.

    An unknown day counts as the first of the month, an unknown month as
    1 January. None when the year is unknown or the age would exceed 110:
    such entries wait for the vaccination code database instead of being
    ranked first.
    """
    year = be_ssn.get_birth_year(ssin)
    if year is None:
        return None
    month = be_ssn.get_birth_month(ssin) or 1
    birth = be_ssn.get_birth_date(ssin) or date(year, month, 1)
    if age_on(birth, today) > MAX_PLAUSIBLE_AGE:
        return None
    return birth


def age_on(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# Punctuation a name may hold: hyphens, apostrophes, the dot of an initial.
NAME_PUNCTUATION = frozenset("-‐'’.")


def _not_in_a_name(char):
    kind = unicodedata.category(char)[0]
    if kind == "P":
        return char not in NAME_PUNCTUATION
    return kind in "CSN"


def normalise_name(raw, field):
    text = unicodedata.normalize("NFC", " ".join((raw or "").split()))
    if not text:
        message = (
            _l("Enter the last name.")
            if field == "last_name"
            else _l("Enter the first name.")
        )
        raise DomainError(message, field)
    # The error summary lists both names' errors: each message names its field.
    if len(text) > 100:
        message = (
            _l("The last name can have at most 100 characters.")
            if field == "last_name"
            else _l("The first name can have at most 100 characters.")
        )
        raise DomainError(message, field)
    if any(_not_in_a_name(c) for c in text) or not any(c.isalpha() for c in text):
        message = (
            _l("Write the last name with letters, spaces, hyphens and apostrophes.")
            if field == "last_name"
            else _l(
                "Write the first name with letters, spaces, hyphens and apostrophes."
            )
        )
        raise DomainError(message, field)
    return text


def normalise_email(raw):
    text = (raw or "").strip()
    if not text:
        raise DomainError(_l("Enter the e-mail address."), "email")
    if len(text) > 254:
        raise DomainError(_l("This e-mail address is too long."), "email")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError(
            _l("Enter an e-mail address like name@example.be."), "email"
        ) from exc
    return result.normalized


def normalise_mobile(raw):
    """A Belgian mobile number in any usual spelling -> E.164 (+32470123456)."""
    text = (raw or "").strip()
    if not text:
        raise DomainError(_l("Enter the mobile number."), "mobile")
    if len(text) > 30:
        raise DomainError(
            _l("Enter a Belgian mobile number, for example 0470 12 34 56."), "mobile"
        )
    try:
        number = phonenumbers.parse(text, "BE")
    except phonenumbers.NumberParseException as exc:
        raise DomainError(
            _l("Enter a Belgian mobile number, for example 0470 12 34 56."), "mobile"
        ) from exc
    if (
        number.country_code != 32
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise DomainError(
            _l("Enter a Belgian mobile number, for example 0470 12 34 56."), "mobile"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
