"""The form to correct one's details through the personal link.

The fields and their checks are those of the registration form
(app.citizen.forms.PersonFields, app.services.identity); the national number
cannot be corrected here.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, ValidationError

from app.citizen.forms import LANGUAGE_CHOICES, LANGUAGE_CODES, PersonFields


class CorrectionForm(FlaskForm):
    last_name = PersonFields.last_name
    first_name = PersonFields.first_name
    email = PersonFields.email
    mobile = PersonFields.mobile
    language = RadioField(
        _l("Language for our messages"),
        choices=LANGUAGE_CHOICES,
        validate_choice=False,
    )

    def validate_language(self, field):
        if field.data not in LANGUAGE_CODES:
            raise ValidationError(_l("Choose a language."))
