"""The form centre staff announce an open moment with.

Field names: centre (operators only: a centre code), day (YYYY-MM-DD),
start_time and end_time (HH:MM), slots (a whole number).
"""

import re
from datetime import date, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, ValidationError

_TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:.hu]([0-5][0-9])$")


def _text(value):
    return value.strip() if isinstance(value, str) else ""


def parse_time(value):
    """'15:00', '9:30', '15.00', '15u00', '15h00' -> time; else None."""
    match = _TIME.match(value or "")
    if match is None:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def _time_field(form, field):
    parsed = parse_time(field.data)
    if parsed is None:
        raise ValidationError(_l("Enter a time as HH:MM, for example 15:00."))
    field.clean = parsed


class MomentForm(FlaskForm):
    centre = SelectField(_l("Vaccination centre"), choices=[], validate_choice=False)
    day = SelectField(_l("Day"), choices=[], validate_choice=False)
    start_time = StringField(
        _l("From"),
        description=_l("For example 15:00."),
        filters=[_text],
        validators=[_time_field],
    )
    end_time = StringField(
        _l("Until"),
        description=_l("For example 19:00."),
        filters=[_text],
        validators=[_time_field],
    )
    slots = StringField(
        _l("Number of free slots"),
        description=_l("From 1 to 500"),
        filters=[_text],
    )

    def __init__(self, *args, centre_codes=None, **kwargs):
        super().__init__(*args, **kwargs)
        # None: the user's centre is fixed, the field is not shown.
        self.centre_codes = centre_codes

    def validate_centre(self, field):
        if self.centre_codes is None:
            field.clean = None
            return
        if field.data not in self.centre_codes:
            raise ValidationError(_l("Choose a vaccination centre."))
        field.clean = field.data

    def validate_day(self, field):
        try:
            field.clean = date.fromisoformat(field.data or "")
        except (TypeError, ValueError):
            raise ValidationError(_l("Choose a day.")) from None

    def validate_slots(self, field):
        text = field.data or ""
        if not text.isdigit() or not 1 <= int(text) <= 500:
            raise ValidationError(_l("Enter a number of slots from 1 to 500."))
        field.clean = int(text)
