"""Report figures against a data set whose every count is worked out by hand
(see tests/admin/dataset.py for the table of registrations and invitations)."""

from datetime import UTC, date, datetime

import pytest

from app.models import EntryKind, InvitationState
from app.services import reports
from app.services.reports import Period, shown
from tests.admin import dataset

WEEK = Period(dataset.FIRST, dataset.LAST)


@pytest.fixture
def data(app_ctx):
    return dataset.build()


def test_period_bounds_are_brussels_midnights():
    period = Period(date(2021, 4, 5), date(2021, 4, 11))

    # Summer time: Brussels is UTC+2.
    assert period.starts_at == datetime(2021, 4, 4, 22, 0, tzinfo=UTC)
    assert period.ends_at == datetime(2021, 4, 11, 22, 0, tzinfo=UTC)
    assert period.days == 7
    winter = Period(date(2021, 1, 4), date(2021, 1, 4))
    assert winter.starts_at == datetime(2021, 1, 3, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("first", "last", "problem"),
    [
        (date(2021, 4, 5), date(2021, 4, 5), False),
        (date(2021, 4, 6), date(2021, 4, 5), True),
        (date(2020, 1, 1), date(2020, 12, 31), False),  # 366 days (leap year)
        (date(2020, 1, 1), date(2021, 1, 1), True),
        (None, date(2021, 4, 5), True),
    ],
)
def test_period_error(first, last, problem):
    assert (reports.period_error(first, last) is not None) is problem


@pytest.mark.parametrize(
    ("count", "exact", "text"),
    [(0, False, "0"), (1, False, "<5"), (4, False, "<5"), (5, False, "5"),
     (4, True, "4"), (None, False, "–")],
)  # fmt: skip
def test_small_counts_are_hidden_unless_exact(count, exact, text):
    assert shown(count, exact) == text


def test_registrations_over_all_centres(data):
    report = reports.build_report(WEEK)

    # e1-e4 (4) + group e5 (3) + e6 + e7 + e8 + e9 + e10; out1 and out2
    # fall just outside the Brussels week.
    assert report.people_registered == 12
    assert report.entries_registered == 10
    assert report.groups == 1
    assert report.people_in_groups == 3
    assert report.companions == 1
    assert report.third_party_people == 2
    assert report.doctor_registrations == 1
    assert report.agent_registrations == 1
    assert report.people_by_kind == {
        EntryKind.SELF: 5,
        EntryKind.GROUP: 3,
        EntryKind.COMPANION: 1,
        EntryKind.THIRD_PARTY: 2,
        EntryKind.PATIENT: 1,
    }
    assert list(report.people_by_day.values()) == [1, 3, 4, 3, 1, 0, 0]


def test_regional_spread_of_registered_people(data):
    spread = reports.build_report(WEEK).registered_spread

    assert spread.by_postcode == {"9000": 8, "4000": 2, "1000": 2}
    assert spread.by_region == {"Flanders": 8, "Wallonia": 2, "Brussels": 2}
    # Brussels has no province: it counts under the region's name.
    assert spread.by_province == {"Oost-Vlaanderen": 8, "Luik": 2, "Brussels": 2}


def test_invitations_bookings_and_expiries_over_all_centres(data):
    report = reports.build_report(WEEK)

    # i1-i6 and i9; i7 is not sent yet and i8 was sent after the week.
    assert report.invitations_sent == 7
    assert report.people_invited == 1 + 3 + 1 + 1 + 1 + 1 + 2
    assert report.third_party_invitations == 2
    assert report.booked == 4
    assert report.doses_booked == 1 + 3 + 1 + 2
    assert report.expired == 2
    assert report.booking_rate == pytest.approx(4 / 7)
    # Minutes to book: 10, 20, 4 and 30; the median is (10 + 20) / 2.
    assert report.median_minutes_to_book == 15
    assert report.invitations_by_state == {
        InvitationState.BOOKED: 4,
        InvitationState.EXPIRED: 2,
        InvitationState.DECLINED: 1,
    }


def test_regional_spread_of_invited_people(data):
    spread = reports.build_report(WEEK).invited_spread

    # i9's entry is erased: its two people have no postcode any more.
    assert spread.by_postcode == {"9000": 5, "1000": 2, "4000": 1, "unknown": 2}
    assert spread.by_region == {
        "Flanders": 5,
        "Brussels": 2,
        "Wallonia": 1,
        "unknown": 2,
    }


def test_one_centre(data):
    gent = reports.build_report(WEEK, data.gent_id)
    liege = reports.build_report(WEEK, data.liege_id)

    assert gent.people_registered == 8
    assert gent.groups == 1
    assert gent.doctor_registrations == 1
    assert gent.invitations_sent == 4  # i1, i2, i3, i9
    assert gent.people_invited == 7
    assert gent.booked == 3
    assert gent.doses_booked == 6
    assert gent.expired == 1
    assert gent.median_minutes_to_book == 20  # 10, 20, 30
    assert liege.people_registered == 4
    assert liege.companions == 1
    assert liege.agent_registrations == 1
    assert liege.third_party_invitations == 2
    assert liege.invitations_sent == 3
    assert liege.booking_rate == pytest.approx(1 / 3)


def test_an_empty_period(data):
    report = reports.build_report(Period(date(2021, 3, 1), date(2021, 3, 7)))

    assert report.people_registered == 0
    assert report.invitations_sent == 0
    assert report.booking_rate is None
    assert report.median_minutes_to_book is None


def test_public_figures(data):
    figures = reports.public_figures()

    # Every entry is active: 12 people in the week plus out1 and out2.
    assert figures.people_on_list == 14
    assert figures.invitations_sent == 8  # all but the queued i7
    assert figures.doses_booked == 1 + 3 + 1 + 1 + 2  # i1, i2, i4, i8, i9
    assert figures.centres_taking_part == 2


def test_figures_survive_the_erasure_of_entries(data):
    from app.extensions import db
    from app.models import Entry
    from app.services import retention

    before = reports.build_report(WEEK)
    gent_before = reports.build_report(WEEK, data.gent_id)
    for name, reason in (("e5", "booked"), ("e7", "booked"), ("e10", "withdrawn")):
        entry = db.session.get(Entry, data.entry_ids[name])
        retention.erase_entry(entry, reason)
    db.session.commit()

    after = reports.build_report(WEEK)
    gent_after = reports.build_report(WEEK, data.gent_id)

    assert after.people_registered == before.people_registered == 12
    assert after.groups == 1
    assert after.people_in_groups == 3
    assert after.agent_registrations == 1
    assert after.third_party_people == 2
    assert after.third_party_invitations == 2
    assert after.people_by_kind == before.people_by_kind
    assert after.people_by_day == before.people_by_day
    assert after.registered_spread == before.registered_spread
    assert after.invited_spread == before.invited_spread
    assert after.invitations_sent == 7
    assert gent_after.people_registered == gent_before.people_registered == 8
    assert gent_after.invited_spread == gent_before.invited_spread
