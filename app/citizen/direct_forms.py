"""The form to claim a slot of an open moment: the personal data of a
registration (the same fields and checks), the postcode and the language.

Field names are a public contract, as for the registration form: ssin,
last_name, first_name, email, mobile, postcode, language.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, ValidationError

from app.citizen.forms import LANGUAGE_CHOICES, LANGUAGE_CODES, PersonFields
from app.services import centres


def _text(value):
    return value if isinstance(value, str) else ""


def _postcode(form, field):
    postcode = centres.normalise_postcode(field.data)
    if postcode is None:
        raise ValidationError(
            _l("Enter a Belgian postcode of 4 digits, for example 9000.")
        )
    if not centres.is_known_postcode(postcode):
        raise ValidationError(_l("We do not know this postcode in Belgium."))
    field.clean = postcode


class ClaimForm(PersonFields, FlaskForm):
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
