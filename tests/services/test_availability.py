"""The calendar's bounds, day parts on clock-change days, and the bit encoding."""

from datetime import UTC, date, datetime, time

import pytest

from app.services import availability as av
from app.services.errors import DomainError

# Thursday 3 December 2026, 10:30 in Brussels (CET, UTC+1).
NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def test_calendar_runs_from_today_to_fourteen_days_after_tomorrow():
    days = av.calendar_days(NOW)

    assert days[0] == date(2026, 12, 3)
    assert days[-1] == date(2026, 12, 17)
    assert len(days) == 15


def test_today_drops_out_once_its_evening_has_ended():
    late = datetime(2026, 12, 3, 21, 0, tzinfo=UTC)  # 22:00 in Brussels

    assert av.calendar_days(late)[0] == date(2026, 12, 4)
    assert len(av.calendar_days(late)) == 14


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2026-12-02:evening", False),  # yesterday
        ("2026-12-03:morning", True),  # today, until 13:00
        ("2026-12-17:evening", True),  # day 14 after tomorrow... the last one
        ("2026-12-18:morning", False),  # one day too far
    ],
)
def test_bounds_of_what_may_be_chosen(value, ok):
    if ok:
        assert av.parse_availability([value], NOW) == [av.parse_slot(value)]
    else:
        with pytest.raises(DomainError) as info:
            av.parse_availability([value], NOW)
        assert info.value.field == "availability"


def test_a_day_part_that_has_ended_today_is_refused():
    afternoon = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # 13:00 in Brussels

    with pytest.raises(DomainError):
        av.parse_availability(["2026-12-03:morning"], afternoon)
    assert av.parse_availability(["2026-12-03:afternoon"], afternoon)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2026-12-05",
        "2026-12-05:night",
        "2026-13-05:morning",
        "05/12/2026:morning",
        "x" * 100,
    ],
)
def test_malformed_values_are_refused(value):
    with pytest.raises(DomainError):
        av.parse_availability([value], NOW)


def test_nothing_chosen_is_refused_and_duplicates_collapse():
    with pytest.raises(DomainError, match="at least one"):
        av.parse_availability([], NOW)
    assert len(av.parse_availability(["2026-12-05:morning"] * 3, NOW)) == 1


def test_companions_choose_exactly_one():
    with pytest.raises(DomainError, match="exactly one"):
        av.parse_availability(
            ["2026-12-05:morning", "2026-12-05:evening"], NOW, exactly_one=True
        )


@pytest.mark.parametrize(
    ("day", "part", "start", "end"),
    [
        # Saturday before the spring change: CET, UTC+1.
        (date(2027, 3, 27), av.MORNING, "07:00", "12:00"),
        # Sunday 28 March 2027, clocks go forward at 02:00: CEST, UTC+2.
        (date(2027, 3, 28), av.MORNING, "06:00", "11:00"),
        (date(2027, 3, 28), av.EVENING, "15:00", "20:00"),
        # Sunday 31 October 2027, clocks go back at 03:00: CET again.
        (date(2027, 10, 31), av.MORNING, "07:00", "12:00"),
        (date(2027, 10, 30), av.EVENING, "15:00", "20:00"),
    ],
)
def test_day_parts_are_brussels_wall_clock_on_clock_change_days(day, part, start, end):
    begins, ends = av.part_bounds(day, part)

    assert (begins.strftime("%H:%M"), ends.strftime("%H:%M")) == (start, end)
    assert begins.tzinfo == UTC


def test_on_the_spring_change_day_the_morning_is_selectable_until_its_local_end():
    # 10:59 UTC on 28 March 2027 is 12:59 in Brussels: the morning is still on.
    now = datetime(2027, 3, 28, 10, 59, tzinfo=UTC)

    assert av.is_selectable(date(2027, 3, 28), av.MORNING, now)
    assert not av.is_selectable(
        date(2027, 3, 28), av.MORNING, now.replace(minute=0, hour=11)
    )


def test_encoding_round_trips_and_keeps_bits_compact():
    slots = [
        (date(2026, 12, 4), av.MORNING),
        (date(2026, 12, 4), av.EVENING),
        (date(2026, 12, 17), av.AFTERNOON),
    ]

    first, bits = av.encode(slots)

    assert first == av.day_number(date(2026, 12, 4)) == 20791
    # bits 0 and 2 for the 4th, (13 * 3 + 1) = 40 for the 17th.
    assert bits == (1 << 0) | (1 << 2) | (1 << 40)
    assert av.decode(first, bits) == slots
    assert av.last_day(first, bits) == date(2026, 12, 17)


@pytest.mark.parametrize(
    ("start", "end", "mask"),
    [
        (time(15), time(19), 0b110),  # afternoon and evening
        (time(13), time(17), 0b010),  # exactly the afternoon
        (time(12, 59), time(13, 1), 0b011),
        (time(17), time(22), 0b100),
        (time(7), time(8), 0b000),
        (time(8), time(22), 0b111),
    ],
)
def test_which_day_parts_a_window_overlaps(start, end, mask):
    assert av.parts_mask(start, end) == mask


def test_is_available_reads_the_right_day_and_parts():
    first, bits = av.encode([(date(2026, 12, 5), av.AFTERNOON)])

    assert av.is_available(first, bits, date(2026, 12, 5), 0b010)
    assert av.is_available(first, bits, date(2026, 12, 5), 0b110)
    assert not av.is_available(first, bits, date(2026, 12, 5), 0b101)
    assert not av.is_available(first, bits, date(2026, 12, 4), 0b111)
    assert not av.is_available(first, bits, date(2026, 12, 6), 0b111)


def test_past_parts_are_pruned():
    slots = [
        (date(2026, 12, 2), av.EVENING),
        (date(2026, 12, 3), av.MORNING),
        (date(2026, 12, 5), av.MORNING),
    ]
    first, bits = av.encode(slots)

    assert av.decode(*av.without_past(first, bits, NOW)) == slots[1:]
