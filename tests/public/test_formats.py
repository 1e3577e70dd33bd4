"""Dates and times as each language writes them, in Brussels time."""

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from app.formats import day_parts_by_day, format_full_date, format_moment, slot_lines
from app.services import availability


@pytest.mark.parametrize(
    ("lang", "winter", "summer"),
    [
        # 10:00 UTC is 11:00 in Brussels in January (CET), 12:00 in July (CEST).
        ("nl", "5 januari 2026 11:00", "1 juli 2026 12:00"),
        ("fr", "5 janvier 2026 11:00", "1 juillet 2026 12:00"),
        ("de", "5. Januar 2026 11:00", "1. Juli 2026 12:00"),
    ],
)
def test_a_moment_is_written_in_brussels_time(app, lang, winter, summer):
    with app.test_request_context(), force_locale(lang):
        assert format_moment(datetime(2026, 1, 5, 10, 0, tzinfo=UTC)) == winter
        # As the JSON download carries it, and naive values count as UTC.
        assert format_moment("2026-07-01T10:00:00+00:00") == summer
        assert format_moment(datetime(2026, 7, 1, 10, 0)) == summer
        assert format_moment(None) is None


def test_a_moment_just_before_midnight_utc_is_the_next_day_in_brussels(app):
    with app.test_request_context(), force_locale("nl"):
        assert format_moment("2026-12-31T23:30:00+00:00") == "1 januari 2027 00:30"


def test_a_full_date_has_its_year(app):
    with app.test_request_context():
        written = {}
        for lang in ("nl", "fr", "de"):
            with force_locale(lang):
                written[lang] = format_full_date("1947-08-15")
        assert format_full_date(None) is None

    assert written == {
        "nl": "15 augustus 1947",
        "fr": "15 août 1947",
        "de": "15. August 1947",
    }


def test_day_parts_are_grouped_by_day_in_calendar_order():
    grouped = day_parts_by_day(
        ["2026-12-05:evening", "2026-12-04:evening", "2026-12-04:morning"]
    )

    assert [(day, [part.name for part in parts]) for day, parts in grouped] == [
        (date(2026, 12, 4), ["morning", "evening"]),
        (date(2026, 12, 5), ["evening"]),
    ]


def test_slot_lines_give_one_line_per_day_as_each_language_writes_it(app):
    slots = [
        (date(2026, 12, 4), availability.EVENING),
        "2026-12-04:morning",
        (date(2026, 12, 5), availability.AFTERNOON),
    ]
    lines = {}
    with app.test_request_context():
        for lang in ("nl", "fr", "de"):
            with force_locale(lang):
                lines[lang] = slot_lines(slots)

    assert lines == {
        "nl": [
            "vrijdag 4 december: voormiddag, avond",
            "zaterdag 5 december: namiddag",
        ],
        "fr": [
            "vendredi 4 décembre\u00a0: matin, soir",
            "samedi 5 décembre\u00a0: après-midi",
        ],
        "de": [
            "Freitag, 4. Dezember: Vormittag, Abend",
            "Samstag, 5. Dezember: Nachmittag",
        ],
    }
