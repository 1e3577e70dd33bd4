"""Dates and times as each language writes them; usable in pages and in
messages. Times are shown in Brussels time, whatever the database keeps."""

from datetime import UTC, date, datetime

from babel.dates import format_date, format_time
from flask_babel import get_locale, gettext

from app.services.availability import BRUSSELS, parse_slot

# Weekday, day and month as each language writes them (CLDR's skeleton
# matching would abbreviate the month in Dutch and French).
DAY_PATTERNS = {"nl": "EEEE d MMMM", "fr": "EEEE d MMMM", "de": "EEEE, d. MMMM"}


def _language(locale):
    return locale.language if locale else "nl"


def format_day(day):
    """'vrijdag 4 december', 'vendredi 4 décembre', 'Freitag, 4. Dezember'."""
    locale = get_locale()
    pattern = DAY_PATTERNS.get(_language(locale), "EEEE d MMMM")
    return format_date(day, pattern, locale=locale)


def _parsed(value, kind):
    """`value` as a date or datetime, also from the ISO text JSON carries."""
    if isinstance(value, str):
        value = kind.fromisoformat(value)
    return value


def format_full_date(value):
    """A date with its year: '4 december 2026', '4. Dezember 2026'."""
    if value is None:
        return None
    return format_date(_parsed(value, date), "long", locale=get_locale())


def format_moment(value):
    """A point in time in Brussels time: '4 december 2026 15:05'."""
    if value is None:
        return None
    value = _parsed(value, datetime)
    if value.tzinfo is None:  # the database keeps universal time
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(BRUSSELS)
    locale = get_locale()
    return "{} {}".format(
        format_date(local.date(), "long", locale=locale),
        format_time(local.time(), "HH:mm", locale=locale),
    )


def day_parts_by_day(slots):
    """Slots, as (day, DayPart) pairs or '2026-12-04:morning' codes, as
    [(day, [day part, ...]), ...] in calendar order."""
    grouped = {}
    for slot in slots:
        day, part = parse_slot(slot) if isinstance(slot, str) else slot
        grouped.setdefault(day, []).append(part)
    return [
        (day, sorted(parts, key=lambda part: part.index))
        for day, parts in sorted(grouped.items())
    ]


def slot_lines(slots):
    """One line per day: 'vrijdag 4 december: voormiddag, avond',
    'vendredi 4 décembre : matin, soir'."""
    return [
        gettext(
            "%(day)s: %(parts)s",
            day=format_day(day),
            parts=", ".join(str(part.in_text) for part in parts),
        )
        for day, parts in day_parts_by_day(slots)
    ]
