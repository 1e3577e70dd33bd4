"""Campaigns: opening one, waves of invitations, full, closed, ended.

Time travel: every service takes `now`; NOW is 14:00 in Brussels (13:00
UTC) on Tuesday 10 March 2026, and the campaigns run 15:00-19:00 Brussels
(14:00-18:00 UTC) unless a test says otherwise. The vaccination code
database is the simulator, over HTTP.
"""

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.centre.links import campaign_links
from app.extensions import db
from app.models import (
    AuditEvent,
    CampaignState,
    Eligibility,
    EntryState,
    Invitation,
    InvitationState,
    MessageState,
)
from app.queue import get_queue, job_id
from app.services import campaigns, invitations
from app.services.campaigns import CampaignRequest, InvalidCampaign
from simulators.vcdb import vaccination_code
from tests.centre import builders
from tests.centre.builders import (
    DAY,
    GENT,
    LEUVEN,
    NOW,
    add_entry,
    campaign,
    centre_id,
    entry,
    invitations_of,
    invited_entries,
    messages,
    open_campaign,
    ssin_born,
)
from tests.centre.fixtures import (  # noqa: F401
    ctx_fixture,
    links_fixture,
    service_fixture,
)

MINUTE = timedelta(minutes=1)


def wave(service, links, campaign_id, now=NOW):
    return campaigns.invite_wave(campaign_id, service=service, links=links, now=now)


def deliver(invitation_id, at):
    invitations.message_delivered(invitation_id, at)
    db.session.commit()


