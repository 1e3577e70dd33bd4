"""Forms of registration situations c (group), d (companion), e (third parties).

Field names are a public contract, like those of the self-registration form:
the group form adds rows `members-N-ssin`, `members-N-last_name`,
`members-N-first_name` (N from 0); the third-party form has rows
`people-N-<field>` with ssin, last_name, first_name, postcode, email, mobile
and language, plus `registrant_email`; the companion form adds
`companion_code`. Rows are numbered afresh on each answer (`edit_rows`).
"""

import re

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, Form, FormField, SelectField, StringField
from wtforms.validators import StopValidation, ValidationError

from app.citizen.forms import (
    LANGUAGE_CHOICES,
    LANGUAGE_CODES,
    AvailabilityForm,
    RegistrationForm,
    _postcode,
    _text,
    _via,
)
from app.services import availability, identity, situations
from app.services.entries import PersonData, RegistrationData
from app.services.errors import DomainError

MEMBER_FIELDS = ("ssin", "last_name", "first_name")
THIRD_PARTY_FIELDS = (
    "ssin",
    "last_name",
    "first_name",
    "postcode",
    "email",
    "mobile",
    "language",
)
# Rows read from a post at most: a hostile post cannot make thousands.
MAX_ROWS = 10


def _required(message):
    """Stop with `message` when the field is empty (said of another person)."""

    def validator(form, field):
        if not (field.data or "").strip():
            raise StopValidation(message)

    return validator


def _name_field(label, field_name, empty_message):
    return StringField(
        label,
        filters=[_text],
        validators=[
            _required(empty_message),
            _via(identity.normalise_name, field_name),
        ],
    )


def _ssin_field():
    return StringField(
        _l("National number"),
        filters=[_text],
        validators=[
            _required(_l("Enter this person's national number.")),
            _via(identity.normalise_ssin),
        ],
    )


class MemberForm(Form):
    """A group member other than the responsible: no contact of their own."""

    ssin = _ssin_field()
    last_name = _name_field(
        _l("Last name"), "last_name", _l("Enter this person's last name.")
    )
    first_name = _name_field(
        _l("First name"), "first_name", _l("Enter this person's first name.")
    )


class GroupForm(RegistrationForm):
    """The responsible's own data (RegistrationForm), the others, one
    availability and one choice of centres for everyone."""

    members = FieldList(FormField(MemberForm), max_entries=MAX_ROWS)

    def validate_members(self, field):
        try:
            situations.check_group_size(len(field.entries) + 1)
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from exc
        numbers = [self.ssin.data] + [row.form.ssin.data for row in field.entries]
        cleaned = [_ssin_or_none(n) for n in numbers]
        known = [n for n in cleaned if n]
        if len(set(known)) != len(known):
            raise ValidationError(_l("Each person can be in the group only once."))

    def group_data(self):
        """The checked data, for situations.register_group."""
        return situations.GroupData(
            responsible=_person(self),
            members=[
                situations.MemberData(
                    ssin=row.form.ssin.clean,
                    last_name=row.form.last_name.clean,
                    first_name=row.form.first_name.clean,
                )
                for row in self.members
            ],
            postcode=self.postcode.clean,
            language=self.language.data,
            centre_ids=self.centres.clean,
            slots=self.availability.clean,
        )


def _person(form):
    return PersonData(
        ssin=form.ssin.clean,
        last_name=form.last_name.clean,
        first_name=form.first_name.clean,
        email=form.email.clean,
        mobile=form.mobile.clean,
    )


def _ssin_or_none(raw):
    try:
        return identity.normalise_ssin(raw)
    except DomainError:
        return None


