"""Day parts, the 14-day calendar, and the compact form availability is stored in.

Day parts are Europe/Brussels wall-clock times: morning 08-13, afternoon
13-17, evening 17-22. A person may pick today's parts that have not ended yet
and every part of the 14 days from tomorrow. Availability is stored as a bit
set: bit (day - first_day) * 3 + part, with days counted from 1970-01-01, so
15 days fit in 45 bits of one BIGINT.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from app.services.errors import DomainError

BRUSSELS = ZoneInfo("Europe/Brussels")
EPOCH = date(1970, 1, 1)
HORIZON_DAYS = 14


@dataclass(frozen=True)
class DayPart:
    index: int
    name: str
    start: time
    end: time
    label: object  # "Morning", as a heading
    all_label: object  # "All mornings"
    in_text: object  # "morning", within a sentence


MORNING = DayPart(
    0, "morning", time(8), time(13), _l("Morning"), _l("All mornings"), _l("morning")
)
AFTERNOON = DayPart(
    1,
    "afternoon",
    time(13),
    time(17),
    _l("Afternoon"),
    _l("All afternoons"),
    _l("afternoon"),
)
EVENING = DayPart(
    2, "evening", time(17), time(22), _l("Evening"), _l("All evenings"), _l("evening")
)
DAY_PARTS = (MORNING, AFTERNOON, EVENING)
BY_NAME = {part.name: part for part in DAY_PARTS}
ALL_PARTS_MASK = 0b111


def day_number(day):
    return (day - EPOCH).days


def from_day_number(number):
    return EPOCH + timedelta(days=number)


def local_now(now=None):
    return (now or datetime.now(UTC)).astimezone(BRUSSELS)


def part_bounds(day, part):
    """The UTC instants a day part of a local date begins and ends."""
    start = datetime.combine(day, part.start, tzinfo=BRUSSELS).astimezone(UTC)
    end = datetime.combine(day, part.end, tzinfo=BRUSSELS).astimezone(UTC)
    return start, end


def calendar_days(now=None):
    """The local dates a person may choose from: today while one of its parts
    has not ended, then the 14 days from tomorrow."""
    today = local_now(now).date()
    days = [today + timedelta(days=n) for n in range(1, HORIZON_DAYS + 1)]
    if any(is_selectable(today, part, now) for part in DAY_PARTS):
        days.insert(0, today)
    return days


def is_selectable(day, part, now=None):
    """Whether (day, part) may be chosen at `now`: not ended, within reach."""
    now = now or datetime.now(UTC)
    today = local_now(now).date()
    if not today <= day <= today + timedelta(days=HORIZON_DAYS):
        return False
    return part_bounds(day, part)[1] > now


def parse_slot(value):
    """'2026-12-04:morning' -> (date, DayPart); None when malformed."""
    if not isinstance(value, str) or len(value) > 30 or ":" not in value:
        return None
    day_text, _, part_name = value.partition(":")
    part = BY_NAME.get(part_name)
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return None
    if part is None or len(day_text) != 10:
        return None
    return day, part


def format_slot(day, part):
    return f"{day.isoformat()}:{part.name}"


def parse_availability(values, now=None, exactly_one=False):
    """Check posted `availability` values; return a sorted list of (day, part).

    Raises DomainError(field="availability") for a malformed value, a part
    that has passed or lies beyond 14 days, none chosen, or, with
    `exactly_one` (companions), more than one.
    """
    slots = set()
    for value in values:
        slot = parse_slot(value)
        if slot is None:
            raise DomainError(_l("Choose day parts from the calendar."), "availability")
        if not is_selectable(*slot, now=now):
            raise DomainError(
                _l(
                    "You can only choose day parts from now until 14 days from "
                    "tomorrow that have not passed yet."
                ),
                "availability",
            )
        slots.add(slot)
    if not slots:
        raise DomainError(_l("Choose at least one day part."), "availability")
    if exactly_one and len(slots) != 1:
        raise DomainError(
            _l("Choose exactly one day and one day part."), "availability"
        )
    return sorted(slots, key=lambda s: (s[0], s[1].index))


def encode(slots):
    """(first_day_number, bits) for a list of (day, part); (None, 0) if empty."""
    if not slots:
        return None, 0
    first = min(day_number(day) for day, _ in slots)
    bits = 0
    for day, part in slots:
        bits |= 1 << ((day_number(day) - first) * 3 + part.index)
    return first, bits


def decode(first_day, bits):
    """The (day, part) pairs of a stored bit set, in calendar order."""
    if first_day is None:
        return []
    slots = []
    position = 0
    while bits >> position:
        if (bits >> position) & 1:
            day = from_day_number(first_day + position // 3)
            slots.append((day, DAY_PARTS[position % 3]))
        position += 1
    return slots


def without_past(first_day, bits, now=None):
    """Drop the parts that have ended; availability in the past no longer counts."""
    kept = [slot for slot in decode(first_day, bits) if is_selectable(*slot, now=now)]
    return encode(kept)


def last_day(first_day, bits):
    slots = decode(first_day, bits)
    return slots[-1][0] if slots else None


def parts_mask(start, end):
    """Bit mask of the day parts a [start, end) wall-clock window overlaps."""
    mask = 0
    for part in DAY_PARTS:
        if start < part.end and end > part.start:
            mask |= 1 << part.index
    return mask


def is_available(first_day, bits, day, mask):
    """Whether stored availability covers one of `mask`'s parts on `day`."""
    if first_day is None:
        return False
    offset = day_number(day) - first_day
    if offset < 0 or offset > 20:
        return False
    return bool((bits >> (offset * 3)) & mask)