# Opening -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "wall", "expected_utc"),
    [
        (date(2026, 3, 28), time(15), datetime(2026, 3, 28, 14, tzinfo=UTC)),  # CET
        (date(2026, 3, 29), time(15), datetime(2026, 3, 29, 13, tzinfo=UTC)),  # CEST
        (date(2026, 3, 29), time(1, 30), datetime(2026, 3, 29, 0, 30, tzinfo=UTC)),
        (date(2026, 3, 29), time(2, 30), None),  # skipped: clocks go forward
        (date(2026, 3, 29), time(3), datetime(2026, 3, 29, 1, tzinfo=UTC)),
        (date(2026, 10, 25), time(15), datetime(2026, 10, 25, 14, tzinfo=UTC)),
        # Twice that night: the first one (still summer time).
        (date(2026, 10, 25), time(2, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_brussels_wall_clock_to_utc_on_and_around_dst_days(day, wall, expected_utc):
    assert campaigns.brussels_instant(day, wall) == expected_utc


def request(**changes):
    values = {
        "centre_id": 1,
        "day": DAY,
        "start_time": time(15),
        "end_time": time(19),
        "slots": 10,
        "min_age": None,
        "margin_minutes": 30,
    }
    values.update(changes)
    return CampaignRequest(**values)


def english(problems):
    with force_locale("en"):
        return [(field, str(message)) for field, message in problems]


PROBLEM_CASES = {
    "no date": ({"day": None}, [("day", "Enter the date of the campaign.")]),
    "yesterday": (
        {"day": DAY - timedelta(days=1)},
        [("day", "This date has passed. Choose today or a later day.")],
    ),
    "15 days ahead": (
        {"day": DAY + timedelta(days=15)},
        [("day", "Choose a date at most 14 days from today.")],
    ),
    "end before start": (
        {"start_time": time(19), "end_time": time(15)},
        [("end_time", "The end must be later than the start.")],
    ),
    "end equals start": (
        {"end_time": time(15)},
        [("end_time", "The end must be later than the start.")],
    ),
    "no slots": ({"slots": 0}, [("slots", "Enter a number of slots from 1 to 500.")]),
    "too many slots": (
        {"slots": 501},
        [("slots", "Enter a number of slots from 1 to 500.")],
    ),
    "minimum age 121": (
        {"min_age": 121},
        [("min_age", "Enter a minimum age from 0 to 120, or leave it empty.")],
    ),
    "margin 4": (
        {"margin_minutes": 4},
        [("margin_minutes", "Enter a margin from 5 to 180 minutes.")],
    ),
    "outside the day parts": (
        {"start_time": time(6), "end_time": time(7, 30)},
        [
            (
                "start_time",
                "People can only be invited for 08:00 to 22:00. Choose a window "
                "that overlaps those hours.",
            )
        ],
    ),
    "ends too soon for margin plus 30 minutes": (
        {"start_time": time(13), "end_time": time(14, 59)},
        [
            (
                "end_time",
                "The campaign must end at least 60 minutes from now: the margin "
                "plus 30 minutes to book.",
            )
        ],
    ),
    "a time that does not exist": (
        {
            "day": date(2026, 3, 29),
            "start_time": time(2, 30),
            "end_time": time(9),
            "now": datetime(2026, 3, 28, 12, tzinfo=UTC),
        },
        [
            (
                "start_time",
                "This time does not exist on that day: the clocks go forward an "
                "hour. Choose another time.",
            )
        ],
    ),
    "several at once, in form order": (
        {"day": None, "slots": None, "margin_minutes": 500},
        [
            ("day", "Enter the date of the campaign."),
            ("slots", "Enter a number of slots from 1 to 500."),
            ("margin_minutes", "Enter a margin from 5 to 180 minutes."),
        ],
    ),
}


@pytest.mark.parametrize(
    ("changes", "expected"), PROBLEM_CASES.values(), ids=PROBLEM_CASES.keys()
)
def test_campaign_requests_are_checked(app, changes, expected):
    changes = dict(changes)
    now = changes.pop("now", NOW)
    with app.app_context():
        assert english(campaigns.problems(request(**changes), now)) == expected


def test_limits_are_inclusive(app):
    with app.app_context():
        # Ending exactly margin + 30 minutes from now, 14 days ahead, 500 slots.
        assert (
            campaigns.problems(request(start_time=time(13), end_time=time(15)), NOW)
            == []
        )
        assert (
            campaigns.problems(request(day=DAY + timedelta(days=14), slots=500), NOW)
            == []
        )
        assert (
            campaigns.problems(request(slots=1, min_age=0, margin_minutes=5), NOW) == []
        )
        # The day already started, the window not yet over: allowed.
        assert campaigns.problems(request(start_time=time(9)), NOW) == []


def test_opening_stores_utc_instants_and_an_audit_row(ctx):
    staff = builders.staff_user()
    created = campaigns.open_campaign(
        request(centre_id=centre_id(), day=date(2026, 3, 24), min_age=65),
        actor=staff,
        now=NOW,
    )
    db.session.commit()

    stored = campaign(created.id)
    assert (stored.starts_at, stored.ends_at) == (
        datetime(2026, 3, 24, 14, tzinfo=UTC),
        datetime(2026, 3, 24, 18, tzinfo=UTC),
    )
    assert (stored.state, stored.per_slot, stored.margin_minutes, stored.min_age) == (
        "open",
        1,
        30,
        65,
    )
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.actor_id, event.detail) == (
        "campaign_opened",
        staff.id,
        f"campaign {created.id}",
    )


def test_an_invalid_request_raises_every_problem(ctx):
    with pytest.raises(InvalidCampaign) as raised:
        campaigns.open_campaign(request(day=None, slots=0), actor=None, now=NOW)

    assert [field for field, _ in raised.value.problems] == ["day", "slots"]


# Waves -------------------------------------------------------------------------


def test_a_wave_invites_the_oldest_first_with_codes_from_the_recheck(
    ctx, service, links
):
    young = add_entry(1980)
    old_ssin = ssin_born(1940, 5, 2)
    old = add_entry(old_ssin)
    middle = add_entry(1960)
    campaign_id = open_campaign(slots=2)

    written = wave(service, links, campaign_id)

    assert invited_entries(campaign_id) == [old, middle]
    assert young not in invited_entries(campaign_id)
    rows = invitations_of(campaign_id)
    assert written == [row.id for row in rows]
    assert [(r.state, r.size, r.created_at) for r in rows] == [
        ("queued", 1, NOW),
        ("queued", 1, NOW),
    ]
    mail = messages("invitation", invitation_id=rows[0].id)
    assert [m.channel for m in mail] == ["email"]  # SMS is off
    body = mail[0].body
    assert vaccination_code(old_ssin) in body
    assert "STORED-" not in body
    assert (
        "Vaccinatiecentrum Gent (Flanders Expo, hal 2), Flanders Expo, 9051 Gent"
        in body
    )
    assert "15:00" in body and "19:00" in body
    assert "14:30" in body  # by when to book: 30 minutes after NOW, Brussels time
    assert "https://booking.example.be" in body
    assert "/nl/invitation/" in body
    assert "/nl/me/" in body
    assert mail[0].recipient == "maria.peeters@example.be"
    person = entry(old).people[0]
    assert (person.eligibility, person.vaccination_code, person.checked_at) == (
        Eligibility.ELIGIBLE,
        vaccination_code(old_ssin),
        NOW,
    )


def test_a_duplicated_wave_job_invites_nobody_twice(ctx, service, links):
    for year in (1940, 1950, 1960):
        add_entry(year)
    campaign_id = open_campaign(slots=2)

    first = wave(service, links, campaign_id)
    again = wave(service, links, campaign_id)

    assert len(first) == 2
    assert again == []
    assert [i.id for i in invitations_of(campaign_id)] == first
    assert len(messages("invitation")) == 2


def test_service_down_at_invitation_time_uses_the_stored_code(
    ctx, service, links, vcdb
):
    old = add_entry(1940)
    stored_code = entry(old).people[0].vaccination_code
    add_entry(1950, eligible=False)  # stored as not eligible: never a candidate
    campaign_id = open_campaign(slots=5)
    vcdb.configure(outage=True)

    wave(service, links, campaign_id)

    assert invited_entries(campaign_id) == [old]
    body = messages("invitation")[0].body
    assert stored_code in body
    person = entry(old).people[0]
    assert (person.eligibility, person.checked_at) == (
        Eligibility.ELIGIBLE,
        NOW - timedelta(days=1),
    )


def test_someone_no_longer_eligible_is_passed_over_for_the_next(
    ctx, service, links, vcdb
):
    booked_ssin = ssin_born(1935)
    booked = add_entry(booked_ssin)
    second = add_entry(1945)
    third = add_entry(1955)
    add_entry(1965)
    vcdb.set_person(booked_ssin, status="booked")
    campaign_id = open_campaign(slots=2)

    wave(service, links, campaign_id)

    assert invited_entries(campaign_id) == [second, third]
    assert entry(booked).state == EntryState.INACTIVE
    assert entry(booked).people[0].eligibility == Eligibility.BOOKED


def test_a_group_takes_a_slot_per_member_and_gets_every_code(ctx, service, links):
    members = [ssin_born(1930), ssin_born(1990), ssin_born(1995)]
    group = add_entry(*members)
    single = add_entry(1950)
    other = add_entry(1960)

    too_small = open_campaign(slots=2)
    wave(service, links, too_small)
    assert invited_entries(too_small) == [single, other]  # the group waits

    db.session.execute(
        Invitation.__table__.update().values(state=InvitationState.EXPIRED)
    )
    db.session.commit()
    large = open_campaign(slots=4, start=time(16))
    wave(service, links, large)

    rows = invitations_of(large)
    assert [(r.entry_id, r.size) for r in rows] == [(group, 3), (single, 1)]
    body = messages("invitation", invitation_id=rows[0].id)[0].body
    for ssin in members:
        assert vaccination_code(ssin) in body


def test_a_large_first_wave_goes_out_in_parts(ctx, service, links):
    """Ten first, so they reach the outbox at once; the next wave, queued
    behind their delivery, invites the rest."""
    ids = [add_entry(1930 + year) for year in range(12)]
    campaign_id = open_campaign(slots=12)
    get_queue("high").empty()

    first = wave(service, links, campaign_id)

    assert len(first) == campaigns.FIRST_WAVE_UNITS == 10
    assert invited_entries(campaign_id) == ids[:10]
    assert job_id("invite-wave", campaign_id) in get_queue("high").job_ids
    second = wave(service, links, campaign_id)
    assert invited_entries(campaign_id) == ids
    assert len(second) == 2


def test_too_little_time_left_stops_the_invitations(ctx, service, links):
    add_entry(1940)
    campaign_id = open_campaign(slots=1)  # ends 18:00 UTC, margin 30 minutes

    late = datetime(2026, 3, 10, 17, 31, tzinfo=UTC)
    assert wave(service, links, campaign_id, now=late) == []
    just_in_time = datetime(2026, 3, 10, 17, 30, tzinfo=UTC)
    assert len(wave(service, links, campaign_id, now=just_in_time)) == 1


def test_two_campaigns_at_the_same_instant_never_invite_one_entry_twice(app, vcdb):
    """Both waves rank the shared entry before either inserts (the database
    answers slowly); the constraint lets one of them invite it."""
    with app.app_context():
        shared = add_entry(1930, centres=(GENT, LEUVEN))
        add_entry(1950, centres=(LEUVEN,))
        first = open_campaign(GENT, slots=1)
        second = open_campaign(LEUVEN, slots=1)
        db.session.remove()
    vcdb.configure(latency_ms=300)
    errors = []

    def run(campaign_id):
        try:
            with app.app_context(), builders.service(vcdb) as client:
                campaigns.invite_wave(
                    campaign_id, service=client, links=campaign_links(), now=NOW
                )
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    with app.app_context():
        shared_invitations = db.session.scalar(
            select(func.count()).where(Invitation.entry_id == shared)
        )
        assert shared_invitations == 1
        for campaign_id in (first, second):
            assert len(invitations_of(campaign_id)) <= 1
        db.session.remove()


def test_an_entry_holding_an_open_invitation_is_not_invited_elsewhere(
    ctx, service, links
):
    shared = add_entry(1930, centres=(GENT, LEUVEN))
    other = add_entry(1950, centres=(LEUVEN,))
    first = open_campaign(GENT, slots=1)
    second = open_campaign(LEUVEN, slots=1)

    wave(service, links, first)
    wave(service, links, second)

    assert invited_entries(first) == [shared]
    assert invited_entries(second) == [other]


def test_raising_people_per_slot_invites_more(ctx, service, links):
    for year in (1930, 1940, 1950, 1960):
        add_entry(year)
    campaign_id = open_campaign(slots=1)
    wave(service, links, campaign_id)
    assert len(invitations_of(campaign_id)) == 1

    campaigns.set_per_slot(campaign_id, 3, actor=None, now=NOW)
    db.session.commit()
    wave(service, links, campaign_id)

    assert len(invitations_of(campaign_id)) == 3
    assert campaigns.counts(campaign(campaign_id)).room == 0


@pytest.mark.parametrize("value", [0, 6, None])
def test_people_per_slot_is_1_to_5(ctx, value):
    campaign_id = open_campaign()

    with pytest.raises(campaigns.DomainError):
        campaigns.set_per_slot(campaign_id, value, actor=None, now=NOW)


# Full, closed, ended -------------------------------------------------------------


def test_when_every_slot_is_booked_the_others_are_told(ctx, service, links, vcdb):
    people = [ssin_born(year) for year in (1930, 1940, 1950, 1960, 1970)]
    ids = [add_entry(ssin) for ssin in people]
    campaign_id = open_campaign(slots=2)
    campaigns.set_per_slot(campaign_id, 3, actor=None, now=NOW)
    db.session.commit()
    wave(service, links, campaign_id)
    rows = invitations_of(campaign_id)
    assert [r.entry_id for r in rows] == ids
    sent_at = NOW + MINUTE
    for row in rows[:4]:  # the fifth message is still waiting for the relay
        deliver(row.id, sent_at)
    booked_at = "2026-03-10T13:05:00Z"
    for ssin in people[:3]:  # the third books too, beyond the slots
        vcdb.set_person(ssin, status="booked", booked_at=booked_at)

    for row in rows[:2]:
        outcome = invitations.check_expiry(
            row.id, service=service, links=links, now=sent_at + 31 * MINUTE
        )
        db.session.commit()
        assert outcome == "booked"
    assert wave(service, links, campaign_id, now=sent_at + 31 * MINUTE) == []

    assert campaign(campaign_id).state == CampaignState.FULL
    states = [r.state for r in invitations_of(campaign_id)]
    assert states == ["booked", "booked", "booked", "cancelled", "cancelled"]
    counts = campaigns.counts(campaign(campaign_id))
    assert (counts.booked, counts.beyond_slots, counts.remaining) == (3, 1, 0)
    told = messages("invitation_cancelled")
    assert [(m.channel, m.invitation_id) for m in told] == [("email", rows[3].id)]
    assert "stay on the reserve list" in told[0].body or "reservelijst" in told[0].body
    unsent = messages("invitation", invitation_id=rows[4].id)
    assert [m.state for m in unsent] == [MessageState.FAILED]
    assert entry(ids[3]).unanswered_count == 0
    assert entry(ids[3]).state == EntryState.ACTIVE
    assert entry(ids[0]).state == EntryState.BOOKED


def test_closing_withdraws_open_invitations_with_a_message(ctx, service, links):
    staff = builders.staff_user()
    first, second = add_entry(1930), add_entry(1940)
    campaign_id = open_campaign(slots=2)
    wave(service, links, campaign_id)
    rows = invitations_of(campaign_id)
    deliver(rows[0].id, NOW + MINUTE)

    assert campaigns.close_campaign(campaign_id, actor=staff, now=NOW + 5 * MINUTE)
    db.session.commit()

    assert campaign(campaign_id).state == CampaignState.CLOSED
    assert campaign(campaign_id).closed_at == NOW + 5 * MINUTE
    assert [r.state for r in invitations_of(campaign_id)] == ["cancelled", "cancelled"]
    told = messages("invitation_cancelled")
    assert [m.invitation_id for m in told] == [rows[0].id]
    assert entry(first).state == entry(second).state == EntryState.ACTIVE
    assert wave(service, links, campaign_id, now=NOW + 6 * MINUTE) == []
    assert not campaigns.close_campaign(campaign_id, actor=staff, now=NOW)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions == ["campaign_opened", "campaign_closed"]


def test_campaigns_that_ended_are_closed(ctx):
    campaign_id = open_campaign()
    other = open_campaign(day=DAY + timedelta(days=1))

    assert campaigns.close_ended(datetime(2026, 3, 10, 17, 59, tzinfo=UTC)) == []
    assert campaigns.close_ended(datetime(2026, 3, 10, 18, 0, tzinfo=UTC)) == [
        campaign_id
    ]
    db.session.commit()
    assert campaign(campaign_id).state == CampaignState.CLOSED
    assert campaign(other).state == CampaignState.OPEN


def test_the_sweep_finds_campaigns_with_room(ctx, service, links):
    add_entry(1940)
    campaign_id = open_campaign(slots=1)
    assert campaigns.inviting(NOW) == [campaign_id]

    wave(service, links, campaign_id)

    assert campaigns.inviting(NOW) == []
    assert campaigns.inviting(datetime(2026, 3, 10, 17, 31, tzinfo=UTC)) == []
