"""Forms of the contact-centre agents' pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, ValidationError

from app.doctor.forms import OnBehalfForm
from app.services import identity
from app.services.errors import DomainError


class CallerForm(OnBehalfForm):
    """Situation b, filled in by the agent for the caller."""


class LookupForm(FlaskForm):
    ssin = StringField(
        _l("National number of the caller"),
        description=_l("11 digits; a BIS number works too."),
    )

    def validate_ssin(self, field):
        text = field.data if isinstance(field.data, str) else ""
        try:
            field.clean = identity.normalise_ssin(text)
        except DomainError as exc:
            field.clean = None
            raise ValidationError(str(exc.message)) from exc
