"""Ranking candidates for a last-minute campaign: the rule, and the query."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from stdnum.be import ssn as be_ssn

from app.extensions import db
from app.models import (
    Campaign,
    Centre,
    Entry,
    EntryCentre,
    EntryState,
    Invitation,
    InvitationState,
)
from app.services import identity
from app.services.availability import AFTERNOON, EVENING, MORNING, day_number, encode
from app.services.ranking import (
    Candidate,
    birth_cutoff,
    candidates,
    choose,
    rank_for_campaign,
    rank_key,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DAY = date(2026, 3, 10)  # the campaign day of most tests, a Tuesday
GENT = "vl-gent-flanders-expo"
ANTWERPEN = "vl-antwerpen-spoor-oost"


def bd(year, month, day):
    return day_number(date(year, month, day))


# --- the rule, without a database ---------------------------------------------


def cand(entry_id, birth=bd(1950, 1, 1), *, priority=1, minutes=0, size=1):
    return Candidate(
        entry_id=entry_id,
        priority=priority,
        rank_birth_day=birth,
        registered_at=T0 + timedelta(minutes=minutes),
        size=size,
    )


CHOOSE_CASES = {
    "companion before an older person": (
        [cand(1, bd(1930, 5, 1)), cand(2, bd(1990, 5, 1), priority=0)],
        5,
        [2, 1],
    ),
    "oldest first, unknown birth last": (
        [cand(1, bd(1960, 1, 1)), cand(2, None), cand(3, bd(1940, 1, 1))],
        5,
        [3, 1, 2],
    ),
    "a companion with unknown birth still before the others": (
        [cand(1, bd(1930, 1, 1)), cand(2, None, priority=0)],
        5,
        [2, 1],
    ),
    "same birth day: earlier registration first": (
        [cand(1, minutes=5), cand(2, minutes=1)],
        5,
        [2, 1],
    ),
    "same birth day and instant: lower entry id first": (
        [cand(9), cand(4)],
        5,
        [4, 9],
    ),
    "a group that does not fit is skipped, a smaller one takes the rest": (
        [
            cand(1, bd(1940, 1, 1)),
            cand(2, bd(1941, 1, 1), size=4),
            cand(3, bd(1942, 1, 1), size=2),
            cand(4, bd(1943, 1, 1)),
        ],
        3,
        [1, 3],
    ),
    "a group that fits exactly": (
        [cand(1, bd(1940, 1, 1), size=4), cand(2, bd(1941, 1, 1))],
        4,
        [1],
    ),
    "the oldest group waits while singles fill two slots": (
        [
            cand(1, bd(1930, 1, 1), size=3),
            cand(2, bd(1950, 1, 1)),
            cand(3, bd(1960, 1, 1)),
            cand(4, bd(1970, 1, 1)),
        ],
        2,
        [2, 3],
    ),
    "the skipped group keeps its place for a larger wave": (
        [
            cand(1, bd(1930, 1, 1), size=3),
            cand(2, bd(1950, 1, 1)),
            cand(3, bd(1960, 1, 1)),
        ],
        4,
        [1, 2],
    ),
    "fewer candidates than slots": ([cand(1), cand(2, size=2)], 10, [1, 2]),
    "no slots": ([cand(1)], 0, []),
    "no candidates": ([], 3, []),
}


@pytest.mark.parametrize(
    ("given", "slots", "expected"), CHOOSE_CASES.values(), ids=CHOOSE_CASES.keys()
)
def test_choose(given, slots, expected):
    assert [c.entry_id for c in choose(given, slots)] == expected
    # The order of the input does not matter.
    assert [c.entry_id for c in choose(list(reversed(given)), slots)] == expected


def test_rank_key_sorts_companions_age_unknown_registration_id():
    given = [
        cand(1, None),
        cand(2, bd(1950, 1, 1), minutes=2),
        cand(3, bd(1950, 1, 1), minutes=1),
        cand(4, bd(1980, 1, 1), priority=0),
        cand(5, bd(1940, 1, 1)),
        cand(6, bd(1950, 1, 1), minutes=1),
    ]

    assert [c.entry_id for c in sorted(given, key=rank_key)] == [4, 5, 3, 6, 2, 1]


CUTOFF_CASES = [
    (date(2026, 3, 10), 65, date(1961, 3, 10)),
    (date(2026, 3, 10), 80, date(1946, 3, 10)),
    (date(2021, 2, 28), 21, date(2000, 2, 28)),
    (date(2024, 2, 29), 1, date(2023, 2, 28)),
    (date(2024, 2, 29), 4, date(2020, 2, 29)),
    (date(2025, 2, 28), 65, date(1960, 2, 28)),
    (date(2025, 3, 1), 65, date(1960, 3, 1)),
]


@pytest.mark.parametrize(("day", "min_age", "expected"), CUTOFF_CASES)
def test_birth_cutoff(day, min_age, expected):
    assert birth_cutoff(day, min_age) == expected


AGE_CASES = [
    # (birth, campaign day, minimum age, old enough)
    (date(1961, 3, 10), date(2026, 3, 10), 65, True),  # birthday that day
    (date(1961, 3, 11), date(2026, 3, 10), 65, False),  # birthday tomorrow
    (date(2000, 2, 29), date(2021, 2, 28), 21, False),  # 29 Feb, common year
    (date(2000, 2, 29), date(2021, 3, 1), 21, True),  # ... a year older on 1 March
    (date(2000, 2, 29), date(2024, 2, 29), 24, True),  # leap year: on the day
    (date(2000, 2, 28), date(2021, 2, 28), 21, True),
]


@pytest.mark.parametrize(("birth", "day", "min_age", "old_enough"), AGE_CASES)
def test_cutoff_agrees_with_age(birth, day, min_age, old_enough):
    assert (birth <= birth_cutoff(day, min_age)) is old_enough
    assert (identity.age_on(birth, day) >= min_age) is old_enough


def national_number(first9, *, born_2000=False):
    """yymmddNNN plus its check digits (97 minus the remainder by 97)."""
    base = int(("2" if born_2000 else "") + first9)
    number = f"{first9}{97 - base % 97:02d}"
    assert be_ssn.is_valid(number)
    return number


BIRTH_DATE_CASES = {
    "full date": ("520314001", False, date(1952, 3, 14)),
    "unknown day: the first of the month": ("520300001", False, date(1952, 3, 1)),
    "unknown month: 1 January": ("520000001", False, date(1952, 1, 1)),
    "born in 2015": ("150614002", True, date(2015, 6, 14)),
    "BIS number, month plus 40": ("524314001", False, date(1952, 3, 14)),
    "unknown year": ("000001001", False, None),
    "110 years old: ranked": ("150311001", False, date(1915, 3, 11)),
    "111 years old: not plausible": ("150310001", False, None),
}


@pytest.mark.parametrize(
    ("first9", "born_2000", "expected"),
    BIRTH_DATE_CASES.values(),
    ids=BIRTH_DATE_CASES.keys(),
)
def test_ranking_birth_date(first9, born_2000, expected):
    ssin = national_number(first9, born_2000=born_2000)

    assert identity.ranking_birth_date(ssin, DAY) == expected


# --- the query, through real rows ---------------------------------------------


def centre_id(code):
    return db.session.scalar(select(Centre.id).where(Centre.code == code))


def add_entry(
    code=GENT,
    *,
    birth=bd(1950, 1, 1),
    priority=1,
    minutes=0,
    size=1,
    slots=((DAY, AFTERNOON),),
    rankable=True,
    also_at=(),
    entry_id=None,
):
    """An entry with its ranking rows at `code` (and `also_at`) set by hand."""
    avail_from_day, avail_bits = encode(list(slots))
    registered_at = T0 + timedelta(minutes=minutes)
    entry = Entry(
        id=entry_id,
        kind="companion" if priority == 0 else "self",
        state=EntryState.ACTIVE if rankable else EntryState.PENDING,
        language="nl",
        postcode="9000",
        rank_birth_day=birth,
        size=size,
        is_companion=priority == 0,
        avail_from_day=avail_from_day,
        avail_bits=avail_bits,
        registered_at=registered_at,
    )
    db.session.add(entry)
    db.session.flush()
    for each in (code, *also_at):
        db.session.add(
            EntryCentre(
                entry_id=entry.id,
                centre_id=centre_id(each),
                rankable=rankable,
                priority=priority,
                rank_birth_day=birth,
                registered_at=registered_at,
                avail_from_day=avail_from_day,
                avail_bits=avail_bits,
                size=size,
            )
        )
    db.session.flush()
    return entry.id


def add_campaign(code=GENT, *, day=DAY, start=time(13), end=time(17), min_age=None):
    campaign = Campaign(
        centre_id=centre_id(code),
        day=day,
        start_time=start,
        end_time=end,
        starts_at=datetime.combine(day, start, tzinfo=UTC),
        ends_at=datetime.combine(day, end, tzinfo=UTC),
        slots=10,
        min_age=min_age,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def invite(campaign, entry_id, state):
    db.session.add(Invitation(campaign_id=campaign.id, entry_id=entry_id, state=state))
    db.session.flush()


def ranked(names, code=GENT, *, day=DAY, start=time(13), end=time(17), **kwargs):
    """Names of the candidates the query returns, in its order."""
    by_id = {entry_id: name for name, entry_id in names.items()}
    found = candidates(
        db.session,
        centre_id=centre_id(code),
        day=day,
        start_time=start,
        end_time=end,
        limit=kwargs.pop("limit", 100),
        **kwargs,
    )
    return [by_id.get(c.entry_id, c.entry_id) for c in found]


def test_companions_first_then_oldest_unknown_birth_last(app_ctx):
    names = {
        "unknown": add_entry(birth=None),
        "born 1960": add_entry(birth=bd(1960, 6, 1)),
        "companion 35": add_entry(birth=bd(1990, 6, 1), priority=0),
        "group, oldest 1940": add_entry(birth=bd(1940, 6, 1), size=3),
        "born 1945": add_entry(birth=bd(1945, 6, 1)),
        "companion unknown": add_entry(birth=None, priority=0),
    }

    assert ranked(names) == [
        "companion 35",
        "companion unknown",
        "group, oldest 1940",
        "born 1945",
        "born 1960",
        "unknown",
    ]


def test_ties_go_to_the_earlier_registration_then_the_lower_id(app_ctx):
    birth = bd(1950, 4, 4)
    names = {
        "later": add_entry(birth=birth, minutes=10, entry_id=900_001),
        "higher id": add_entry(birth=birth, minutes=5, entry_id=900_003),
        "lower id": add_entry(birth=birth, minutes=5, entry_id=900_002),
        "earliest": add_entry(birth=birth, minutes=1, entry_id=900_004),
    }

    assert ranked(names) == ["earliest", "lower id", "higher id", "later"]


WINDOW_CASES = [
    (time(13), time(17), ["afternoon"]),
    (time(12, 59), time(13, 1), ["morning", "afternoon"]),
    (time(17), time(22), ["evening"]),
    (time(17), time(19), ["evening"]),
    (time(15), time(19), ["afternoon", "evening"]),
    (time(8), time(22), ["morning", "afternoon", "evening"]),
    (time(7), time(8), []),
    (time(22), time(23), []),
]


@pytest.mark.parametrize(("start", "end", "expected"), WINDOW_CASES)
def test_day_parts_overlapping_the_window(app_ctx, start, end, expected):
    names = {
        "morning": add_entry(birth=bd(1940, 1, 1), slots=[(DAY, MORNING)]),
        "afternoon": add_entry(birth=bd(1941, 1, 1), slots=[(DAY, AFTERNOON)]),
        "evening": add_entry(birth=bd(1942, 1, 1), slots=[(DAY, EVENING)]),
    }

    assert ranked(names, start=start, end=end) == expected


def test_availability_on_other_days_does_not_count(app_ctx):
    before, after = DAY - timedelta(days=1), DAY + timedelta(days=1)
    names = {
        "day before": add_entry(birth=bd(1930, 1, 1), slots=[(before, AFTERNOON)]),
        "day after": add_entry(birth=bd(1931, 1, 1), slots=[(after, AFTERNOON)]),
        "around it": add_entry(
            birth=bd(1932, 1, 1),
            slots=[(before, AFTERNOON), (DAY, MORNING), (after, AFTERNOON)],
        ),
        "14 days after its first day": add_entry(
            birth=bd(1933, 1, 1),
            slots=[(DAY - timedelta(days=14), MORNING), (DAY, AFTERNOON)],
        ),
        "first day and the day": add_entry(
            birth=bd(1934, 1, 1), slots=[(before, EVENING), (DAY, AFTERNOON)]
        ),
    }

    assert ranked(names) == ["14 days after its first day", "first day and the day"]


def test_bits_beyond_the_stored_days_are_never_read(app_ctx):
    # Hand-made rows with every bit set, sign included: first day 21 days
    # before the campaign (past the 20 days ever stored), first day after it
    # (a negative shift), and a first day exactly 20 days before.
    names = {
        "too old": add_entry(birth=bd(1930, 1, 1)),
        "starts later": add_entry(birth=bd(1931, 1, 1)),
        "in reach": add_entry(birth=bd(1932, 1, 1)),
    }
    rows = {row.entry_id: row for row in db.session.scalars(select(EntryCentre))}
    for name, first_day in (("too old", -21), ("starts later", 1), ("in reach", -20)):
        rows[names[name]].avail_from_day = day_number(DAY) + first_day
        rows[names[name]].avail_bits = -1
    db.session.flush()

    assert ranked(names) == ["in reach"]


def test_invitations_exclude_open_ones_anywhere_and_any_from_this_campaign(app_ctx):
    this = add_campaign()
    elsewhere = add_campaign(ANTWERPEN)
    names = {
        "sent elsewhere": add_entry(birth=bd(1930, 1, 1), also_at=[ANTWERPEN]),
        "queued elsewhere": add_entry(birth=bd(1931, 1, 1), also_at=[ANTWERPEN]),
        "expired elsewhere": add_entry(birth=bd(1932, 1, 1), also_at=[ANTWERPEN]),
        "expired here": add_entry(birth=bd(1933, 1, 1)),
        "declined here": add_entry(birth=bd(1934, 1, 1)),
        "sent here": add_entry(birth=bd(1935, 1, 1)),
        "never invited": add_entry(birth=bd(1936, 1, 1)),
    }
    invite(elsewhere, names["sent elsewhere"], InvitationState.SENT)
    invite(elsewhere, names["queued elsewhere"], InvitationState.QUEUED)
    invite(elsewhere, names["expired elsewhere"], InvitationState.EXPIRED)
    invite(this, names["expired here"], InvitationState.EXPIRED)
    invite(this, names["declined here"], InvitationState.DECLINED)
    invite(this, names["sent here"], InvitationState.SENT)
    invite(this, None, InvitationState.BOOKED)  # an entry erased since

    assert ranked(names, campaign_id=this.id) == ["expired elsewhere", "never invited"]
    # Without a campaign only the open invitations count.
    assert ranked(names) == [
        "expired elsewhere",
        "expired here",
        "declined here",
        "never invited",
    ]


def test_only_rankable_entries_of_this_centre(app_ctx):
    names = {
        "not rankable": add_entry(birth=bd(1930, 1, 1), rankable=False),
        "other centre": add_entry(ANTWERPEN, birth=bd(1931, 1, 1)),
        "both centres": add_entry(ANTWERPEN, birth=bd(1932, 1, 1), also_at=[GENT]),
        "here": add_entry(birth=bd(1933, 1, 1)),
    }

    assert ranked(names) == ["both centres", "here"]
    assert ranked(names, ANTWERPEN) == ["other centre", "both centres"]


MIN_AGE_CASES = [
    # (campaign day, minimum age, expected)
    (DAY, None, ["companion 70", "companion 30", "65 today", "64", "unknown"]),
    (DAY, 65, ["companion 70", "65 today"]),
    (DAY, 70, ["companion 70"]),
    (DAY, 71, []),
]


@pytest.mark.parametrize(("day", "min_age", "expected"), MIN_AGE_CASES)
def test_minimum_age_keeps_only_the_target_group(app_ctx, day, min_age, expected):
    names = {
        "65 today": add_entry(birth=bd(1961, 3, 10)),
        "64": add_entry(birth=bd(1961, 3, 11)),
        "unknown": add_entry(birth=None),
        "companion 30": add_entry(birth=bd(1995, 5, 5), priority=0),
        "companion 70": add_entry(birth=bd(1955, 5, 5), priority=0),
    }

    assert ranked(names, day=day, min_age=min_age) == expected


LEAP_CASES = [
    (date(2025, 2, 28), ["born 28 Feb"]),  # born 29 Feb 1960: still 64
    (date(2025, 3, 1), ["born 28 Feb", "born 29 Feb"]),
]


@pytest.mark.parametrize(("day", "expected"), LEAP_CASES)
def test_minimum_age_for_a_29_february_birthday(app_ctx, day, expected):
    names = {
        "born 29 Feb": add_entry(birth=bd(1960, 2, 29), slots=[(day, AFTERNOON)]),
        "born 28 Feb": add_entry(birth=bd(1960, 2, 28), slots=[(day, AFTERNOON)]),
    }

    assert ranked(names, day=day, min_age=65) == expected


def test_limit_cuts_the_walk_in_rank_order(app_ctx):
    names = {
        f"born {year}": add_entry(birth=bd(year, 1, 1)) for year in range(1950, 1960)
    }

    assert ranked(names, limit=3) == ["born 1950", "born 1951", "born 1952"]


def test_rank_for_campaign_fills_slots_skipping_groups_that_do_not_fit(app_ctx):
    campaign = add_campaign()
    names = {
        "group of 4": add_entry(birth=bd(1930, 1, 1), size=4),
        "single 1940": add_entry(birth=bd(1940, 1, 1)),
        "group of 2": add_entry(birth=bd(1941, 1, 1), size=2),
        "single 1950": add_entry(birth=bd(1950, 1, 1)),
        "invited before": add_entry(birth=bd(1935, 1, 1)),
    }
    invite(campaign, names["invited before"], InvitationState.EXPIRED)
    by_id = {entry_id: name for name, entry_id in names.items()}

    def wave(slots):
        return [
            by_id[c.entry_id] for c in rank_for_campaign(db.session, campaign, slots)
        ]

    assert wave(3) == ["single 1940", "group of 2"]
    assert wave(4) == ["group of 4"]
    assert wave(5) == ["group of 4", "single 1940"]
    assert wave(0) == []


def test_rank_for_campaign_looks_past_the_first_fetch(app_ctx):
    # One free slot: the first fetch (1 + 20 = 21 rows) holds only groups of
    # two, so a second, larger fetch must find the single ranked 31st.
    campaign = add_campaign()
    for n in range(30):
        add_entry(birth=bd(1930, 1, 1) + n, size=2)
    single = add_entry(birth=bd(1960, 1, 1))

    assert [c.entry_id for c in rank_for_campaign(db.session, campaign, 1)] == [single]


def test_rank_for_campaign_uses_the_campaign_window_and_age(app_ctx):
    campaign = add_campaign(start=time(17), end=time(19), min_age=80)
    evening_old = add_entry(birth=bd(1940, 1, 1), slots=[(DAY, EVENING)])
    add_entry(birth=bd(1935, 1, 1), slots=[(DAY, AFTERNOON)])
    add_entry(birth=bd(1950, 1, 1), slots=[(DAY, EVENING)])

    chosen = rank_for_campaign(db.session, campaign, 5)

    assert chosen == [
        Candidate(
            entry_id=evening_old,
            priority=1,
            rank_birth_day=bd(1940, 1, 1),
            registered_at=T0,
            size=1,
        )
    ]
