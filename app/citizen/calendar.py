"""The availability calendar as the page shows it, and its convenience buttons.

The calendar is plain checkboxes named `availability`; the buttons ("whole
day", "whole week", "all evenings", "clear") work as submit buttons without
JavaScript and as htmx requests with it, through `apply_action`.
"""

from flask_babel import format_date

from app.i18n import format_day
from app.services import availability


def build(chosen, now):
    """Weeks of days, each with its three day parts and whether each is ticked."""
    chosen = {v for v in chosen if isinstance(v, str)}
    weeks = []
    for day in availability.calendar_days(now):
        if not weeks or day.isocalendar()[1] != weeks[-1]["number"]:
            weeks.append({"number": day.isocalendar()[1], "days": []})
        parts = []
        for part in availability.DAY_PARTS:
            value = availability.format_slot(day, part)
            parts.append(
                {
                    "value": value,
                    "part": part,
                    "selectable": availability.is_selectable(day, part, now),
                    "checked": value in chosen,
                }
            )
        weeks[-1]["days"].append(
            {
                "date": day,
                "iso": day.isoformat(),
                "label": format_day(day),
                "short": format_date(day, format="EEE d/M"),
                "parts": parts,
            }
        )
    return {"weeks": weeks, "parts": availability.DAY_PARTS}


def apply_action(chosen, action, now):
    """Return `chosen` with the boxes a convenience button adds (or clears)."""
    chosen = [v for v in chosen if isinstance(v, str)][:100]
    if not isinstance(action, str) or len(action) > 40:
        return chosen
    kind, _, argument = action.partition(":")
    days = availability.calendar_days(now)
    if kind == "clear":
        return []
    if kind == "day":
        days = [d for d in days if d.isoformat() == argument]
        parts = availability.DAY_PARTS
    elif kind == "week":
        days = [d for d in days if str(d.isocalendar()[1]) == argument]
        parts = availability.DAY_PARTS
    elif kind == "part" and argument in availability.BY_NAME:
        parts = (availability.BY_NAME[argument],)
    else:
        return chosen
    added = [
        availability.format_slot(day, part)
        for day in days
        for part in parts
        if availability.is_selectable(day, part, now)
    ]
    return list(dict.fromkeys(chosen + added))
