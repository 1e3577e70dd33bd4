"""The form to claim a slot of an open moment: the personal data of a
registration (the same fields and checks), the postcode and the language.

Field names are a public contract, as for the registration form: ssin,
last_name, first_name, email, mobile, postcode, language.
"""

from flask_wtf import FlaskForm

from app.citizen.forms import ContactFields, PersonFields


class ClaimForm(PersonFields, ContactFields, FlaskForm):
    """The personal data, postcode and language of the person claiming."""
