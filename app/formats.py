"""Dates as each language writes them; usable in pages and in messages."""

from babel.dates import format_date
from flask_babel import get_locale

# Weekday, day and month as each language writes them (CLDR's skeleton
# matching would abbreviate the month in Dutch and French).
DAY_PATTERNS = {"nl": "EEEE d MMMM", "fr": "EEEE d MMMM", "de": "EEEE, d. MMMM"}


def format_day(day):
    """'vrijdag 4 december', 'vendredi 4 décembre', 'Freitag, 4. Dezember'."""
    locale = get_locale()
    language = locale.language if locale else "nl"
    return format_date(day, DAY_PATTERNS.get(language, "EEEE d MMMM"), locale=locale)
