"""Forms of the centre pages. They only read what was typed; the rules of a
campaign (dates, limits) are checked by app.services.campaigns."""

import re
from datetime import date, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from app.services.campaigns import DEFAULT_MARGIN

_TIME = re.compile(r"^(\d{1,2})(?:[:.hu](\d{2})?)?(?::\d{2})?$")


def _parsed(text, parse):
    text = (text or "").strip()
    if not text or len(text) > 20:
        return None
    try:
        return parse(text)
    except ValueError:
        return None


def _time(text):
    """ "15:00", "15:00:00" (as some browsers send it), "15u30", "15h" -> time."""
    match = _TIME.match(text.lower())
    if match is None:
        raise ValueError(text)
    return time(int(match[1]), int(match[2] or 0))


def _whole_number(text):
    if not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    return int(text)


class CampaignForm(FlaskForm):
    # A centre code; operators choose it (the page lists the centres).
    centre = StringField(_l("Centre"))
    day = StringField(
        _l("Date"),
        description=_l("Today or one of the next 14 days, as year-month-day."),
    )
    start_time = StringField(_l("From"), description=_l("For example 15:00."))
    end_time = StringField(_l("Until"), description=_l("For example 19:00."))
    slots = StringField(
        _l("Number of slots"),
        description=_l("Doses you can give in this window: 1 to 500."),
    )
    min_age = StringField(
        _l("Minimum age (optional)"),
        description=_l("Only people of at least this age on that day are invited."),
    )
    margin_minutes = StringField(
        _l("Margin in minutes"),
        default=str(DEFAULT_MARGIN),
        description=_l(
            "No invitation is sent later than this many minutes before the end."
        ),
    )

    def validate_day(self, field):
        if field.data and self.parsed_day is None:
            raise ValidationError(
                _l("Enter the date as year-month-day, such as 2021-04-11.")
            )

    def validate_start_time(self, field):
        if field.data and self.parsed_start is None:
            raise ValidationError(_l("Enter a time such as 15:00."))

    def validate_end_time(self, field):
        if field.data and self.parsed_end is None:
            raise ValidationError(_l("Enter a time such as 19:00."))

    def validate_slots(self, field):
        if field.data and _parsed(field.data, _whole_number) is None:
            raise ValidationError(_l("Enter a number of slots from 1 to 500."))

    def validate_min_age(self, field):
        if field.data and _parsed(field.data, _whole_number) is None:
            raise ValidationError(
                _l("Enter a minimum age from 0 to 120, or leave it empty.")
            )

    def validate_margin_minutes(self, field):
        if field.data and _parsed(field.data, _whole_number) is None:
            raise ValidationError(_l("Enter a margin from 5 to 180 minutes."))

    @property
    def parsed_day(self):
        return _parsed(self.day.data, date.fromisoformat)

    @property
    def parsed_start(self):
        return _parsed(self.start_time.data, _time)

    @property
    def parsed_end(self):
        return _parsed(self.end_time.data, _time)

    def values(self):
        """The typed values (None where empty or unreadable)."""
        return {
            "day": self.parsed_day,
            "start_time": self.parsed_start,
            "end_time": self.parsed_end,
            "slots": _parsed(self.slots.data, _whole_number),
            "min_age": _parsed(self.min_age.data, _whole_number),
            "margin_minutes": _parsed(self.margin_minutes.data, _whole_number),
        }


class PerSlotForm(FlaskForm):
    per_slot = StringField(_l("People invited per free slot"))

    @property
    def value(self):
        """The number chosen, or None."""
        return _parsed(self.per_slot.data, _whole_number)


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""
