"""The registration form: WTForms fields whose checks call app.services.identity.

Field names are a public contract (partners post to them): ssin, last_name,
first_name, postcode, email, mobile, language, centres (repeated centre
codes), availability (repeated YYYY-MM-DD:morning|afternoon|evening).
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    RadioField,
    SelectMultipleField,
    StringField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from app.services import availability, centres, identity
from app.services.entries import active_centre_ids
from app.services.errors import DomainError

LANGUAGE_CHOICES = [
    SelectChoice("nl", "Nederlands"),
    SelectChoice("fr", "Français"),
    SelectChoice("de", "Deutsch"),
]
LANGUAGE_CODES = frozenset(choice.value for choice in LANGUAGE_CHOICES)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """Choices are checked by the form's own validators, with our messages."""


def _via(normalise, *args):
    """A WTForms validator that runs a service normaliser and keeps its result."""

    def validator(form, field):
        try:
            field.clean = normalise(field.data, *args)
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from exc

    return validator


def _text(value):
    """Form data as text; anything else (lists, numbers) becomes empty."""
    return value if isinstance(value, str) else ""


class PersonFields:
    """The personal data fields, shared by every registration form."""

    ssin = StringField(
        _l("National number"),
        description=_l(
            "On the back of your identity card, or your BIS number: 11 digits."
        ),
        filters=[_text],
        validators=[_via(identity.normalise_ssin)],
    )
    last_name = StringField(
        _l("Last name"),
        filters=[_text],
        validators=[_via(identity.normalise_name, "last_name")],
    )
    first_name = StringField(
        _l("First name"),
        filters=[_text],
        validators=[_via(identity.normalise_name, "first_name")],
    )
    email = StringField(
        _l("E-mail address"),
        description=_l("We send your confirmation and invitations here."),
        filters=[_text],
        validators=[_via(identity.normalise_email)],
    )
    mobile = StringField(
        _l("Mobile number"),
        description=_l("A Belgian mobile number, for example 0470 12 34 56."),
        filters=[_text],
        validators=[_via(identity.normalise_mobile)],
    )


def _postcode(form, field):
    postcode = centres.normalise_postcode(field.data)
    if postcode is None:
        raise ValidationError(
            _l("Enter a Belgian postcode of 4 digits, for example 9000.")
        )
    if not centres.is_known_postcode(postcode):
        raise ValidationError(_l("We do not know this postcode in Belgium."))
    field.clean = postcode


class AvailabilityForm(FlaskForm):
    """Centres and day parts: asked at registration and on the personal page."""

    centres = MultiCheckboxField(_l("Vaccination centres"), choices=[])
    availability = MultiCheckboxField(_l("When can you come?"), choices=[])

    def __init__(self, *args, now=None, exactly_one=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now
        self.exactly_one = exactly_one

    def validate_centres(self, field):
        codes = [c for c in (field.data or []) if isinstance(c, str)][:20]
        ids = active_centre_ids(codes)
        if not ids:
            raise ValidationError(_l("Choose at least one vaccination centre."))
        field.clean = ids

    def validate_availability(self, field):
        try:
            field.clean = availability.parse_availability(
                field.data or [], self.now, exactly_one=self.exactly_one
            )
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from exc


class ContactFields:
    """Postcode, language of the messages and the honeypot: shared by the
    registration form and the form to claim a slot of an open moment."""

    postcode = StringField(
        _l("Postcode"),
        description=_l("4 digits, for example 9000"),
        filters=[_text],
        validators=[_postcode],
    )
    language = RadioField(
        _l("Language for our messages"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
    )
    # A field people never see; simple bots fill it in.
    website = StringField(_l("Leave this field empty"), filters=[_text])

    def validate_language(self, field):
        if field.data not in LANGUAGE_CODES:
            raise ValidationError(_l("Choose a language."))

    @property
    def is_bot(self):
        return bool(self.website.data)


class RegistrationForm(PersonFields, ContactFields, AvailabilityForm):
    """Situation b: the person, where they live, and when they can come."""