class ThirdPartyRow(Form):
    """One person registered by someone else, with their own contact."""

    ssin = _ssin_field()
    last_name = _name_field(
        _l("Last name"), "last_name", _l("Enter this person's last name.")
    )
    first_name = _name_field(
        _l("First name"), "first_name", _l("Enter this person's first name.")
    )
    postcode = StringField(
        _l("Postcode"),
        filters=[_text],
        validators=[_required(_l("Enter this person's postcode.")), _postcode],
    )
    email = StringField(
        _l("This person's e-mail address"),
        description=_l("Their confirmation and invitations go to this address."),
        filters=[_text],
        validators=[
            _required(_l("Enter this person's e-mail address.")),
            _via(identity.normalise_email),
        ],
    )
    mobile = StringField(
        _l("This person's mobile number"),
        filters=[_text],
        validators=[
            _required(_l("Enter this person's mobile number.")),
            _via(identity.normalise_mobile),
        ],
    )
    language = SelectField(
        _l("Language of their messages"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
    )

    def validate_language(self, field):
        if field.data not in LANGUAGE_CODES:
            raise ValidationError(_l("Choose a language."))


class ThirdPartyForm(AvailabilityForm):
    registrant_email = StringField(
        _l("Your e-mail address"),
        description=_l(
            "We send you one confirmation of what you registered, and do not "
            "keep your address."
        ),
        filters=[_text],
        validators=[_via(identity.normalise_email)],
    )
    people = FieldList(FormField(ThirdPartyRow), max_entries=MAX_ROWS)
    website = StringField(_l("Leave this field empty"), filters=[_text])

    def validate_people(self, field):
        count = len(field.entries)
        if count < 1:
            raise ValidationError(_l("Add at least one person."))
        if count > situations.MAX_THIRD_PARTIES:
            raise ValidationError(situations.TOO_MANY_PEOPLE)
        cleaned = [_ssin_or_none(row.form.ssin.data) for row in field.entries]
        known = [n for n in cleaned if n]
        if len(set(known)) != len(known):
            raise ValidationError(_l("Each person can be registered only once."))

    @property
    def is_bot(self):
        return bool(self.website.data)

    def third_party_data(self):
        """The checked data, one per person, for situations.register_third_parties."""
        return [
            RegistrationData(
                person=_person(row.form),
                postcode=row.form.postcode.clean,
                language=row.form.language.data,
                centre_ids=self.centres.clean,
                slots=self.availability.clean,
            )
            for row in self.people
        ]


class CompanionForm(RegistrationForm):
    """Situation b's data, the code of the person accompanied, one day part.

    The view looks the code up before validating and sets `booking` (the
    appointment found) or `code_problem` (a DomainError to show).
    """

    companion_code = StringField(
        _l("Vaccination code of the person you come along with"),
        description=_l(
            "16 letters and digits, on their invitation letter, for example "
            "V3XF-FETL-EM8E-FKCZ."
        ),
        filters=[_text],
    )
    booking = None
    code_problem = None

    def validate_companion_code(self, field):
        if self.code_problem is not None:
            raise ValidationError(str(self.code_problem.message))
        field.clean = situations.normalise_vaccination_code(field.data)

    def validate_centres(self, field):
        if self.booking is not None and self.booking.centre is not None:
            field.clean = [self.booking.centre.id]
            return
        if self.code_problem is not None and not field.data:
            # The booking names the centre: first the code must be right.
            field.clean = []
            return
        super().validate_centres(field)

    def validate_availability(self, field):
        try:
            field.clean = availability.parse_availability(
                field.data or [], self.now, exactly_one=True
            )
            if self.booking is not None:
                situations.check_companion_slot(self.booking, field.clean)
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from exc

    def companion_data(self):
        """The checked data, for situations.register_companion."""
        return RegistrationData(
            person=_person(self),
            postcode=self.postcode.clean,
            language=self.language.data,
            centre_ids=self.centres.clean,
            slots=self.availability.clean,
            companion_code=self.companion_code.clean,
        )


def edit_rows(formdata, prefix, fields, add=None, remove=None, drop_empty=False):
    """A copy of `formdata` whose rows `<prefix>-N-<field>` are numbered
    0, 1, 2... in their order, without row `remove`, without the rows left
    entirely empty when `drop_empty`, and with the row `add` (a dict of
    defaults) added at the end; and the number of rows."""
    pattern = re.compile(rf"{prefix}-(\d{{1,3}})-(\w+)")
    rows = {}
    kept = MultiDict()
    for key, value in formdata.items(multi=True):
        match = pattern.fullmatch(key)
        if match is None:
            if not key.startswith(f"{prefix}-"):
                kept.add(key, value)
            continue
        if match[2] in fields and isinstance(value, str):
            rows.setdefault(int(match[1]), {})[match[2]] = value
    ordered = [rows[i] for i in sorted(rows)][:MAX_ROWS]
    if remove is not None and 0 <= remove < len(ordered):
        del ordered[remove]
    if drop_empty:
        ordered = [row for row in ordered if _filled(row)]
    if add is not None:
        ordered.append(dict(add))
    for index, row in enumerate(ordered):
        for name in fields:
            kept.add(f"{prefix}-{index}-{name}", row.get(name, ""))
    return kept, len(ordered)


def _filled(row):
    # A chosen language alone does not make a row: the select always sends one.
    return any(v.strip() for k, v in row.items() if k != "language")


def error_items(form):
    """(element id, message) of every error of `form`, rows included, in
    page order: for the error summary at the top."""
    items = []
    for field in form:
        if isinstance(field, FieldList):
            for message in field.errors:
                if not isinstance(message, dict):
                    items.append((field.id, message))
            for row in field.entries:
                for sub in row.form:
                    items += [(sub.id, message) for message in sub.errors]
        else:
            items += [(field.id, message) for message in field.errors]
    return items
