"""Filters of the report and audit pages (GET forms, no CSRF token needed)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import NumberRange, Optional


class _Date(DateField):
    """A date field (type=date in browsers) with our own message."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(
                _l("Enter a date as year-month-day, for example 2021-05-03.")
            ) from exc


class _Number(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_l("Enter a whole number.")) from exc


class _GetForm(FlaskForm):
    class Meta:
        csrf = False


class ReportForm(_GetForm):
    date_from = _Date(
        _l("From"),
        name="from",
        validators=[Optional()],
        description=_l("First day, included (Belgian time)."),
    )
    date_to = _Date(
        _l("Until"),
        name="to",
        validators=[Optional()],
        description=_l("Last day, included."),
    )


class AuditForm(_GetForm):
    entry = _Number(
        _l("Entry number"),
        validators=[
            Optional(),
            NumberRange(min=1, message=_l("Enter an entry number.")),
        ],
    )
    actor = StringField(
        _l("Staff member"),
        validators=[Optional()],
        description=_l("Username or account number."),
    )
    date_from = _Date(_l("From"), name="from", validators=[Optional()])
    date_to = _Date(_l("Until"), name="to", validators=[Optional()])
